package org.raftlib.internal.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;
import org.raftlib.LogEntry;
import org.raftlib.Member;
import org.raftlib.NodeState;
import org.raftlib.RaftClosedException;
import org.raftlib.RaftNode;
import org.raftlib.RaftOptions;
import org.raftlib.local.ForwardingLogStorage;
import org.raftlib.local.InMemoryLogStorage;
import org.raftlib.local.LocalTransport;
import org.raftlib.testkit.Await;
import org.raftlib.testkit.RecordingStateMachine;

/**
 * The client contract around {@code close()}: a command whose future fails with {@link RaftClosedException} was
 * certainly not appended. Submits race against {@code close()} many times; every command that reached the log must
 * have completed some other way (applied, or {@code IndeterminateResultException}).
 */
class SubmitCloseRaceTest {

    private static final int ROUNDS = 30;
    private static final int SUBMITTERS = 3;
    private static final Member N1 = Member.of("n1", "local-1");

    @Test
    void raftClosedExceptionMeansNeverAppended() throws Exception {
        int closedFailures = 0;
        for (int round = 0; round < ROUNDS; round++) {
            closedFailures += race(round);
        }
        assertThat(closedFailures).as("some submits lost the race to close()").isPositive();
    }

    /** Returns how many commands failed with RaftClosedException in this round. */
    private int race(int round) throws Exception {
        Set<Long> appended = ConcurrentHashMap.newKeySet();
        LocalTransport.Hub hub = LocalTransport.hub(round);
        RaftNode node = RaftNode.builder().id("n1").members(N1).stateMachine(new RecordingStateMachine())
                .logStorage(new RecordingStorage(appended)).transport(hub.transport()).randomSeed(round)
                .options(RaftOptions.defaults().withElectionTimeout(Duration.ofMillis(100))
                        .withHeartbeatInterval(Duration.ofMillis(20)))
                .build();
        List<List<CompletableFuture<byte[]>>> futures = new ArrayList<>();
        try {
            node.start();
            Await.until("n1 to lead", Duration.ofSeconds(10), () -> node.status().isLeader());
            CountDownLatch submitting = new CountDownLatch(SUBMITTERS);
            List<Thread> submitters = new ArrayList<>();
            for (int t = 0; t < SUBMITTERS; t++) {
                long base = t * 1_000_000L;
                List<CompletableFuture<byte[]>> mine = new ArrayList<>();
                futures.add(mine);
                Thread submitter = new Thread(() -> submitUntilClosed(node, base, mine, submitting),
                        "submitter-" + round + "-" + t);
                submitters.add(submitter);
                submitter.start();
            }
            submitting.await();
            node.close();
            for (Thread t : submitters) {
                t.join();
            }
        } finally {
            node.close();
            hub.close();
        }
        int closed = 0;
        for (int t = 0; t < futures.size(); t++) {
            List<CompletableFuture<byte[]>> mine = futures.get(t);
            for (int i = 0; i < mine.size(); i++) {
                if (failure(mine.get(i)) instanceof RaftClosedException) {
                    closed++;
                    long command = t * 1_000_000L + i;
                    assertThat(appended).as("round %d: command %d failed with RaftClosedException but was appended",
                            round, command).doesNotContain(command);
                }
            }
        }
        return closed;
    }

    /** Submits numbered commands until the node refuses them because it closed. */
    private static void submitUntilClosed(RaftNode node, long base, List<CompletableFuture<byte[]>> out,
            CountDownLatch submitting) {
        for (long i = 0; i < 20_000; i++) {
            CompletableFuture<byte[]> f = node.submit(ByteBuffer.allocate(Long.BYTES).putLong(base + i).array());
            out.add(f);
            if (i == 200) {
                submitting.countDown();
            }
            if (f.isCompletedExceptionally() && node.status().state() != NodeState.RUNNING) {
                break;
            }
        }
        submitting.countDown();
    }

    private static Throwable failure(CompletableFuture<byte[]> f) {
        Await.until("every future to complete", Duration.ofSeconds(10), f::isDone);
        try {
            f.join();
            return null;
        } catch (CompletionException e) {
            return e.getCause();
        } catch (java.util.concurrent.CancellationException e) {
            return e;
        }
    }

    /** Records the command of every entry appended, by the number it carries. */
    private static final class RecordingStorage extends ForwardingLogStorage {
        private final Set<Long> appended;

        RecordingStorage(Set<Long> appended) {
            super(new InMemoryLogStorage());
            this.appended = appended;
        }

        @Override
        public void append(List<LogEntry> entries) throws IOException {
            for (LogEntry e : entries) {
                if (e.data().length() == Long.BYTES) {
                    appended.add(e.data().asReadOnlyByteBuffer().getLong());
                }
            }
            super.append(entries);
        }
    }
}
