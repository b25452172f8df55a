package org.raftlib;

/**
 * The command was appended to the leader's log, but the node lost leadership (or was closed, or failed) before it
 * learned the outcome: the command may or may not commit. Retry only if the command is idempotent, or read the
 * state to find out. Also thrown when the node was closed or failed after the command committed but before it
 * was applied there (its state machine threw applying it, say): the command takes effect, but its result is
 * unknown; the message says it committed.
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
