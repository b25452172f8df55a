package org.raftlib.internal.runtime;

import org.raftlib.internal.core.CoreInspection;
import org.raftlib.internal.core.RaftCore;

/**
 * Lets {@link org.raftlib.ReadMode#LEASE} reads skip the loop while the leader's lease holds: the loop publishes, in
 * real time, until when the lease holds and the read index a read would get, and the calling thread hands the read
 * straight to the apply thread. Serving at the published index is linearizable because the loop publishes before it
 * hands newly committed entries to the apply thread or sends any message of the turn: a write acknowledged before the
 * read was called (by this node's apply thread, or by a follower that learnt the commit from a message) has an index
 * at most the published one; and the published deadline is no later than the lease the core would grant, converted
 * with the monotonic clock, so a stalled loop cannot extend it. Everything else (no lease, a transfer, TimeoutNow
 * sent, stepped down) publishes "closed", and the read takes the loop's path.
 */
final class LeaseGate {

    private record State(long validUntilNanos, long readIndex) {
    }

    private static final State CLOSED = new State(0, -1);

    private final long tickNanos;
    private volatile State state = CLOSED;

    LeaseGate(long tickNanos) {
        this.tickNanos = tickNanos;
    }

    /**
     * Publishes the core's lease; called on the loop thread before it acts on a Ready. {@code lastTickNanos} is the
     * scheduled time of the core's last tick: the round that started the lease opened no earlier than the scheduled
     * time of its own tick, and ticks are never scheduled closer than a tick apart, so the lease, which the core ends
     * {@code remaining} ticks after its last one, ends no earlier in real time than {@code lastTickNanos +
     * remaining * tick}. One more tick is taken off.
     */
    void publish(RaftCore core, long lastTickNanos) {
        long remaining = CoreInspection.leaseRemainingTicks(core);
        if (remaining <= 1) {
            state = CLOSED;
            return;
        }
        State s = state;
        long index = CoreInspection.leaderReadIndex(core);
        long until = lastTickNanos + (remaining - 1) * tickNanos;
        if (s.readIndex() != index || s.validUntilNanos() != until) {
            state = new State(until, index);
        }
    }

    /** No lease reads off the loop from now on (the node stops). */
    void close() {
        state = CLOSED;
    }

    /**
     * Returns the read index to serve a lease read at, or -1 if the lease may not hold at {@code nowNanos}.
     *
     * @param nowNanos {@link System#nanoTime()} taken when the read was called
     */
    long readIndexAt(long nowNanos) {
        State s = state;
        return s.validUntilNanos() - nowNanos > 0 ? s.readIndex() : -1;
    }
}
