package org.raftlib.internal.runtime;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Bounds the requests in flight on one node. Requests past the bound are refused at once (back-pressure instead of
 * an unbounded queue). A slot is given back when raftlib is done with its request, not when the caller stops waiting
 * for it: see {@link PendingFuture}.
 */
final class PendingLimit {

    private final int max;
    private final AtomicInteger pending = new AtomicInteger();

    PendingLimit(int max) {
        this.max = max;
    }

    /**
     * Takes a slot for a new future, given back when raftlib completes the future or drops its request.
     *
     * @return the future, or {@code null} when all slots are taken
     */
    <T> CompletableFuture<T> tryAcquire() {
        while (true) {
            int n = pending.get();
            if (n >= max) {
                return null;
            }
            if (pending.compareAndSet(n, n + 1)) {
                return new PendingFuture<>(pending::decrementAndGet);
            }
        }
    }

    int max() {
        return max;
    }

    int inUse() {
        return pending.get();
    }
}
