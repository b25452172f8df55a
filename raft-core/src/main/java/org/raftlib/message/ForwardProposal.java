package org.raftlib.message;

import java.util.Objects;
import org.raftlib.Bytes;
import org.raftlib.EntryType;
import org.raftlib.NodeId;

/**
 * A command submitted on a follower, forwarded to the node it believes leads
 * ({@link org.raftlib.RaftOptions#forwarding()}). The leader appends it as if submitted there and answers with a
 * {@link ForwardProposalResponse} saying where; the follower completes the caller's future once it has applied that
 * index. Term rules do not apply to it.
 *
 * @param from the follower
 * @param to the node it believes leads
 * @param term the follower's current term (for the record; not checked)
 * @param requestId the follower's id for the proposal, echoed in the response; at least 1
 * @param entryType {@link EntryType#COMMAND} or {@link EntryType#SESSION}
 * @param data the command
 */
public record ForwardProposal(NodeId from, NodeId to, long term, long requestId, EntryType entryType, Bytes data)
        implements RaftMessage {

    /**
     * Checks the fields.
     *
     * @throws NullPointerException if an endpoint, the type or the data is null
     * @throws IllegalArgumentException if {@code term} is negative, {@code requestId} less than 1, or the type is
     *     not one a state machine receives
     */
    public ForwardProposal {
        Checks.endpoints(from, to);
        Checks.nonNegative(term, "term");
        Checks.positive(requestId, "requestId");
        Objects.requireNonNull(entryType, "entryType");
        Objects.requireNonNull(data, "data");
        if (entryType != EntryType.COMMAND && entryType != EntryType.SESSION) {
            throw new IllegalArgumentException("only commands and session entries are forwarded: " + entryType);
        }
    }

    @Override
    public MessageType type() {
        return MessageType.FORWARD_PROPOSAL;
    }
}
