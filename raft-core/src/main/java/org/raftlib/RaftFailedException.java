package org.raftlib;

/**
 * The node failed and stopped: its storage or state machine failed, or an internal invariant broke. The cause says
 * which. A failed node never recovers by itself; close it, fix the cause, and reopen it on its data.
 */
public class RaftFailedException extends RaftException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message which node failed
     * @param cause why
     */
    public RaftFailedException(String message, Throwable cause) {
        super(message, cause);
    }
}
