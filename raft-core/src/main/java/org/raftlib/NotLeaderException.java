package org.raftlib;

import java.util.Optional;

/**
 * The request did not take effect and never will, because no leader took it: the node does not lead (and does not
 * forward, or knows no leader to forward to), it leads but is handing leadership over
 * ({@link RaftNode#transferLeadership}), the leader it was forwarded to refused it, or another leader's entry
 * replaced the one it was appended as. Retry on the leader hint, if any, or after a short pause.
 *
 * <p>The hint is the leader the refusing node knows of. During a leadership transfer that is the refusing node
 * itself, which leads until the transfer ends (the message names the target, which leads next only if the transfer
 * succeeds): retry there, or anywhere, after a short pause.
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
        this(self + " is not the leader" + leaderHint.map(l -> "; leader is " + l).orElse("; no leader known"),
                leaderHint);
    }

    /**
     * Creates the exception with a message of its own.
     *
     * @param message what happened
     * @param leaderHint the leader the node knows of, if any
     */
    public NotLeaderException(String message, Optional<NodeId> leaderHint) {
        super(message);
        this.leaderHint = leaderHint.orElse(null);
    }

    /** Returns the node believed to lead, if known: during a leadership transfer, the refusing node itself. */
    public Optional<NodeId> leaderHint() {
        return Optional.ofNullable(leaderHint);
    }
}
