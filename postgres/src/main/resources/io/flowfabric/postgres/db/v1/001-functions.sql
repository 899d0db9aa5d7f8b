--liquibase formatted sql logicalFilePath:flowfabric/v1/001-functions.sql

--changeset flowfabric:v1-001-now-ms splitStatements:false logicalFilePath:flowfabric/v1/001-functions.sql
--comment: The database clock (spec 01 §4). STABLE: every statement of one transaction sees the same instant.
CREATE FUNCTION "${ff_schema}".now_ms() RETURNS bigint
    LANGUAGE sql STABLE PARALLEL SAFE
AS $$
    SELECT floor(extract(epoch FROM transaction_timestamp()) * 1000)::bigint
         + coalesce(nullif(current_setting('flowfabric.clock_offset_ms', true), '')::bigint, 0)
$$;
COMMENT ON FUNCTION "${ff_schema}".now_ms() IS
    'Transaction timestamp in epoch milliseconds plus flowfabric.clock_offset_ms when set (spec 01 §4).';

--changeset flowfabric:v1-001-public-state splitStatements:false logicalFilePath:flowfabric/v1/001-functions.sql
--comment: The one public-state derivation (spec 01 §5.3); ff_exec_core.public_state is generated from it.
CREATE FUNCTION "${ff_schema}".ff_public_state(
        lifecycle text, ownership text, eligibility text, attempt_state text, outcome text)
    RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT CASE lifecycle
        WHEN 'terminal' THEN
            CASE outcome
                WHEN 'success'   THEN 'completed'
                WHEN 'failed'    THEN 'failed'
                WHEN 'cancelled' THEN 'cancelled'
                WHEN 'expired'   THEN 'expired'
                WHEN 'skipped'   THEN 'skipped'
            END
        WHEN 'suspended' THEN 'suspended'
        WHEN 'active' THEN 'active'
        WHEN 'runnable' THEN
            CASE eligibility
                WHEN 'eligible_now' THEN
                    CASE WHEN attempt_state = 'attempt_interrupted' AND ownership = 'unowned'
                         THEN 'resumable' ELSE 'waiting' END
                WHEN 'not_eligible_until_time' THEN 'delayed'
                WHEN 'blocked_by_dependencies' THEN 'waiting_children'
                WHEN 'blocked_by_budget'       THEN 'rate_limited'
                WHEN 'blocked_by_quota'        THEN 'rate_limited'
                WHEN 'blocked_by_route'        THEN 'waiting'
                WHEN 'blocked_by_lane_state'   THEN 'waiting'
                WHEN 'blocked_by_operator'     THEN 'waiting'
            END
        WHEN 'submitted' THEN 'waiting'
    END
$$;
COMMENT ON FUNCTION "${ff_schema}".ff_public_state(text, text, text, text, text) IS
    'Derives public_state from (lifecycle, ownership, eligibility, attempt_state, outcome) per spec 01 §5.3; NULL for vectors the table does not define.';
