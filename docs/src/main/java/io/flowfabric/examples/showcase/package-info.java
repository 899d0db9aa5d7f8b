/**
 * The quickstart showcase: the README's first command. Starts PostgreSQL (embedded unless a URL is given), runs a few
 * hundred executions and a small flow through worker runtimes while a completion subscription prints what ends, and
 * summarizes what happened, including one attempt's output stream.
 */
@NullMarked
package io.flowfabric.examples.showcase;

import org.jspecify.annotations.NullMarked;
