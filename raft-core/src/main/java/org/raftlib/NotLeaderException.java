package org.raftlib;

import java.util.Optional;

/**
 * The node cannot serve a request because it does not lead; nothing was appended. Retry on the leader hint, if any,
 * or after a short pause.
 */
public class NotLeaderException extends RaftException {

    private static final long serialVersionUID = 1L;

    private final transient NodeId leaderHint;

    /**
     * Creates the exception.
     *
     * @param self the node that refused
     * @param leaderHint the leader it knows of, if any
     */
    public NotLeaderException(NodeId self, Optional<NodeId> leaderHint) {
        super(self + " is not the leader" + leaderHint.map(l -> "; leader is " + l).orElse("; no leader known"));
        this.leaderHint = leaderHint.orElse(null);
    }

    /** Returns the node believed to lead, if known. */
    public Optional<NodeId> leaderHint() {
        return Optional.ofNullable(leaderHint);
    }
}
