--liquibase formatted sql logicalFilePath:flowfabric/v2/001-cheap-row-checks.sql

-- Schema version 2: the same rules, checked at a fraction of the cost.
--
-- PostgreSQL does not cache a table's CHECK expressions or generated-column expressions in executable form: every
-- INSERT or UPDATE statement deserialises each one from its catalog text (stringToNode) and plans it again, and
-- a generated column that calls a LANGUAGE sql function also re-parses that function's body to inline it. For
-- ff_exec_core that was about 28 KB of node text per statement, about 60 % of an UPDATE's server time in a
-- pgbench probe (docs/benchmarks.md). Domain constraints are different: the type cache keeps them planned for the
-- life of the backend. So the state columns whose CHECK lists their canonical literals now have domain types whose
-- CHECK lists exactly those literals, under the constraint name the table CHECK had, and the public-state function
-- is plpgsql, which is compiled once per session instead of inlined per statement. The multi-column invariants of
-- 01 §5.4 stay table CHECKs.

--changeset flowfabric:v2-001-state-domains splitStatements:false logicalFilePath:flowfabric/v2/001-cheap-row-checks.sql
--comment: One domain per state column (spec 01 §5.1, §6), its CHECK named as the table CHECK it replaces.
CREATE DOMAIN "${ff_schema}".ff_lifecycle_phase AS text
    CONSTRAINT ff_exec_core_lifecycle_phase_check CHECK (VALUE IN
        ('submitted', 'runnable', 'active', 'suspended', 'terminal'));
CREATE DOMAIN "${ff_schema}".ff_ownership_state AS text
    CONSTRAINT ff_exec_core_ownership_state_check CHECK (VALUE IN
        ('unowned', 'leased', 'lease_expired_reclaimable', 'lease_revoked'));
CREATE DOMAIN "${ff_schema}".ff_eligibility_state AS text
    CONSTRAINT ff_exec_core_eligibility_state_check CHECK (VALUE IN
        ('eligible_now', 'not_eligible_until_time', 'blocked_by_dependencies', 'blocked_by_budget',
         'blocked_by_quota', 'blocked_by_route', 'blocked_by_lane_state', 'blocked_by_operator', 'not_applicable'));
CREATE DOMAIN "${ff_schema}".ff_blocking_reason AS text
    CONSTRAINT ff_exec_core_blocking_reason_check CHECK (VALUE IN
        ('none', 'waiting_for_worker', 'waiting_for_retry_backoff', 'waiting_for_resume_delay', 'waiting_for_delay',
         'waiting_for_signal', 'waiting_for_approval', 'waiting_for_callback', 'waiting_for_tool_result',
         'waiting_for_children', 'waiting_for_budget', 'waiting_for_quota', 'waiting_for_capable_worker',
         'waiting_for_locality_match', 'paused_by_operator', 'paused_by_policy', 'paused_by_flow_cancel'));
CREATE DOMAIN "${ff_schema}".ff_terminal_outcome AS text
    CONSTRAINT ff_exec_core_terminal_outcome_check CHECK (VALUE IN
        ('none', 'success', 'failed', 'cancelled', 'expired', 'skipped'));
CREATE DOMAIN "${ff_schema}".ff_attempt_state AS text
    CONSTRAINT ff_exec_core_attempt_state_check CHECK (VALUE IN
        ('none', 'pending_first_attempt', 'running_attempt', 'attempt_interrupted', 'pending_retry_attempt',
         'pending_replay_attempt', 'attempt_terminal'));
-- A vector outside the derivation table of 01 §5.3 derives NULL and is rejected here.
CREATE DOMAIN "${ff_schema}".ff_public_state_literal AS text
    CONSTRAINT ff_exec_core_public_state_check CHECK (VALUE IS NOT NULL AND VALUE IN
        ('waiting', 'delayed', 'rate_limited', 'waiting_children', 'active', 'suspended', 'resumable', 'completed',
         'failed', 'cancelled', 'expired', 'skipped'));
CREATE DOMAIN "${ff_schema}".ff_attempt_type AS text
    CONSTRAINT ff_attempt_attempt_type_check CHECK (VALUE IN ('initial', 'retry', 'reclaim', 'replay'));
CREATE DOMAIN "${ff_schema}".ff_attempt_lifecycle AS text
    CONSTRAINT ff_attempt_attempt_lifecycle_check CHECK (VALUE IN
        ('created', 'started', 'suspended', 'ended_success', 'ended_failure', 'ended_cancelled',
         'interrupted_reclaimed'));
CREATE DOMAIN "${ff_schema}".ff_end_reason AS text
    CONSTRAINT ff_attempt_end_reason_check CHECK (VALUE IN
        ('completed', 'failed', 'retry_scheduled', 'cancelled', 'attempt_timeout', 'execution_deadline',
         'lease_expired', 'lease_revoked', 'suspension_timeout', 'reclaim_cap_exceeded', 'skipped'));
