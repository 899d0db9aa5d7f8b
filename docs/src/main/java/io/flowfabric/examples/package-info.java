/**
 * Runnable examples. Each has a {@code main} method, a documented command in {@code docs/}, and a test that runs it.
 */
@NullMarked
package io.flowfabric.examples;

import org.jspecify.annotations.NullMarked;
