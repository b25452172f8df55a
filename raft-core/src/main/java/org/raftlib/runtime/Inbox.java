package org.raftlib.runtime;


/** The queue through which every other thread reaches a node's loop. Unbounded; producers never block. */
final class Inbox {

    private final WakeableQueue<Object> queue = new WakeableQueue<>();

    /** Posts a message or an {@link Event}. */
    void post(Object item) {
        queue.offer(item);
    }

    /** Posts without waking the loop; it is handled at the loop's next wake-up, at the latest the next tick. */
    void postQuietly(Object item) {
        queue.offerQuietly(item);
    }

    /** Returns the next item, waiting up to {@code nanos}; {@code null} if none came. */
    Object poll(long nanos) throws InterruptedException {
        return queue.poll(nanos);
    }

    /** Returns the next item without waiting, or {@code null}. */
    Object pollNow() {
        return queue.poll();
    }
}
