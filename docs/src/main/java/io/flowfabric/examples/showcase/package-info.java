/**
 * The quickstart showcase: the README's first command. Starts PostgreSQL (embedded unless a URL is given), runs a few
 * hundred executions through concurrent workers, and prints what happened.
 */
@NullMarked
package io.flowfabric.examples.showcase;

import org.jspecify.annotations.NullMarked;
