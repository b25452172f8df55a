package org.raftlib;

/**
 * A linearizable read on a follower failed: the follower is further behind the leader's read index than
 * {@link RaftOptions#maxReadIndexLag()} allows, so it would wait long to serve it (failed fast), or it did not apply
 * up to that index within {@link RaftOptions#forwardTimeout()} of the read (cut off from the leader, or slow). Nothing
 * changed; retry on the leader or later.
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

    private FollowerBehindException(String message) {
        super(message);
    }

    /**
     * The exception for a read whose follower did not apply up to its read index within the forward timeout.
     *
     * @param node the follower
     * @param readIndex the leader's read index
     * @param applied the follower's applied index when the time ran out
     * @return the exception
     */
    public static FollowerBehindException timedOut(NodeId node, long readIndex, long applied) {
        return new FollowerBehindException(node + " did not apply up to the read index " + readIndex + " within"
                + " forwardTimeout of the read (applied " + applied + "): it is cut off from the leader or slow");
    }
}
