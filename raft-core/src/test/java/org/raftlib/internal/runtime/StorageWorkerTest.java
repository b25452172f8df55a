package org.raftlib.internal.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.raftlib.Bytes;
import org.raftlib.HardState;
import org.raftlib.LogEntry;
import org.raftlib.NodeId;
import org.raftlib.internal.core.Ready;
import org.raftlib.local.InMemoryLogStorage;
import org.raftlib.message.RaftMessage;
import org.raftlib.message.RequestVoteResponse;
import org.raftlib.testkit.Await;

/** The storage worker hands durable batches back to the loop, waking it when the batch's role needs it. */
class StorageWorkerTest {

    private static final NodeId N1 = NodeId.of("n1");
    private static final NodeId N2 = NodeId.of("n2");

    /**
     * A leader's batch that also carries a response (here a rejected vote) must still wake the loop: the leader
     * counts its own entries towards the commit once they are durable, and a quiet hand-off would leave that until
     * the next tick.
     */
    @Test
    void leadersBatchWakesTheLoopEvenWithAResponseInIt() throws Exception {
        assertThat(wakeUpsAfterPersisting(true)).isEqualTo(1);
    }

    /** A follower's batch, whose acknowledgements the worker sends itself, is handed back without a wake-up. */
    @Test
    void followersBatchIsHandedBackQuietly() throws Exception {
        assertThat(wakeUpsAfterPersisting(false)).isZero();
    }

    private int wakeUpsAfterPersisting(boolean wakeLoop) throws Exception {
        Inbox inbox = new Inbox();
        AtomicInteger wakeUps = new AtomicInteger();
        inbox.driveWith(wakeUps::incrementAndGet);
        List<RaftMessage> sent = new CopyOnWriteArrayList<>();
        StorageWorker worker = new StorageWorker("n1", new InMemoryLogStorage(), new RecordingTransport(sent), inbox,
                cause -> {
                    throw new AssertionError(cause);
                });
        Thread thread = new Thread(worker, "storage-test");
        thread.start();
        try {
            RaftMessage response = new RequestVoteResponse(N1, N2, 3, false, false);
            Ready ready = new Ready(Optional.of(new HardState(3, Optional.of(N1), 0)), OptionalLong.empty(),
                    List.of(LogEntry.command(3, 1, Bytes.copyOf(new byte[] {1}))), List.of(), List.of(response),
                    List.of());
            worker.submit(ready, wakeLoop);
            Await.until("the batch to come back", Duration.ofSeconds(10), () -> inbox.pollNow() != null);
            assertThat(sent).containsExactly(response);
            return wakeUps.get();
        } finally {
            worker.requestStop();
            thread.join(10_000);
        }
    }
}
