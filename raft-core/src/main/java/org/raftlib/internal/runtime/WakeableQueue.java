package org.raftlib.internal.runtime;

import java.util.Collection;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;

/**
 * An unbounded queue with many producers and one consumer thread that parks when it is empty. Producers never take
 * a lock (a {@link java.util.concurrent.LinkedBlockingQueue}'s put lock showed up as contention between the client,
 * transport and worker threads) and unpark the consumer only when it is parked.
 *
 * @param <T> the element type
 */
final class WakeableQueue<T> {

    private final ConcurrentLinkedQueue<T> queue = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean parked = new AtomicBoolean();
    private volatile Thread consumer;

    /** Adds an element and wakes the consumer if it waits. Never blocks. */
    void offer(T item) {
        queue.offer(item);
        if (parked.get() && parked.compareAndSet(true, false)) {
            LockSupport.unpark(consumer);
        }
    }

    /**
     * Adds an element without waking the consumer: it is seen at the consumer's next wake-up, which the caller knows
     * comes soon enough (for example, the node loop wakes at every tick anyway). Saves a context switch.
     */
    void offerQuietly(T item) {
        queue.offer(item);
    }

    /** Returns the next element without waiting, or {@code null}. */
    T poll() {
        return queue.poll();
    }

    /**
     * Returns the next element, parking the calling (consumer) thread up to {@code nanos} while the queue is empty.
     * May return {@code null} early (a spurious wake-up); callers loop.
     *
     * @throws InterruptedException if the consumer was interrupted
     */
    T poll(long nanos) throws InterruptedException {
        T item = queue.poll();
        if (item != null || nanos <= 0) {
            return item;
        }
        consumer = Thread.currentThread();
        parked.set(true);
        item = queue.poll();
        if (item == null) {
            LockSupport.parkNanos(this, nanos);
            if (Thread.interrupted()) {
                parked.set(false);
                throw new InterruptedException();
            }
            item = queue.poll();
        }
        parked.set(false);
        return item;
    }

    /** Waits (without a deadline) for at least one element and moves up to {@code max} into {@code sink}. */
    void takeAll(Collection<? super T> sink, int max) throws InterruptedException {
        T first = null;
        while (first == null) {
            first = poll(Long.MAX_VALUE);
        }
        sink.add(first);
        moveUpTo(sink, max - 1);
    }

    /**
     * Waits up to about {@code nanos} for at least one element and moves up to {@code max} into {@code sink} (none if
     * the wait ran out, or a spurious wake-up ended it).
     */
    void takeAll(Collection<? super T> sink, int max, long nanos) throws InterruptedException {
        T first = poll(nanos);
        if (first != null) {
            sink.add(first);
            moveUpTo(sink, max - 1);
        }
    }

    private void moveUpTo(Collection<? super T> sink, int max) {
        for (int i = 0; i < max; i++) {
            T next = queue.poll();
            if (next == null) {
                return;
            }
            sink.add(next);
        }
    }

    /** Moves every element into {@code sink}, without waiting. */
    void drainTo(Collection<? super T> sink) {
        for (T item = queue.poll(); item != null; item = queue.poll()) {
            sink.add(item);
        }
    }
}
