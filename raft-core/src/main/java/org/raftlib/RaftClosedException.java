package org.raftlib;

/** The node is closed, or not started yet, so it cannot serve the call. */
public class RaftClosedException extends RaftException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message which node and why
     */
    public RaftClosedException(String message) {
        super(message);
    }
}
