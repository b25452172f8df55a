package org.raftlib.internal.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.CancellationException;
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

    private final PendingLimit limit = new PendingLimit(2, 1 << 20);

    @Test
    void aFullLimitRefusesAndRaftlibsAnswerGivesTheSlotBackAndReachesTheCaller() throws Exception {
        CompletableFuture<byte[]> a = limit.tryAcquire(0);
        CompletableFuture<byte[]> b = limit.tryAcquire(0);

        assertThat(limit.<byte[]>tryAcquire(0)).isNull();
        a.complete(new byte[] {1});
        b.completeExceptionally(new IllegalStateException("refused"));

        assertThat(limit.inUse()).isZero();
        assertThat(PendingFuture.callerOf(a).get()).containsExactly(1);
        assertThatThrownBy(() -> PendingFuture.callerOf(b).get()).hasCauseInstanceOf(IllegalStateException.class);
    }

    @Test
    void whateverTheCallerDoesWithItsFutureTheSlotStaysUntilRaftlibIsDone() throws Exception {
        CompletableFuture<byte[]> cancelled = limit.tryAcquire(0);
        CompletableFuture<byte[]> ownFailure = limit.tryAcquire(0);

        assertThat(PendingFuture.callerOf(cancelled).cancel(false)).isTrue();
        PendingFuture.callerOf(ownFailure).completeExceptionally(new TimeoutException("the caller's own timer"));
        assertThat(limit.inUse()).as("given up on, still on their way").isEqualTo(2);
        assertThat(limit.<byte[]>tryAcquire(0)).isNull();
        assertThat(PendingFuture.abandoned(cancelled)).isTrue();

        cancelled.complete(new byte[] {1});                  // raftlib's late answers
        ownFailure.complete(new byte[] {2});
        assertThat(limit.inUse()).isZero();
        assertThat(PendingFuture.callerOf(cancelled).isCancelled()).isTrue();
        assertThatThrownBy(() -> PendingFuture.callerOf(ownFailure).get())
                .hasCauseInstanceOf(TimeoutException.class);
    }

    @Test
    void aCallersTimeoutKeepsTheSlot() {
        CompletableFuture<byte[]> f = limit.tryAcquire(0);
        CompletableFuture<byte[]> timed = PendingFuture.callerOf(f).orTimeout(1, TimeUnit.MILLISECONDS);

        assertThatThrownBy(() -> timed.get(5, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                .hasCauseInstanceOf(TimeoutException.class);
        assertThat(limit.inUse()).isEqualTo(1);
        f.completeExceptionally(new IllegalStateException("late"));
        assertThat(limit.inUse()).isZero();
    }

    @Test
    void aDroppedRequestGivesItsSlotBack() {
        CompletableFuture<byte[]> f = limit.tryAcquire(0);
        assertThat(PendingFuture.abandoned(f)).isFalse();
        PendingFuture.callerOf(f).cancel(false);

        f.cancel(false);                                     // what the loop does with an abandoned request

        assertThat(limit.inUse()).isZero();
        assertThatThrownBy(() -> PendingFuture.callerOf(f).join()).isInstanceOf(CancellationException.class);
        CompletableFuture<byte[]> plain = new CompletableFuture<>();
        assertThat(PendingFuture.callerOf(plain)).as("not a slot's future: its own").isSameAs(plain);
    }

    /**
     * Commands count by bytes too (an outside probe ran 64 MiB nodes out of memory with 500 KB commands well under the
     * count bound); one command is always admitted when none is pending, whatever its size.
     */
    @Test
    void commandsAreBoundedByTheirBytesToo() {
        PendingLimit bytes = new PendingLimit(10, 1000);
        CompletableFuture<byte[]> a = bytes.tryAcquire(600);

        assertThat(bytes.<byte[]>tryAcquire(600)).as("past the bytes").isNull();
        assertThat(bytes.inUse()).as("the refused one took no slot").isEqualTo(1);
        CompletableFuture<byte[]> b = bytes.tryAcquire(300);
        assertThat(bytes.bytesInUse()).isEqualTo(900);
        a.complete(new byte[0]);
        b.cancel(false);
        assertThat(bytes.bytesInUse()).isZero();
        assertThat(bytes.inUse()).isZero();

        CompletableFuture<byte[]> big = bytes.tryAcquire(5000);
        assertThat(big).as("alone, a command larger than the bound").isNotNull();
        assertThat(bytes.<byte[]>tryAcquire(1)).isNull();
        big.complete(new byte[0]);
        assertThat(bytes.<byte[]>tryAcquire(1)).isNotNull();
    }
}
