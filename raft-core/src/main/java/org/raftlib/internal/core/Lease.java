package org.raftlib.internal.core;

import java.util.ArrayDeque;

/**
 * A leader's lease (Raft thesis §6.4.1), counted in this leader's ticks. Every confirmation round of the
 * {@link ReadIndexQueue} remembers the tick it was opened at; once a quorum has echoed round {@code s}, each member of
 * that quorum heard from this leader after that tick, and (see {@link TermRules#onHigherTerm}) grants no vote for an
 * election timeout after hearing from a leader. So no other leader can be elected until about an election timeout
 * after the opening tick of the latest round a quorum echoed. The lease ends {@code leaseTicks} after that tick, where
 * {@code leaseTicks} is the election timeout shortened for clock drift and tick rounding
 * ({@link CoreConfig#leaseTicksFor}).
 *
 * <p>A lease is broken for the rest of the term once this leader sent TimeoutNow: the transfer target campaigns at
 * once and voters ignore their own leases for it.
 */
final class Lease {

    private final int leaseTicks;
    private final ArrayDeque<long[]> opened = new ArrayDeque<>();
    private long now;
    private long confirmedAt = Long.MIN_VALUE;
    private boolean broken;

    /** @param leaseTicks the lease's length; 0 turns leases off */
    Lease(int leaseTicks) {
        this.leaseTicks = leaseTicks;
    }

    boolean enabled() {
        return leaseTicks > 0;
    }

    void tick() {
        now++;
    }

    void advance(int ticks) {
        now += Math.max(0, ticks);
    }

    /** Confirmation round {@code seq} was opened now; heartbeats and AppendEntries carry it from now on. */
    void roundOpened(long seq) {
        if (enabled()) {
            opened.add(new long[] {seq, now});
        }
    }

    /** A quorum has echoed round {@code quorumSeq} (or a later one). */
    void onQuorumSeq(long quorumSeq) {
        while (!opened.isEmpty() && opened.peek()[0] <= quorumSeq) {
            confirmedAt = opened.remove()[1];
        }
    }

    /** Whether this leader may answer reads from its state without a round: no other leader can exist now. */
    boolean holds() {
        return enabled() && !broken && confirmedAt != Long.MIN_VALUE && now - confirmedAt < leaseTicks;
    }

    /** How many more ticks of the lease clock the lease holds for (0 if it does not hold now). */
    long remaining() {
        return holds() ? leaseTicks - (now - confirmedAt) : 0;
    }

    /** The lease clock: this leader's ticks, counting those missed in stalls. */
    long now() {
        return now;
    }

    /** TimeoutNow went out: no lease for the rest of this term. */
    void breakForTransfer() {
        broken = true;
    }
}
