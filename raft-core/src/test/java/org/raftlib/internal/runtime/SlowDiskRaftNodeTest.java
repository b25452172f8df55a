package org.raftlib.internal.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.raftlib.LogStorage;
import org.raftlib.NodeId;
import org.raftlib.RaftNode;
import org.raftlib.testkit.Await;
import org.raftlib.local.ForwardingLogStorage;

/**
 * The {@link org.raftlib.testkit.RaftNodeContract} again with syncs slower than the inline limit, so every write goes
 * through the storage worker (group commit); plus a leader whose disk hangs keeps its leadership, because a leader
 * never syncs on its loop thread.
 */
class SlowDiskRaftNodeTest extends LocalRaftNodeTest {

    private volatile long syncMillis = 3;
    private volatile CountDownLatch stall;
    private volatile NodeId stalled;

    @Override
    protected LogStorage openStorage(NodeId id) {
        return new ForwardingLogStorage(super.openStorage(id)) {
            @Override
            public void sync() throws IOException {
                sleep(syncMillis);
                CountDownLatch s = stall;
                if (s != null && id.equals(stalled)) {
                    try {
                        s.await(10, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
                super.sync();
            }
        };
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Test
    void leaderKeepsLeadingWhileItsOwnDiskHangs() throws Exception {
        syncMillis = 0;                                      // fast disks: followers sync inline, the leader never
        startCluster(3);
        write("before", 10);
        RaftNode leader = awaitLeader();
        long term = leader.status().term();
        stalled = leader.id();
        stall = new CountDownLatch(1);
        List<CompletableFuture<byte[]>> pending = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            pending.add(leader.submit(("during-" + i).getBytes(StandardCharsets.UTF_8)));
        }
        Await.until("the followers to hold the writes", WAIT, () -> leader.status().peers().values().stream()
                .allMatch(p -> p.matchIndex() >= leader.status().lastLogIndex()));
        Await.holdsFor("leader leads while its disk hangs", Duration.ofMillis(1500),           // 5 election timeouts
                () -> leader.status().isLeader());
        stall.countDown();
        for (CompletableFuture<byte[]> f : pending) {
            f.get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        }
        assertThat(leader.status().term()).isEqualTo(term);
        assertThat(leader.status().isLeader()).isTrue();
    }
}
