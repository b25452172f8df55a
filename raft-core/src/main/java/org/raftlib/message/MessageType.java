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
    TIMEOUT_NOW,
    /** {@link ReadIndexRequest}. */
    READ_INDEX_REQUEST,
    /** {@link ReadIndexResponse}. */
    READ_INDEX_RESPONSE,
    /** {@link ForwardProposal}. */
    FORWARD_PROPOSAL,
    /** {@link ForwardProposalResponse}. */
    FORWARD_PROPOSAL_RESPONSE
}
