package org.raftlib.internal.session;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.raftlib.Bytes;
import org.raftlib.IndeterminateResultException;
import org.raftlib.NodeId;
import org.raftlib.NotLeaderException;
import org.raftlib.NotMemberException;
import org.raftlib.SessionExpiredException;
import org.raftlib.testkit.Await;

/** What a client session does before anything reaches the log. */
class SessionClientTest {

    private static final SessionClient.Policy POLICY = new SessionClient.Policy(Duration.ofMinutes(1),
            Duration.ofSeconds(10), Duration.ofMillis(100), 1 << 20, true);

    /**
     * A session resumed at the last sequence number refuses the command that would wrap the counter (found by a
     * probe: the sequence after Long.MAX_VALUE went negative, and submit threw 'bad session command header').
     */
    @Test
    void aSessionOutOfSequenceNumbersFailsItsCommandsCleanly() {
        List<Bytes> sent = new ArrayList<>();
        SessionClient c = SessionClient.resume((type, data) -> {
            sent.add(data);
            return CompletableFuture.completedFuture(new byte[0]);
        }, POLICY, 7, Long.MAX_VALUE - 1);

        c.submit(new byte[] {1});
        CompletableFuture<byte[]> last = c.submit(new byte[] {2});

        assertThat(sent).hasSize(1);
        assertThatThrownBy(last::get).isInstanceOf(ExecutionException.class)
                .hasCauseInstanceOf(SessionExpiredException.class);
    }

