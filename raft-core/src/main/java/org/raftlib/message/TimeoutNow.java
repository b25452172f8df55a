package org.raftlib.message;

import org.raftlib.NodeId;

/**
 * Thesis §3.10: a leader tells a caught-up follower to start an election at once, to hand leadership over.
 *
 * @param from the leader
 * @param to the follower that should campaign
 * @param term the leader's term; at least 1
 */
public record TimeoutNow(NodeId from, NodeId to, long term) implements RaftMessage {

    /**
     * Checks the fields.
     *
     * @throws NullPointerException if an endpoint is null
     * @throws IllegalArgumentException if {@code term} is less than 1
     */
    public TimeoutNow {
        Checks.endpoints(from, to);
        if (term < 1) {
            throw new IllegalArgumentException("term must be at least 1: " + term);
        }
    }

    @Override
    public MessageType type() {
        return MessageType.TIMEOUT_NOW;
    }
}
