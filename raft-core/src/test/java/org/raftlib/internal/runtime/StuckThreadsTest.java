package org.raftlib.internal.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;
import org.raftlib.testkit.Await;

/** The WARN of a close that gave up names the threads still alive and where they wait. */
class StuckThreadsTest {

    @Test
    void namesTheAliveThreadsAndWhereTheyWait() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        Thread stuck = new Thread(() -> {
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "raft-apply-n9");
        Thread ended = new Thread(() -> { }, "raft-storage-n9");
        stuck.start();
        ended.start();
        ended.join();
        try {
            Await.until("the thread to wait", Duration.ofSeconds(10), () -> stuck.getState() == Thread.State.WAITING);
            assertThat(StuckThreads.alive(List.of(stuck, ended))).startsWith("thread raft-apply-n9: it is in ")
                    .doesNotContain("raft-storage-n9");
        } finally {
            release.countDown();
            stuck.join();
        }
        assertThat(StuckThreads.alive(List.of(stuck, ended))).isEqualTo("the snapshot threads or the transport");
        assertThat(StuckThreads.where(stuck)).isEmpty();
    }
}