    /**
     * A refusal after an attempt whose outcome is unknown proves nothing about that attempt: the command fails as
     * indeterminate, not with the refusal. Found by the fault suite: a removed leader's session retried a write whose
     * first attempt it had appended, got NotMemberException for the second, and the KV example answered "not applied"
     * for a delete that was applied.
     */
    @Test
    void aRefusalAfterAnUnknownOutcomeIsIndeterminate() {
        List<CompletableFuture<byte[]>> answers = List.of(
                CompletableFuture.failedFuture(new IndeterminateResultException("lost leadership")),
                CompletableFuture.failedFuture(new NotMemberException(NodeId.of("n2"), 9)));
        List<Bytes> sent = new ArrayList<>();
        SessionClient c = SessionClient.resume((type, data) -> {
            sent.add(data);
            return answers.get(sent.size() - 1);
        }, POLICY, 7, 1);

        CompletableFuture<byte[]> result = c.submit(new byte[] {1});

        assertThatThrownBy(() -> result.get(10, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                .cause().isInstanceOf(IndeterminateResultException.class)
                .hasCauseInstanceOf(NotMemberException.class);
        assertThat(sent).hasSize(2);

        SessionClient fresh = SessionClient.resume((type, data) -> CompletableFuture.failedFuture(
                new NotMemberException(NodeId.of("n2"), 9)), POLICY, 8, 1);
        assertThatThrownBy(() -> fresh.submit(new byte[] {1}).get(10, TimeUnit.SECONDS))
                .as("a refusal of the only attempt is definite").cause().isInstanceOf(NotMemberException.class);
    }

    /**
     * Retries that run out after every attempt was refused fail with the refusal: the entry was not applied. Found
     * by a probe: a session on a node that knew no leader failed after sessionTimeout as indeterminate ("may or may
     * not have been applied"), though NotLeaderException says the command never took effect. Only an attempt whose
     * outcome is unknown makes running out indeterminate.
     */
    @Test
    void retriesThatRunOutAfterRefusalsOnlyFailWithTheRefusal() {
        SessionClient.Policy brief = new SessionClient.Policy(Duration.ofMillis(150), Duration.ofSeconds(10),
                Duration.ofMillis(20), 1 << 20, true);
        List<Bytes> sent = new ArrayList<>();
        SessionClient.Submitter noLeader = (type, data) -> {
            sent.add(data);
            return CompletableFuture.failedFuture(new NotLeaderException(NodeId.of("n2"), Optional.empty()));
        };

        assertThatThrownBy(() -> SessionClient.resume(noLeader, brief, 7, 1).submit(new byte[] {1})
                .get(10, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class).cause()
                .isExactlyInstanceOf(NotLeaderException.class).hasMessageContaining("no leader known");
        assertThat(sent).as("retried until the session timeout").hasSizeGreaterThan(1);
        assertThatThrownBy(() -> SessionClient.open(noLeader, brief).get(10, TimeUnit.SECONDS))
                .as("a registration too").cause().isExactlyInstanceOf(NotLeaderException.class);

        List<CompletableFuture<byte[]>> unknownFirst = new ArrayList<>(List.of(
                CompletableFuture.failedFuture(new IndeterminateResultException("lost leadership"))));
        SessionClient c = SessionClient.resume((type, data) -> unknownFirst.isEmpty() ? noLeader.submit(type, data)
                : unknownFirst.remove(0), brief, 8, 1);
        assertThatThrownBy(() -> c.submit(new byte[] {1}).get(10, TimeUnit.SECONDS))
                .as("refusals after an unknown outcome prove nothing").cause()
                .isInstanceOf(IndeterminateResultException.class).hasCauseInstanceOf(NotLeaderException.class);
    }

    /**
     * The JVM-wide timer's thread ends once nothing is scheduled, so no thread outlives the sessions (it stayed for
     * the life of the JVM, holding the class loader of an undeployed application). A timer of its own here: other
     * tests' sessions share the JVM-wide one.
     */
    @Test
    void theTimerThreadEndsWhenNothingIsScheduled() throws Exception {
        ScheduledThreadPoolExecutor timer = DaemonTimer.create();
        try {
            ScheduledFuture<?> attemptTimeout = timer.schedule(() -> { }, 10, TimeUnit.SECONDS);
            timer.schedule(() -> { }, 0, TimeUnit.MILLISECONDS).get(10, TimeUnit.SECONDS);
            assertThat(timer.getPoolSize()).as("a thread while something is scheduled").isEqualTo(1);
            Await.holdsFor("the thread waiting for what is scheduled",
                    Duration.ofSeconds(DaemonTimer.IDLE_SECONDS + 1), () -> timer.getPoolSize() == 1);

            attemptTimeout.cancel(false);
            Await.until("the timer thread to end", Duration.ofSeconds(DaemonTimer.IDLE_SECONDS + 20),
                    () -> timer.getPoolSize() == 0);
        } finally {
            timer.shutdownNow();
        }
    }

    /**
     * A command whose future the caller cancels (or completes itself) gives its place back: the session's later
     * commands tell the table they abandoned it. Found by an outside probe: cancelled while a retry was pending, its
     * sequence number stayed "waiting", and 1,023 commands later every submit failed with OverloadedException for
     * good (the KV example cancels a write after its 5 s HTTP timeout, so a node refused all writes until restarted).
     */
    @Test
    void aCancelledCommandGivesItsPlaceBack() throws Exception {
        SessionClient.Policy quick = new SessionClient.Policy(Duration.ofMinutes(1), Duration.ofMillis(20),
                Duration.ofMillis(20), 1 << 20, true);
        List<SessionEntries.Entry> sent = new ArrayList<>();
        CompletableFuture<byte[]> never = new CompletableFuture<>();
        SessionClient c = SessionClient.resume((type, data) -> {
            SessionEntries.Entry e = SessionEntries.decode(data);
            synchronized (sent) {
                sent.add(e);
            }
            return e.sequence() == 1 ? never : CompletableFuture.completedFuture(new byte[] {1});
        }, quick, 7, 1);

        CompletableFuture<byte[]> stuck = c.submit(new byte[] {0});
        Await.until("a retry of the unanswered command", Duration.ofSeconds(10), () -> {
            synchronized (sent) {
                return sent.size() >= 2;
            }
        });
        stuck.cancel(false);
        CompletableFuture<byte[]> answered = null;
        for (int i = 0; i < SessionClient.MAX_IN_FLIGHT + 10; i++) {
            answered = c.submit(new byte[] {1});
            assertThat(answered.get(10, TimeUnit.SECONDS)).as("command %d after the cancelled one", i + 2)
                    .containsExactly(1);
        }
        SessionEntries.Entry last;
        synchronized (sent) {
            last = sent.get(sent.size() - 1);
        }
        assertThat(last.ackBelow()).as("the cancelled command is abandoned, not waited for").isGreaterThan(1);
    }
}
