package org.raftlib.internal.runtime;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Bounds the requests in flight on one node, by count and by the bytes of their commands. Requests past a bound are
 * refused at once (back-pressure instead of an unbounded queue). A slot is given back when raftlib is done with its
 * request, not when the caller stops waiting for it: see {@link PendingFuture}. One request is always admitted when
 * no bytes are pending, whatever its size.
 */
final class PendingLimit {

    private final int max;
    private final long maxBytes;
    private final AtomicInteger pending = new AtomicInteger();
    private final AtomicLong pendingBytes = new AtomicLong();

    PendingLimit(int max, long maxBytes) {
        this.max = max;
        this.maxBytes = maxBytes;
    }

    /**
     * Takes a slot for a new future, given back when raftlib completes the future or drops its request.
     *
     * @param bytes the size of the request's command (0 for a read)
     * @return the future, or {@code null} when all slots or bytes are taken
     */
    <T> CompletableFuture<T> tryAcquire(long bytes) {
        while (true) {
            int n = pending.get();
            if (n >= max) {
                return null;
            }
            if (pending.compareAndSet(n, n + 1)) {
                break;
            }
        }
        long before = pendingBytes.getAndAdd(bytes);
        if (before > 0 && before + bytes > maxBytes) {
            pendingBytes.addAndGet(-bytes);
            pending.decrementAndGet();
            return null;
        }
        return new PendingFuture<>(() -> {
            pendingBytes.addAndGet(-bytes);
            pending.decrementAndGet();
        });
    }

    int max() {
        return max;
    }

    long maxBytes() {
        return maxBytes;
    }

    int inUse() {
        return pending.get();
    }

    long bytesInUse() {
        return pendingBytes.get();
    }
}
