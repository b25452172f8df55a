package org.raftlib.message;

/** The closed set of Raft RPCs, one value per {@link RaftMessage} record. */
public enum MessageType {
    /** {@link RequestVote}. */
    REQUEST_VOTE,
    /** {@link RequestVoteResponse}. */
    REQUEST_VOTE_RESPONSE,
    /** {@link AppendEntries}. */
    APPEND_ENTRIES,
    /** {@link AppendEntriesResponse}. */
    APPEND_ENTRIES_RESPONSE,
    /** {@link InstallSnapshot}. */
    INSTALL_SNAPSHOT,
    /** {@link InstallSnapshotResponse}. */
    INSTALL_SNAPSHOT_RESPONSE,
    /** {@link TimeoutNow}. */
    TIMEOUT_NOW
}
