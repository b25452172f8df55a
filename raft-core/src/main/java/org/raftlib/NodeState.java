package org.raftlib;

/** The lifecycle of a {@link RaftNode}. */
public enum NodeState {
    /** Built but not started. */
    CREATED,
    /** Started: taking part in the protocol. */
    RUNNING,
    /** Stopped after a storage, state machine or internal failure; see {@link RaftListener#onFailure}. */
    FAILED,
    /** Closed by {@link RaftNode#close()}. */
    CLOSED
}
