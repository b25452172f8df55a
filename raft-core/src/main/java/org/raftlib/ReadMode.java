package org.raftlib;

/** How {@link RaftNode#query} orders a read against writes. */
public enum ReadMode {
    /**
     * Linearizable (Raft thesis §6.4, ReadIndex): served by the leader after it confirmed with a round of heartbeats
     * that it still leads and its state machine has applied everything committed when the read arrived. Sees every
     * write acknowledged before the query was issued. Fails with {@link NotLeaderException} on other nodes.
     */
    LINEARIZABLE,
    /**
     * Served at once from this node's state machine, on any node; may miss recent writes, or on a partitioned node
     * return arbitrarily old state. Never goes to the network.
     */
    STALE
}
