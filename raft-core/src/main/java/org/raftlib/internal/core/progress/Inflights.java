package org.raftlib.internal.core.progress;

/**
 * The AppendEntries messages a leader has sent to one follower and not yet seen acknowledged, as a ring buffer of
 * the last index each message carried. Bounded by a message count and a byte budget.
 *
 * <p>Invariant: the indexes held are strictly increasing from the oldest to the newest.
 */
public final class Inflights {

    private final long[] lastIndexes;
    private final long[] sizes;
    private final long maxBytes;
    private int start;
    private int count;
    private long bytes;

    /**
     * Creates an empty window.
     *
     * @param maxMessages the most messages in flight, at least 1
     * @param maxBytes the most bytes in flight, at least 1; one message is always allowed
     * @throws IllegalArgumentException if a limit is less than 1
     */
    public Inflights(int maxMessages, long maxBytes) {
        if (maxMessages < 1 || maxBytes < 1) {
            throw new IllegalArgumentException("limits must be positive: " + maxMessages + ", " + maxBytes);
        }
        this.lastIndexes = new long[maxMessages];
        this.sizes = new long[maxMessages];
        this.maxBytes = maxBytes;
    }

    /**
     * Records a message carrying entries up to {@code lastIndex}.
     *
     * @param lastIndex the last index carried; greater than any index held
     * @param size the message's size in bytes
     * @throws IllegalStateException if the window is full or {@code lastIndex} does not increase
     */
    public void add(long lastIndex, long size) {
        if (isFull()) {
            throw new IllegalStateException("inflight window is full");
        }
        if (count > 0 && lastIndex <= lastIndexes[(start + count - 1) % lastIndexes.length]) {
            throw new IllegalStateException("inflight index " + lastIndex + " does not increase");
        }
        int slot = (start + count) % lastIndexes.length;
        lastIndexes[slot] = lastIndex;
        sizes[slot] = size;
        count++;
        bytes += size;
    }

    /**
     * Frees every message whose last index is at most {@code index} (it has been acknowledged).
     *
     * @param index the acknowledged index
     */
    public void freeLE(long index) {
        while (count > 0 && lastIndexes[start] <= index) {
            bytes -= sizes[start];
            start = (start + 1) % lastIndexes.length;
            count--;
        }
    }

    /** Frees the oldest message, if any, so a stalled window can probe again. */
    public void freeFirstOne() {
        if (count > 0) {
            freeLE(lastIndexes[start]);
        }
    }

    /** Forgets every message. */
    public void reset() {
        start = 0;
        count = 0;
        bytes = 0;
    }

    /** Returns whether no further message may be sent. */
    public boolean isFull() {
        return count == lastIndexes.length || bytes >= maxBytes;
    }

    /** Returns the number of messages in flight. */
    public int count() {
        return count;
    }
}
