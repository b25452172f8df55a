package org.raftlib;

import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import org.raftlib.internal.session.SessionClient;

/**
 * A client session for exactly-once commands (Raft thesis §6.3), from {@link RaftNode#openSession()} or
 * {@link RaftNode#resumeSession(long, long)}. Each command gets the next sequence number; the replicated session
 * table remembers the result of every command it applied, so a command retried with the same sequence number (after
 * a leader change, a lost answer, a restart) is applied once and the retry returns the original result. The table is
 * in every node's snapshots, so this holds across snapshots and restarts too.
 *
 * <p>A session expires after {@link RaftOptions#sessionTimeout()} without a command, measured in log time (the
 * leaders' clocks stamped into session entries), never by a node's own clock; its commands then fail with
 * {@link SessionExpiredException}.
 *
 * <p>Thread-safe. Results may complete out of submission order when several commands are in flight; each is applied
 * exactly once. Futures complete on the node's apply thread or raftlib's session timer thread.
 */
public final class ClientSession {

    /**
     * How many sequence numbers a session's commands in flight may span, from its oldest command still waiting for
     * its result (the session table keeps as many results per session): a submit whose sequence number is this many
     * or more past that command's (1,025 with the oldest at 1) fails with {@link OverloadedException}.
     * It bounds a window, not a count: one slow command holds the session back once this many newer ones were sent.
     */
    public static final int MAX_IN_FLIGHT = SessionClient.MAX_IN_FLIGHT;

    private final SessionClient client;

    ClientSession(SessionClient client) {
        this.client = client;
    }

    /** Returns the session id: the log index of its registration. */
    public long id() {
        return client.id();
    }

    /**
     * Returns the sequence number the next {@link #submit} uses. A remote client that keeps it can continue the
     * session through any node with {@link RaftNode#resumeSession(long, long)}.
     */
    public long nextSequence() {
        return client.nextSequence();
    }

    /**
     * Submits {@code command} with the next sequence number. The command is applied at most once however often it is
     * retried, and a retry returns the original result. It is retried with the same sequence number, after a short
     * backoff, on {@link IndeterminateResultException}, {@link NotLeaderException}, {@link OverloadedException} and
     * when an attempt goes unanswered for a long time (the longer of {@link RaftOptions#forwardTimeout()} and 10
     * election timeouts), for at most {@link RaftOptions#sessionTimeout()} in all. With
     * {@link RaftOptions#forwarding()} off, {@link NotLeaderException} is not retried but fails the future (the node
     * does not lead; submit through the leader). {@link NotMemberException} (the node knows it was removed) is never
     * retried. Cancelling the future stops the retries and abandons the command: an attempt already appended may
     * still take effect, once, and once no older command of the session is waiting, its next commands tell the
     * cluster to refuse any later attempt.
     *
     * <p>The future fails with {@link SessionExpiredException} if the session expired, was closed or is unknown (this
     * attempt was not applied; for the resend of a command whose earlier attempt this object did not make, that
     * attempt's outcome is unknown);
     * with {@link IndeterminateResultException} if an attempt's outcome was unknown (it may have been appended) and
     * then the retries ran out, or a later attempt was refused (say {@link NotMemberException}; the cause is the
     * refusal); with the last refusal ({@link NotLeaderException}, {@link OverloadedException}) if the retries ran
     * out and every attempt was refused: the command was not applied and will not be; with
     * {@link OverloadedException} at once if the next sequence number is {@link #MAX_IN_FLIGHT} past the oldest
     * command of this session still waiting for its result; with
     * {@link RaftClosedException} or {@link RaftFailedException} if the node is not running; with
     * {@link RaftException} if the command's result is no longer kept (only when a client reuses an acknowledged
     * sequence number).
     *
     * @param command the command; copied
     * @return the state machine's result for this command
     * @throws NullPointerException if {@code command} is null
     * @throws IllegalArgumentException if it is longer than {@link RaftOptions#maxCommandBytes()} less a 34-byte
     *     session header
     */
    public CompletableFuture<byte[]> submit(byte[] command) {
        return client.submit(Objects.requireNonNull(command, "command"));
    }

    /**
     * Closes the session through the log: later submits fail with {@link SessionExpiredException}, and every node
     * forgets the session and its results. Retried like {@link #submit}.
     *
     * @return completes when the session is gone (also if it had expired already); fails like {@link #submit}
     *     otherwise
     */
    public CompletableFuture<Void> close() {
        return client.close();
    }

    @Override
    public String toString() {
        return "ClientSession[" + id() + "]";
    }
}
