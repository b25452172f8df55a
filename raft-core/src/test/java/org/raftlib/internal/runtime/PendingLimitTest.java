package org.raftlib.internal.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;

/**
 * A slot of {@link PendingLimit} is given back when raftlib is done with its request, not when the caller stops
 * waiting (an outside probe timed each command out after a millisecond, kept submitting 1 MiB commands past a limit of
 * 8 and ran the node out of memory).
 */
class PendingLimitTest {

    private final PendingLimit limit = new PendingLimit(2);

    @Test
    void aFullLimitRefusesAndRaftlibsAnswerGivesTheSlotBack() {
        CompletableFuture<byte[]> a = limit.tryAcquire();
        CompletableFuture<byte[]> b = limit.tryAcquire();

        assertThat(limit.<byte[]>tryAcquire()).isNull();
        a.complete(new byte[0]);
        b.completeExceptionally(new IllegalStateException("refused"));

        assertThat(limit.inUse()).isZero();
    }

    @Test
    void aCallersCancelKeepsTheSlotUntilRaftlibIsDone() {
        CompletableFuture<byte[]> a = limit.tryAcquire();
        limit.tryAcquire();

        assertThat(a.cancel(false)).isTrue();
        assertThat(limit.inUse()).as("cancelled, still on its way").isEqualTo(2);
        assertThat(limit.<byte[]>tryAcquire()).isNull();

        assertThat(a.complete(new byte[] {1})).as("raftlib's late answer").isFalse();
        assertThat(a.isCancelled()).isTrue();
        assertThat(limit.inUse()).isEqualTo(1);
    }

    @Test
    void aCallersTimeoutKeepsTheSlotUntilRaftlibIsDone() throws Exception {
        CompletableFuture<byte[]> timed = limit.<byte[]>tryAcquire().orTimeout(1, TimeUnit.MILLISECONDS);
        CompletableFuture<byte[]> defaulted = limit.<byte[]>tryAcquire()
                .completeOnTimeout(new byte[] {7}, 1, TimeUnit.MILLISECONDS);

        assertThatThrownBy(() -> timed.get(5, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                .hasCauseInstanceOf(TimeoutException.class);
        assertThat(defaulted.get(5, TimeUnit.SECONDS)).containsExactly(7);
        assertThat(limit.inUse()).as("timed out, still on their way").isEqualTo(2);

        timed.completeExceptionally(new IllegalStateException("raftlib's late failure"));
        defaulted.complete(new byte[] {1});
        assertThat(limit.inUse()).isZero();
    }

    @Test
    void aTimeoutThatDoesNotFireLeavesTheAnswer() throws Exception {
        CompletableFuture<byte[]> f = limit.<byte[]>tryAcquire().orTimeout(Duration.ofMinutes(5).toMillis(),
                TimeUnit.MILLISECONDS);

        f.complete(new byte[] {3});

        assertThat(f.get(5, TimeUnit.SECONDS)).containsExactly(3);
        assertThat(limit.inUse()).isZero();
    }

    @Test
    void aDroppedRequestGivesItsSlotBackOnce() {
        CompletableFuture<byte[]> a = limit.tryAcquire();
        a.cancel(false);

        PendingFuture.release(a);
        PendingFuture.release(a);
        a.completeExceptionally(new IllegalStateException("late"));

        assertThat(limit.inUse()).isZero();
        PendingFuture.release(new CompletableFuture<>());   // not a slot's future: nothing to give back
        assertThat(limit.inUse()).isZero();
    }
}
