/**
 * Internal: the one unit-of-work helper ({@link io.flowfabric.postgres.sql.Database}), the one SQLSTATE mapper
 * ({@link io.flowfabric.postgres.sql.SqlErrors}), notification channel names and SQL templating. Public only so the
 * engine's other packages can use it; not part of the API and may change without notice.
 */
@NullMarked
package io.flowfabric.postgres.sql;

import org.jspecify.annotations.NullMarked;
