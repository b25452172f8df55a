package org.raftlib.runtime;

import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** The queue through which every other thread reaches a node's loop. Unbounded; producers never block. */
final class Inbox {

    private final LinkedBlockingQueue<Object> queue = new LinkedBlockingQueue<>();

    /** Posts a message or an {@link Event}. */
    void post(Object item) {
        queue.offer(item);
    }

    /** Returns the next item, waiting up to {@code nanos}; {@code null} if none came. */
    Object poll(long nanos) throws InterruptedException {
        return nanos <= 0 ? queue.poll() : queue.poll(nanos, TimeUnit.NANOSECONDS);
    }

    /** Returns the next item without waiting, or {@code null}. */
    Object pollNow() {
        return queue.poll();
    }
}
