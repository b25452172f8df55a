package org.raftlib.internal.session;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.raftlib.Bytes;
import org.raftlib.EntryType;
import org.raftlib.IndeterminateResultException;
import org.raftlib.NotLeaderException;
import org.raftlib.NotMemberException;
import org.raftlib.OverloadedException;
import org.raftlib.RaftException;
import org.raftlib.SessionExpiredException;

/**
 * The client side of a session, behind {@link org.raftlib.ClientSession}: numbers commands, keeps the lowest sequence
 * number still waiting for its result (sent as "acknowledged below"), and retries a command with the same sequence
 * number until a definite outcome. Thread-safe.
 */
public final class SessionClient {

    /** The most commands of one session in flight; the table keeps as many results. */
    public static final int MAX_IN_FLIGHT = SessionTable.MAX_RESULTS_PER_SESSION;
    private static final long FIRST_BACKOFF_MILLIS = 5;

    /** Proposes an entry on a node: {@code NodeRuntime.submit(EntryType, Bytes)}. */
    @FunctionalInterface
    public interface Submitter {
        /**
         * Proposes {@code data}.
         *
         * @param type the entry type
         * @param data the entry's data
         * @return the outcome
         */
        CompletableFuture<byte[]> submit(EntryType type, Bytes data);
    }

    /**
     * How a session registers and retries.
     *
     * @param sessionTimeout the session's idle timeout in log time; also bounds how long one command is retried
     * @param attemptTimeout how long one attempt may go unanswered before it is retried
     * @param maxBackoff the longest pause between attempts
     * @param maxCommandBytes the largest entry the node accepts
     */
    public record Policy(Duration sessionTimeout, Duration attemptTimeout, Duration maxBackoff, int maxCommandBytes,
            boolean retryNotLeader) {
    }

    private final Submitter submitter;
    private final Policy policy;
    private final long id;
    private final TreeSet<Long> waiting = new TreeSet<>();
    private long nextSequence;
    private String ended;

    private SessionClient(Submitter submitter, Policy policy, long id, long nextSequence) {
        this.submitter = submitter;
        this.policy = policy;
        this.id = id;
        this.nextSequence = nextSequence;
    }

    /**
     * Registers a new session through the log, retrying like a command.
     *
     * @param submitter the node
     * @param policy the policy
     * @return the session once its registration is applied
     */
    public static CompletableFuture<SessionClient> open(Submitter submitter, Policy policy) {
        CompletableFuture<byte[]> registered = new CompletableFuture<>();
        new Attempts(submitter, policy, SessionEntries.register(policy.sessionTimeout().toMillis()), registered)
                .start();
        CompletableFuture<SessionClient> out = new CompletableFuture<>();
        registered.whenComplete((r, e) -> {
            if (e != null) {
                out.completeExceptionally(e);
            } else if (r.length != Long.BYTES) {
                out.completeExceptionally(new RaftException("a session registration answered " + r.length
                        + " bytes instead of the session id"));
            } else {
                out.complete(new SessionClient(submitter, policy, ByteBuffer.wrap(r).getLong(), 1));
            }
        });
        return out;
    }

    /**
     * Continues a session a remote client keeps.
     *
     * @param submitter the node
     * @param policy the policy
     * @param id the session id
     * @param nextSequence the next sequence number; the client has every result below it
     * @return the session
     * @throws IllegalArgumentException if a number is not positive
     */
    public static SessionClient resume(Submitter submitter, Policy policy, long id, long nextSequence) {
        if (id <= 0 || nextSequence <= 0) {
            throw new IllegalArgumentException("session id and sequence must be positive: " + id + ", "
                    + nextSequence);
        }
        return new SessionClient(submitter, policy, id, nextSequence);
    }

    /** Returns the session id. */
    public long id() {
        return id;
    }

    /** Returns the sequence number the next command gets. */
    public synchronized long nextSequence() {
        return nextSequence;
    }

    /**
     * Submits a command with the next sequence number and retries it until a definite outcome.
     *
     * @param command the command; copied
     * @return the result
     * @throws IllegalArgumentException if the command plus the session header exceeds maxCommandBytes
     */
    public CompletableFuture<byte[]> submit(byte[] command) {
        if (command.length > policy.maxCommandBytes() - SessionEntries.HEADER_BYTES) {
            throw new IllegalArgumentException("command has " + command.length + " bytes, more than maxCommandBytes ("
                    + policy.maxCommandBytes() + ") less the " + SessionEntries.HEADER_BYTES + "-byte session header");
        }
        long sequence;
        long ackBelow;
        synchronized (this) {
            if (ended != null) {
                return CompletableFuture.failedFuture(new SessionExpiredException(ended));
            }
            if (nextSequence == Long.MAX_VALUE) {                // only after resumeSession near the end
                return CompletableFuture.failedFuture(new SessionExpiredException("session " + id
                        + " has used every sequence number; open a new one"));
            }
            ackBelow = waiting.isEmpty() ? nextSequence : waiting.first();
            if (nextSequence - ackBelow >= MAX_IN_FLIGHT) {
                return CompletableFuture.failedFuture(new OverloadedException("session " + id + "'s oldest command"
                        + " still waiting (sequence " + ackBelow + ") is " + MAX_IN_FLIGHT + " behind the next; wait"
                        + " for its result"));
            }
            sequence = nextSequence++;
            waiting.add(sequence);
        }
        CompletableFuture<byte[]> out = new CompletableFuture<>();
        new Attempts(submitter, policy, SessionEntries.command(id, sequence, ackBelow, command), out) {
            @Override
            void beforeCompleting(Throwable error) {
                settled(sequence, error);
            }
        }.start();
        // A caller that cancels (or completes) the future itself abandons the command: later commands say so to the
        // table (it refuses a late attempt as below the floor), instead of waiting for it until the session is full.
        out.whenComplete((r, e) -> settled(sequence, null));
        return out;
    }

