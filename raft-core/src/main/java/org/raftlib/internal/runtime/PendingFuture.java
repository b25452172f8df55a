package org.raftlib.internal.runtime;

import java.util.concurrent.CompletableFuture;

/**
 * raftlib's own future of a request that holds a slot of {@link PendingLimit}, apart from the one its caller gets
 * ({@link #caller}). Only raftlib completes this one; its completion gives the slot back and then completes the
 * caller's future with the same outcome, unless the caller already completed it. So whatever a caller does with its
 * future ({@code cancel}, {@code orTimeout}, {@code completeExceptionally} of its own), the slot stays taken while the
 * command or read is still on its way (in the inbox, the log or the apply queue), and
 * {@link org.raftlib.RaftOptions#maxPendingRequests()} bounds the work in flight. (When a caller's cancel gave the slot
 * back, a caller that timed out each command after a millisecond queued commands without bound and ran the node out
 * of memory: outside probe.) raftlib drops a request its caller gave up on before it was proposed or asked for
 * ({@link #abandoned}) by cancelling this future, which gives the slot back too.
 *
 * @param <T> the result type
 */
final class PendingFuture<T> extends CompletableFuture<T> {

    private final CompletableFuture<T> caller = new CompletableFuture<>();

    PendingFuture(Runnable giveBack) {
        whenComplete((result, error) -> {
            giveBack.run();
            if (error == null) {
                caller.complete(result);
            } else {
                caller.completeExceptionally(error);
            }
        });
    }

    /** Returns the future the caller gets for {@code future}: its own if it holds a slot, else {@code future}. */
    static <T> CompletableFuture<T> callerOf(CompletableFuture<T> future) {
        return future instanceof PendingFuture<T> p ? p.caller : future;
    }

    /**
     * Returns whether nobody waits for {@code future} any more: raftlib completed it, or its caller completed the
     * caller's future (cancelled it, timed it out); such a request not yet proposed or asked for is dropped.
     */
    static boolean abandoned(CompletableFuture<?> future) {
        return future.isDone() || future instanceof PendingFuture<?> p && p.caller.isDone();
    }
}
