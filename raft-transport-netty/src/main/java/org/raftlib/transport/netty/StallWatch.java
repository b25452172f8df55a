package org.raftlib.transport.netty;

/**
 * The sending side's half of stall detection for one outbound channel: the bytes written into it (handshake and
 * frames, length prefixes included), the bytes the peer acknowledged by receipt ({@link ReceiptWriter}), and since
 * when the connection has waited for an acknowledgement without getting one. A connection that has nothing
 * unacknowledged is never stalled, however long it stays quiet.
 *
 * <p>Not thread-safe: confined to the channel's event loop. Invariant: {@code 0 <= acknowledged <= written}.
 */
final class StallWatch {

    private long written;
    private long acknowledged;
    private long waitingSinceNanos;      // when the oldest progress-less wait began; meaningful while written > acked
    private boolean receiptSeen;

    /** Records {@code bytes} written at {@code nowNanos}; the wait starts with the first unacknowledged byte. */
    void wrote(int bytes, long nowNanos) {
        if (written == acknowledged) {
            waitingSinceNanos = nowNanos;
        }
        written += bytes;
    }

    /**
     * Records a receipt for {@code count} bytes at {@code nowNanos}; a count above what was written (a broken peer)
     * acknowledges what was written. Any advance is progress and restarts the wait.
     */
    void receipt(long count, long nowNanos) {
        receiptSeen = true;
        long upTo = Math.min(count, written);
        if (upTo > acknowledged) {
            acknowledged = upTo;
            waitingSinceNanos = nowNanos;
        }
    }

    /** Returns whether a receipt arrived on this channel: the peer sends them. */
    boolean receiptSeen() {
        return receiptSeen;
    }

    /** Returns the bytes written and not yet acknowledged. */
    long unacknowledged() {
        return written - acknowledged;
    }

    /** Returns how long the channel has held unacknowledged bytes without progress at {@code nowNanos}; 0 if none. */
    long stalledNanos(long nowNanos) {
        return written == acknowledged ? 0 : nowNanos - waitingSinceNanos;
    }
}
