package org.raftlib.internal.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.raftlib.internal.core.Cores.n;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.raftlib.Bytes;
import org.raftlib.internal.core.Cores;
import org.raftlib.internal.core.TestNode;
import org.raftlib.local.InMemorySnapshotStore;
import org.raftlib.message.AppendEntries;
import org.raftlib.message.InstallSnapshot;
import org.raftlib.message.RaftMessage;

/** The loop's side of snapshot transfers on a follower: how chunks reach the transfer thread. */
class SnapshotTransfersTest {

    private final ThreadPoolExecutor io = new ThreadPoolExecutor(1, 1, 0, TimeUnit.MILLISECONDS,
            new LinkedBlockingQueue<>());
    private final List<RaftMessage> sent = new ArrayList<>();

    @AfterEach
    void stop() {
        io.shutdownNow();
    }

    /**
     * A transfer thread stuck on a slow disk, and chunks that keep coming (a leader resending, or a peer that floods
     * the follower): the chunks waiting for the thread stay bounded in bytes, the rest are dropped (a leader resends
     * them from the offset the follower answers with). Before, every chunk was queued (1,000 MiB here).
     */
    @Test
    void chunksWaitingForTheTransferThreadAreBoundedInBytes() throws Exception {
        TestNode follower = Cores.follower(2, 3, 3);
        follower.core().step(new AppendEntries(n(1), n(2), 3, 0, 0, List.of(), 0));
        follower.handle();
        assertThat(follower.core().currentLeader()).contains(n(1));
        CountDownLatch disk = new CountDownLatch(1);
        io.execute(() -> {
            try {
                disk.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        SnapshotTransfers transfers = new SnapshotTransfers(new SnapshotSender.Context(n(2), 0,
                new InMemorySnapshotStore(), new RecordingTransport(sent), new Inbox(), 1 << 20, 4,
                RuntimeMetrics.NONE), io, TimeUnit.SECONDS.toNanos(1), Optional.empty());
        Bytes chunk = Bytes.wrap(new byte[1 << 20]);

        for (int i = 0; i < 1_000; i++) {
            transfers.onMessage(follower.core(), new InstallSnapshot(n(1), n(2), 3, 7, 2, (long) i << 20, chunk,
                    false));
        }

        assertThat(transfers.queuedChunkBytes()).isLessThanOrEqualTo(SnapshotTransfers.MIN_QUEUED_CHUNK_BYTES);
        assertThat(io.getQueue()).hasSizeLessThanOrEqualTo(64);
        disk.countDown();
        io.submit(() -> { }).get(10, TimeUnit.SECONDS);
        assertThat(transfers.queuedChunkBytes()).isZero();
        assertThat(sent).as("the receiver answered the chunks it took").isNotEmpty();
    }
}
