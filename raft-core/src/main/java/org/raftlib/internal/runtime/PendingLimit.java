package org.raftlib.internal.runtime;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Bounds the requests in flight on one node. Requests past the bound are refused at once (back-pressure instead of
 * an unbounded queue). A slot is released however its future completes, including a caller's {@code cancel}.
 */
final class PendingLimit {

    private final int max;
    private final AtomicInteger pending = new AtomicInteger();

    PendingLimit(int max) {
        this.max = max;
    }

    /**
     * Takes a slot for a new future, released when the future completes.
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
                CompletableFuture<T> future = new CompletableFuture<>();
                future.whenComplete((r, e) -> pending.decrementAndGet());
                return future;
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
