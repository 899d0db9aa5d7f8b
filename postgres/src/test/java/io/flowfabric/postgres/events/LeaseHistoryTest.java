package io.flowfabric.postgres.events;

import static io.flowfabric.postgres.events.EventTestSupport.TIMEOUT;
import static io.flowfabric.postgres.events.EventTestSupport.nowCursor;
import static io.flowfabric.postgres.events.EventTestSupport.unique;
import static org.assertj.core.api.Assertions.assertThat;

import io.flowfabric.core.events.EventCursor;
import io.flowfabric.core.events.LeaseEvent;
import io.flowfabric.core.events.SubscribeRequest;
import io.flowfabric.core.execution.ClaimRequest;
import io.flowfabric.core.execution.ClaimedExecution;
import io.flowfabric.core.execution.CreateExecution;
import io.flowfabric.core.id.ExecutionId;
import io.flowfabric.core.lease.HandleKind;
import io.flowfabric.core.state.LeaseEventType;
import io.flowfabric.postgres.EngineFixture;
import io.flowfabric.postgres.PostgresEngine;
import io.flowfabric.testing.FlowFabricPostgres;
import io.flowfabric.testing.TestClock;
import io.flowfabric.testing.TestDatabase;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

@FlowFabricPostgres
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class LeaseHistoryTest {

    private PostgresEngine engine;
    private TestDatabase db;
    private TestClock clock;

    @BeforeAll
    void start(TestDatabase db, TestClock clock) {
        this.db = db;
        this.clock = clock;
        engine = EngineFixture.start(db, clock);
    }

    @AfterAll
    void stop() {
        clock.reset();
        engine.close();
    }

    @Test
    @DisplayName("SB-08 lease history across partitions 0, 77 and 255: acquired, renewed, released, revoked, expired, reclaimed with their epochs, a 16-hex fingerprint and never the lease id")
    void leaseHistoryAcrossPartitions() {
        String namespace = unique("sb08");
        EventCursor start = nowCursor(db);
        ExecutionId p0 = ExecutionId.of(0, UUID.randomUUID());
        ExecutionId p77 = ExecutionId.of(77, UUID.randomUUID());
        ExecutionId p255 = ExecutionId.of(255, UUID.randomUUID());
        String lane0 = unique("sb08-0");
        String lane77 = unique("sb08-77");
        String lane255 = unique("sb08-255");
        for (Map.Entry<ExecutionId, String> e : Map.of(p0, lane0, p77, lane77, p255, lane255).entrySet()) {
            engine.executions().createExecution(CreateExecution.builder(e.getValue()).namespace(namespace)
                    .executionId(e.getKey()).build()).block(TIMEOUT);
        }

        // p0: acquired, renewed, released.
        ClaimedExecution c0 = claim(lane0, "w0", null);
        engine.workers().renew(c0.fence(), Duration.ofSeconds(60)).block(TIMEOUT);
        engine.workers().complete(c0.fence(), null, null).block(TIMEOUT);
        // p77: acquired, revoked by an operator cancel.
        ClaimedExecution c77 = claim(lane77, "w77", null);
        engine.operator().cancelExecution(p77, "stop", "op").block(TIMEOUT);
        // p255: acquired with a 1 s lease, expired by the reconciler, reclaimed, released.
        ClaimedExecution c255 = claim(lane255, "w255", Duration.ofSeconds(1));
        clock.advance(Duration.ofSeconds(2));
        engine.reconcilers().tick("lease_expiry").block(TIMEOUT);
        ClaimedExecution r255 = claim(lane255, "w255b", null);
        assertThat(r255.kind()).isEqualTo(HandleKind.RECLAIMED);
        engine.workers().complete(r255.fence(), null, null).block(TIMEOUT);

        List<LeaseEvent> events = engine.subscriptions()
                .subscribeLeaseHistory(SubscribeRequest.builder().cursor(start).namespace(namespace).build())
                .take(9)
                .collectList()
                .block(TIMEOUT);

        Map<ExecutionId, List<String>> history = new LinkedHashMap<>();
        for (LeaseEvent e : events) {
            history.computeIfAbsent(e.executionId(), k -> new ArrayList<>())
                    .add(e.type().literal() + "@" + e.leaseEpoch() + "/" + e.attemptIndex());
        }
        assertThat(history).containsOnlyKeys(p0, p77, p255);
        assertThat(history.get(p0)).containsExactly("acquired@1/0", "renewed@1/0", "released@1/0");
        assertThat(history.get(p77)).containsExactly("acquired@1/0", "revoked@1/0");
        assertThat(history.get(p255)).containsExactly("acquired@1/0", "expired@1/0",
                "reclaimed@" + r255.leaseEpoch() + "/1", "released@" + r255.leaseEpoch() + "/1");
        assertThat(r255.leaseEpoch()).as("expiry bumps the epoch, the reclaim bumps it again").isEqualTo(3);
        assertThat(events).extracting(e -> e.executionId().partition()).containsOnly(0, 77, 255);
        for (int i = 1; i < events.size(); i++) {
            assertThat(events.get(i).cursor()).isGreaterThan(events.get(i - 1).cursor());
        }

        Map<ExecutionId, List<ClaimedExecution>> leases = Map.of(p0, List.of(c0), p77, List.of(c77),
                p255, List.of(c255, r255));
        for (LeaseEvent e : events) {
            assertThat(e.leaseFingerprint()).matches("[0-9a-f]{16}");
            ClaimedExecution holder = e.attemptIndex() == 1 ? r255 : leases.get(e.executionId()).get(0);
            String leaseId = holder.handle().leaseId().uuid().toString();
            assertThat(e.leaseFingerprint()).isEqualTo(holder.handle().leaseId().fingerprint())
                    .isNotEqualTo(leaseId);
            assertThat(leaseId.replace("-", "")).doesNotContain(e.leaseFingerprint());
            assertThat(e.toString()).doesNotContain(leaseId);
            assertThat(e.namespace()).isEqualTo(namespace);
            assertThat(e.gap()).isFalse();
        }
        LeaseEvent acquired0 = events.stream().filter(e -> e.executionId().equals(p0)).findFirst().orElseThrow();
        assertThat(acquired0.workerId()).isEqualTo("w0");
        assertThat(acquired0.workerInstanceId()).isEqualTo("w0-1");
        assertThat(acquired0.leaseExpiresAt()).isEqualTo(c0.leaseExpiresAt());
        // No column of the outbox holds a lease id in any form.
        assertThat(db.queryLong("SELECT count(*) FROM flowfabric.ff_lease_event t WHERE namespace = ?"
                + " AND (t::text LIKE '%' || ? || '%' OR t::text LIKE '%' || ? || '%' OR t::text LIKE '%' || ? || '%'"
                + " OR t::text LIKE '%' || ? || '%')", namespace, c0.handle().leaseId().uuid().toString(),
                c77.handle().leaseId().uuid().toString(), c255.handle().leaseId().uuid().toString(),
                r255.handle().leaseId().uuid().toString())).isZero();

        // Type and execution filters run in SQL.
        List<LeaseEvent> ended = engine.subscriptions().subscribeLeaseHistory(SubscribeRequest.builder()
                        .cursor(start).namespace(namespace)
                        .leaseTypes(LeaseEventType.REVOKED, LeaseEventType.EXPIRED).build())
                .take(2).collectList().block(TIMEOUT);
        assertThat(ended).extracting(LeaseEvent::executionId, LeaseEvent::type)
                .containsExactly(org.assertj.core.groups.Tuple.tuple(p77, LeaseEventType.REVOKED),
                        org.assertj.core.groups.Tuple.tuple(p255, LeaseEventType.EXPIRED));
        List<LeaseEvent> only255 = engine.subscriptions().subscribeLeaseHistory(SubscribeRequest.builder()
                        .cursor(start).executionId(p255).build())
                .take(4).collectList().block(TIMEOUT);
        assertThat(only255).extracting(LeaseEvent::type).containsExactly(LeaseEventType.ACQUIRED,
                LeaseEventType.EXPIRED, LeaseEventType.RECLAIMED, LeaseEventType.RELEASED);
    }

    private ClaimedExecution claim(String lane, String worker, @Nullable Duration ttl) {
        ClaimedExecution claimed = engine.workers().claim(ClaimRequest.builder(worker, worker + "-1").lane(lane)
                .leaseTtl(ttl).build()).block(TIMEOUT);
        assertThat(claimed).as("claim on %s", lane).isNotNull();
        return claimed;
    }
}
