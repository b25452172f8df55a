package org.raftlib;

/**
 * Back-pressure: the node already has {@link RaftOptions#maxPendingRequests()} submits and queries in flight, so it
 * refused this one without queueing it. Nothing was appended; retry after some complete.
 */
public class OverloadedException extends RaftException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message which node and its limit
     */
    public OverloadedException(String message) {
        super(message);
    }
}