CREATE DOMAIN "${ff_schema}".ff_lease_event_type AS text
    CONSTRAINT ff_lease_event_event_type_check CHECK (VALUE IN
        ('acquired', 'renewed', 'expired', 'reclaimed', 'revoked', 'released'));
CREATE DOMAIN "${ff_schema}".ff_completion_outcome AS text
    CONSTRAINT ff_completion_event_outcome_check CHECK (VALUE IN
        ('success', 'failed', 'cancelled', 'expired', 'skipped'));

--changeset flowfabric:v2-001-public-state-plpgsql splitStatements:false logicalFilePath:flowfabric/v2/001-cheap-row-checks.sql
--comment: The one public-state derivation (spec 01 §5.3), unchanged, now plpgsql so it is never inlined per statement.
CREATE OR REPLACE FUNCTION "${ff_schema}".ff_public_state(
        lifecycle text, ownership text, eligibility text, attempt_state text, outcome text)
    RETURNS text
    LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
AS $$
BEGIN
    RETURN CASE lifecycle
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
    END;
END
$$;

--changeset flowfabric:v2-001-exec-core-domains splitStatements:false logicalFilePath:flowfabric/v2/001-cheap-row-checks.sql
--comment: ff_exec_core state columns take their domains; public_state is generated again on top of them.
ALTER TABLE "${ff_schema}".ff_exec_core
    DROP COLUMN public_state,
    DROP CONSTRAINT ff_exec_core_lifecycle_phase_check,
    DROP CONSTRAINT ff_exec_core_ownership_state_check,
    DROP CONSTRAINT ff_exec_core_eligibility_state_check,
    DROP CONSTRAINT ff_exec_core_blocking_reason_check,
    DROP CONSTRAINT ff_exec_core_terminal_outcome_check,
    DROP CONSTRAINT ff_exec_core_attempt_state_check;
ALTER TABLE "${ff_schema}".ff_exec_core
    ALTER COLUMN lifecycle_phase TYPE "${ff_schema}".ff_lifecycle_phase,
    ALTER COLUMN ownership_state TYPE "${ff_schema}".ff_ownership_state,
    ALTER COLUMN eligibility_state TYPE "${ff_schema}".ff_eligibility_state,
    ALTER COLUMN blocking_reason TYPE "${ff_schema}".ff_blocking_reason,
    ALTER COLUMN terminal_outcome TYPE "${ff_schema}".ff_terminal_outcome,
    ALTER COLUMN attempt_state TYPE "${ff_schema}".ff_attempt_state;
ALTER TABLE "${ff_schema}".ff_exec_core
    ADD COLUMN public_state "${ff_schema}".ff_public_state_literal GENERATED ALWAYS AS ("${ff_schema}".ff_public_state(
        lifecycle_phase, ownership_state, eligibility_state, attempt_state, terminal_outcome)) STORED;

--changeset flowfabric:v2-001-attempt-outbox-domains splitStatements:false logicalFilePath:flowfabric/v2/001-cheap-row-checks.sql
--comment: The literal columns of attempts and of the two outboxes written on every lifecycle take their domains.
ALTER TABLE "${ff_schema}".ff_attempt
    DROP CONSTRAINT ff_attempt_attempt_type_check,
    DROP CONSTRAINT ff_attempt_attempt_lifecycle_check,
    DROP CONSTRAINT ff_attempt_end_reason_check;
ALTER TABLE "${ff_schema}".ff_attempt
    ALTER COLUMN attempt_type TYPE "${ff_schema}".ff_attempt_type,
    ALTER COLUMN attempt_lifecycle TYPE "${ff_schema}".ff_attempt_lifecycle,
    ALTER COLUMN end_reason TYPE "${ff_schema}".ff_end_reason;
ALTER TABLE "${ff_schema}".ff_lease_event DROP CONSTRAINT ff_lease_event_event_type_check;
ALTER TABLE "${ff_schema}".ff_lease_event ALTER COLUMN event_type TYPE "${ff_schema}".ff_lease_event_type;
ALTER TABLE "${ff_schema}".ff_completion_event DROP CONSTRAINT ff_completion_event_outcome_check;
ALTER TABLE "${ff_schema}".ff_completion_event ALTER COLUMN outcome TYPE "${ff_schema}".ff_completion_outcome;

--changeset flowfabric:v2-001-schema-version splitStatements:false logicalFilePath:flowfabric/v2/001-cheap-row-checks.sql
--comment: Schema version 2 is complete. This changeset stays last (the fast restart path reads the version).
UPDATE "${ff_schema}".ff_config SET schema_version = 2 WHERE singleton AND schema_version = 1;
