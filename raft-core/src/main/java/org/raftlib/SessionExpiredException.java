package org.raftlib;

/**
 * The client session is unknown to the replicated session table: it expired (it stayed idle for longer than its
 * timeout in log time, see {@link RaftOptions#sessionTimeout()}), was closed, or never existed. The attempt that got
 * this answer was not applied, and no later command of the session will be; open a new session with
 * {@link RaftNode#openSession()}. A command resent after a lost answer (through {@link RaftNode#resumeSession}, say)
 * may still have been applied by its earlier attempt before the session ended: its outcome is then unknown, since
 * the table no longer holds the session's results. {@link ClientSession#submit}'s own retries report that case as
 * {@link IndeterminateResultException} (with this exception as its cause).
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
