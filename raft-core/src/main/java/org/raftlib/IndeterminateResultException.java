package org.raftlib;

/**
 * The command was appended to the leader's log, but the node lost leadership (or was closed, or failed) before it
 * learned the outcome: the command may or may not commit. Retry only if the command is idempotent, or read the
 * state to find out.
 */
public class IndeterminateResultException extends RaftException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message what happened
     */
    public IndeterminateResultException(String message) {
        super(message);
    }

    /**
     * Creates the exception with what ended the wait (the node's failure, say).
     *
     * @param message what happened
     * @param cause why the outcome could not be learnt
     */
    public IndeterminateResultException(String message, Throwable cause) {
        super(message, cause);
    }
}
