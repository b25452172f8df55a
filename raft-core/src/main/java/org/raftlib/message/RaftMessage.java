package org.raftlib.message;

import org.raftlib.NodeId;

/**
 * A message between two members of one Raft group. Immutable; the set of types is closed.
 *
 * <p>Every implementation rejects, in its constructor, a null or self-addressed endpoint and a negative term or
 * index, with {@link NullPointerException} or {@link IllegalArgumentException}.
 */
public sealed interface RaftMessage
        permits RequestVote, RequestVoteResponse, AppendEntries, AppendEntriesResponse,
                InstallSnapshot, InstallSnapshotResponse, TimeoutNow,
                ReadIndexRequest, ReadIndexResponse, ForwardProposal, ForwardProposalResponse {

    /** Returns the type, for the single dispatch over messages. */
    MessageType type();

    /** Returns the sender. */
    NodeId from();

    /** Returns the addressee. */
    NodeId to();

    /** Returns the sender's current term; for a pre-vote, the term the sender would campaign in. */
    long term();
}
