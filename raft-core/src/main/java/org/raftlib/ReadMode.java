package org.raftlib;

/** How {@link RaftNode#query} orders a read against writes. */
public enum ReadMode {
    /**
     * Linearizable (Raft thesis §6.4, ReadIndex): served by the leader after it confirmed with a round of heartbeats
     * that it still leads and its state machine has applied everything committed when the read arrived. Sees every
     * write acknowledged before the query was issued. On a follower, the follower asks the leader for that read index
     * (over the Raft transport) and serves the read once it has applied that far; with
     * {@link RaftOptions#forwarding()} off it fails there with {@link NotLeaderException}.
     */
    LINEARIZABLE,
    /**
     * Linearizable under the leader's lease (Raft thesis §6.4.1): served by the leader without a round trip while a
     * quorum acknowledged its heartbeats within the lease, which ends before any other node could be elected; falls
     * back to {@link #LINEARIZABLE}'s heartbeat round when the lease does not hold (just elected, a quorum silent,
     * CheckQuorum off); refused with {@link NotLeaderException} during a leadership transfer, as new commands are.
     * On a follower, served like {@link #LINEARIZABLE} with the leader answering under its lease.
     *
     * <p><b>Timing assumption.</b> Unlike {@link #LINEARIZABLE}, a lease read is only correct if clocks run at
     * nearly the same rate: no two nodes' clocks may drift apart by more than {@link RaftOptions#maxClockDrift()}
     * (default 5%) over an election timeout. Clock steps (NTP) do not matter (the node measures elapsed time with a
     * monotonic clock); a paused process does not either (a leader counts the ticks it missed). Voters refuse votes
     * for an election timeout after hearing from a leader, and for one election timeout after they start; the lease
     * is the election timeout shortened for drift and tick rounding.
     */
    LEASE,
    /**
     * Served at once from this node's state machine, on any node; may miss recent writes, or on a partitioned node
     * return arbitrarily old state. Never goes to the network.
     */
    STALE
}
