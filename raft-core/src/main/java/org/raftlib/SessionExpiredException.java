package org.raftlib;

/**
 * The client session is unknown to the replicated session table: it expired (it stayed idle for longer than its
 * timeout in log time, see {@link RaftOptions#sessionTimeout()}), was closed, or never existed. The command was not
 * applied; open a new session with {@link RaftNode#openSession()}.
 */
public class SessionExpiredException extends RaftException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message what happened
     */
    public SessionExpiredException(String message) {
        super(message);
    }
}
