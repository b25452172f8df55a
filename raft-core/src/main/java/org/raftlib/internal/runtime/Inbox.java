package org.raftlib.internal.runtime;


/**
 * The queue through which every other thread reaches a node's loop. Unbounded; producers never block. A loop on its
 * own thread parks on it; a loop driven by an executor installs a {@linkplain #driveWith wake-up} that schedules its
 * next turn instead.
 */
final class Inbox {

    private final WakeableQueue<Object> queue = new WakeableQueue<>();
    private volatile Runnable wakeup;

    /** Posts a message or an {@link Event}. */
    void post(Object item) {
        Runnable w = wakeup;
        if (w == null) {
            queue.offer(item);
        } else {
            queue.offerQuietly(item);
            w.run();
        }
    }

    /** Posts without waking the loop; it is handled at the loop's next wake-up, at the latest the next tick. */
    void postQuietly(Object item) {
        queue.offerQuietly(item);
    }

    /** From now on every {@link #post} runs {@code wakeup} instead of unparking a consumer thread. */
    void driveWith(Runnable wakeup) {
        this.wakeup = wakeup;
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
