/**
 * FlowFabric core: the engine facade and the model shared by every backend.
 */
@NullMarked
package io.flowfabric.core;

import org.jspecify.annotations.NullMarked;
