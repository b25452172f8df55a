package org.raftlib;

/** The base of every exception raftlib throws or completes a future with. Unchecked. */
public class RaftException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates an exception.
     *
     * @param message what went wrong
     */
    public RaftException(String message) {
        super(message);
    }

    /**
     * Creates an exception with a cause.
     *
     * @param message what went wrong
     * @param cause the underlying failure
     */
    public RaftException(String message, Throwable cause) {
        super(message, cause);
    }
}
