package org.raftlib.internal.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.raftlib.NodeId;
import org.raftlib.NodeState;
import org.raftlib.RaftFailedException;
import org.raftlib.RaftNode;
import org.raftlib.Transport;
import org.raftlib.testkit.Await;
import org.raftlib.testkit.ExecutorTransport;

/**
 * The {@link org.raftlib.testkit.RaftNodeContract} again with every node's loop running on its transport's executor
 * ({@link Transport#loopExecutor()}), as over Netty; plus what happens when that executor stops under a running node.
 */
class ExecutorLoopRaftNodeTest extends LocalRaftNodeTest {

    private final Map<NodeId, ExecutorTransport> transports = new ConcurrentHashMap<>();

    @Override
    protected Transport transport(NodeId id) {
        ExecutorTransport t = new ExecutorTransport(super.transport(id), id);
        transports.put(id, t);
        return t;
    }

    @Test
    void loopRunsOnTheTransportsExecutor() throws Exception {
        startCluster(3);
        write("w", 20);
        RaftNode leader = awaitLeader();
        ExecutorTransport t = transports.get(leader.id());
        assertThat(t.sendsOnExecutor()).isPositive();
        assertThat(t.sendsElsewhere()).isLessThan(t.sendsOnExecutor());
    }

    @Test
    void nodeFailsCleanlyWhenItsTransportStopsRunningTheLoop() throws Exception {
        startCluster(3);
        write("w", 5);
        RaftNode leader = awaitLeader();
        transports.get(leader.id()).executor().shutdownNow();
        Await.until("the node to fail", WAIT, () -> leader.status().state() == NodeState.FAILED);
        assertThatThrownBy(() -> leader.submit("late".getBytes(StandardCharsets.UTF_8)).get(5, TimeUnit.SECONDS))
                .isInstanceOf(ExecutionException.class).hasCauseInstanceOf(RaftFailedException.class);
        leader.close();
        RaftNode next = awaitLeader();
        assertThat(next.id()).isNotEqualTo(leader.id());
        next.submit("after".getBytes(StandardCharsets.UTF_8)).get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
    }

    /**
     * A node whose loop executor stopped, and to which nothing is posted (no peer reaches it: here a single node),
     * reads not live in {@code health()} without anything else calling it. Found by an outside probe: a node whose
     * Netty transport was closed under it read live and ready for as long as only health() was asked.
     */
    @Test
    void healthNoticesThatTheTransportStoppedRunningTheLoop() throws Exception {
        startCluster(1);
        write("w", 3);
        RaftNode node = awaitLeader();
        assertThat(node.health().ready()).isTrue();

        transports.get(node.id()).executor().shutdownNow();

        Await.until("health() to read not live", WAIT, () -> !node.health().live());
        assertThat(node.health().liveReason()).hasValueSatisfying(r -> assertThat(r)
                .contains("the transport stopped running the node loop"));
    }

    /**
     * A shutdown that drops the loop's pending turn ({@code shutdownNow} while the turn waits behind another task)
     * fails the node at the next post; before, every post took the turn for still pending, nothing noticed, and
     * {@code status()} waited 5 seconds and threw (a CI run of the test above).
     */
    @Test
    void aShutdownThatDropsThePendingTurnFailsTheNodeAtTheNextPost() throws Exception {
        startCluster(1);
        RaftNode node = awaitLeader();
        ScheduledExecutorService executor = transports.get(node.id()).executor();
        CountDownLatch blocking = new CountDownLatch(1);
        executor.execute(() -> {
            blocking.countDown();
            try {
                new CountDownLatch(1).await();                // until shutdownNow interrupts it
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        assertThat(blocking.await(5, TimeUnit.SECONDS)).isTrue();
        CompletableFuture<byte[]> queued = node.submit("queued".getBytes(StandardCharsets.UTF_8));   // a turn waits
        executor.shutdownNow();

        long begin = System.nanoTime();
        assertThat(node.status().state()).isEqualTo(NodeState.FAILED);
        assertThat(Duration.ofNanos(System.nanoTime() - begin)).isLessThan(Duration.ofSeconds(3));
        assertThatThrownBy(() -> queued.get(5, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class);
    }

    @Test
    void closeFromTheLoopThreadDoesNotWaitForItself() throws Exception {
        startCluster(3);
        RaftNode node = awaitLeader();
        transports.get(node.id()).executor().submit(node::close).get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        Await.until("the node to close", WAIT, () -> node.status().state() == NodeState.CLOSED);
    }
}
