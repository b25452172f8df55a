package org.raftlib;

/**
 * A linearizable read on a follower failed fast: the follower is further behind the leader's read index than
 * {@link RaftOptions#maxReadIndexLag()} allows, so it would wait long to serve it. Nothing changed; retry on the
 * leader or later.
 */
public final class FollowerBehindException extends RaftException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param node the follower
     * @param readIndex the leader's read index
     * @param applied the follower's applied index
     */
    public FollowerBehindException(NodeId node, long readIndex, long applied) {
        super(node + " has applied " + applied + ", " + (readIndex - applied) + " entries behind the read index "
                + readIndex + " (more than maxReadIndexLag)");
    }
}
