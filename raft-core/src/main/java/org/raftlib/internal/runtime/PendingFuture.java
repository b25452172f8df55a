package org.raftlib.internal.runtime;

import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.raftlib.internal.session.DaemonTimer;

/**
 * The future of a request that holds a slot of {@link PendingLimit}: the slot is given back when raftlib is done with
 * the request, not when the caller stops waiting for it. raftlib is done when it completes the future
 * ({@link #complete}, {@link #completeExceptionally}: an answer, a refusal, a failure) or drops a request its caller
 * gave up on before it was proposed ({@link #release}). A caller's {@code cancel}, {@code orTimeout} or
 * {@code completeOnTimeout} completes the future for the caller but keeps the slot while the command or read is still
 * on its way (in the inbox, the log or the apply queue), so {@link org.raftlib.RaftOptions#maxPendingRequests()}
 * bounds the work in flight whatever callers do with their futures. (When callers' cancels gave slots back, a caller
 * that timed out each command after a millisecond queued commands without bound and ran the node out of memory.)
 *
 * <p>Dependent futures ({@code thenApply} and the like) are plain {@link CompletableFuture}s.
 *
 * @param <T> the result type
 */
final class PendingFuture<T> extends CompletableFuture<T> {

    private final Runnable giveBack;
    private final AtomicBoolean released = new AtomicBoolean();

    PendingFuture(Runnable giveBack) {
        this.giveBack = giveBack;
    }

    /**
     * Gives back the slot of {@code future} if it holds one that was not given back yet: for a request dropped
     * because its caller completed it before it was proposed.
     */
    static void release(CompletableFuture<?> future) {
        if (future instanceof PendingFuture<?> p) {
            p.release();
        }
    }

    private void release() {
        if (released.compareAndSet(false, true)) {
            giveBack.run();
        }
    }

    /** raftlib's answer: gives the slot back, then completes the future unless the caller already did. */
    @Override
    public boolean complete(T value) {
        release();
        return super.complete(value);
    }

    /** raftlib's refusal or failure: gives the slot back, then completes the future unless the caller already did. */
    @Override
    public boolean completeExceptionally(Throwable ex) {
        release();
        return super.completeExceptionally(ex);
    }

    /** As {@link CompletableFuture#orTimeout}, keeping the slot until raftlib is done with the request. */
    @Override
    public CompletableFuture<T> orTimeout(long timeout, TimeUnit unit) {
        Objects.requireNonNull(unit, "unit");
        if (!isDone()) {
            ScheduledFuture<?> timer = DaemonTimer.INSTANCE.schedule(
                    () -> super.completeExceptionally(new TimeoutException()), timeout, unit);
            whenComplete((r, e) -> timer.cancel(false));
        }
        return this;
    }

    /** As {@link CompletableFuture#completeOnTimeout}, keeping the slot until raftlib is done with the request. */
    @Override
    public CompletableFuture<T> completeOnTimeout(T value, long timeout, TimeUnit unit) {
        Objects.requireNonNull(unit, "unit");
        if (!isDone()) {
            ScheduledFuture<?> timer = DaemonTimer.INSTANCE.schedule(() -> super.complete(value), timeout, unit);
            whenComplete((r, e) -> timer.cancel(false));
        }
        return this;
    }
}