    private synchronized void settled(long sequence, Throwable error) {
        waiting.remove(sequence);
        if (error instanceof SessionExpiredException e && ended == null) {
            ended = e.getMessage();
        }
    }

    /**
     * Ends the session: later submits fail at once; the CLOSE entry is retried until applied.
     *
     * @return completes once the session is gone from the table (also when it had expired)
     */
    public CompletableFuture<Void> close() {
        synchronized (this) {
            if (ended == null) {
                ended = "session " + id + " was closed";
            }
        }
        CompletableFuture<byte[]> closed = new CompletableFuture<>();
        new Attempts(submitter, policy, SessionEntries.close(id), closed).start();
        CompletableFuture<Void> out = new CompletableFuture<>();
        closed.whenComplete((r, e) -> {
            if (e == null || e instanceof SessionExpiredException) {
                out.complete(null);
            } else {
                out.completeExceptionally(e);
            }
        });
        return out;
    }

    /** One entry's attempts: the same data until a definite outcome, the retry budget or a fatal error. */
    private static class Attempts {
        private final Submitter submitter;
        private final Policy policy;
        private final Bytes entry;
        private final CompletableFuture<byte[]> out;
        private final long deadline;
        private long backoffMillis = FIRST_BACKOFF_MILLIS;
        /** Whether an attempt ended without a definite answer: a later refusal then proves nothing. */
        private boolean mayHaveApplied;

        Attempts(Submitter submitter, Policy policy, Bytes entry, CompletableFuture<byte[]> out) {
            this.submitter = submitter;
            this.policy = policy;
            this.entry = entry;
            this.out = out;
            this.deadline = System.nanoTime() + policy.sessionTimeout().toNanos();
        }

        /** Runs once, just before {@code out} completes; {@code error} is null on success. */
        void beforeCompleting(Throwable error) {
        }

        void start() {
            if (out.isDone()) {
                return;                                      // the caller cancelled: no more attempts
            }
            CompletableFuture<byte[]> attempt;
            try {
                attempt = submitter.submit(EntryType.SESSION, entry);
            } catch (RuntimeException e) {
                attempt = CompletableFuture.failedFuture(e);
            }
            CompletableFuture<byte[]> timed = new CompletableFuture<>();
            // no attempt waits past the retry budget: the command is retried for at most sessionTimeout in all
            long wait = Math.max(1, Math.min(policy.attemptTimeout().toMillis(),
                    TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
            ScheduledFuture<?> timeout = attempt.isDone() ? null : DaemonTimer.INSTANCE.schedule(() -> timed
                    .completeExceptionally(new TimeoutException("no answer within " + wait + " ms")), wait,
                    TimeUnit.MILLISECONDS);
            attempt.whenComplete((r, e) -> {
                if (timeout != null) {
                    timeout.cancel(false);
                }
                if (e == null) {
                    timed.complete(r);
                } else {
                    timed.completeExceptionally(e instanceof CompletionException c && c.getCause() != null
                            ? c.getCause() : e);
                }
            });
            timed.whenComplete(this::settle);
        }

        private void settle(byte[] result, Throwable error) {
            if (error == null) {
                beforeCompleting(null);
                out.complete(result);
                return;
            }
            Throwable cause = error instanceof CompletionException c && c.getCause() != null ? c.getCause() : error;
            long pause = backoffMillis;
            if (cause instanceof IndeterminateResultException || cause instanceof TimeoutException) {
                mayHaveApplied = true;                       // an attempt may have been appended, and may commit
            }
            boolean retriable = retriable(cause);
            if (retriable && System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(pause) - deadline < 0) {
                backoffMillis = Math.min(backoffMillis * 2, Math.max(1, policy.maxBackoff().toMillis()));
                DaemonTimer.INSTANCE.schedule(this::start, pause, TimeUnit.MILLISECONDS);
                return;
            }
            // Out of time, or a final answer. Only an attempt whose outcome is unknown makes the entry indeterminate:
            // when every attempt was refused, the last refusal (NotLeader, Overloaded: not applied) is the answer.
            if (retriable && mayHaveApplied) {
                cause = new IndeterminateResultException("gave up retrying after the session timeout ("
                        + policy.sessionTimeout() + "): the entry may or may not have been applied").initCause(cause);
            } else if (mayHaveApplied && !(cause instanceof IndeterminateResultException)) {
                // A refusal of this attempt says nothing of an earlier one that may have been appended.
                cause = new IndeterminateResultException("an earlier attempt's outcome is unknown and this one was"
                        + " refused (" + cause.getMessage() + "): the entry may or may not have been applied", cause);
            }
            beforeCompleting(cause);
            out.completeExceptionally(cause);
        }

        /** Without forwarding, a node that does not lead refuses every attempt: NotLeader is final then. */
        private boolean retriable(Throwable e) {
            return e instanceof IndeterminateResultException || e instanceof OverloadedException
                    || e instanceof TimeoutException
                    || e instanceof NotLeaderException && !(e instanceof NotMemberException) && policy.retryNotLeader();
        }
    }
}
