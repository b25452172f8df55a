package org.raftlib.examples.kv;

import com.sun.net.httpserver.HttpExchange;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.raftlib.ClientSession;
import org.raftlib.NotLeaderException;
import org.raftlib.RaftNode;
import org.raftlib.RaftStatus;
import org.raftlib.SessionExpiredException;

/**
 * Submits the key-value store's writes through raftlib client sessions (exactly-once commands), on any node:
 * raftlib forwards a follower's write to the leader, and a session's retries (after a leader change or a lost
 * answer) never apply a write twice.
 *
 * <p>A request that carries {@link #SESSION_HEADER} and {@link #SEQUENCE_HEADER} (a session from
 * {@code POST /sessions}) is submitted as that command of that session: the client may resend it, through any node,
 * after any failure, and it is applied once (the answer is the original one). Other writes use this node's own
 * session, opened on first use and reopened when it expires: raftlib's own retries are then deduplicated, but a
 * client that resends such a write after an unknown outcome sends a new command.
 */
final class KvWrites {

    /** Request header: the client's session id, from {@code POST /sessions}. */
    static final String SESSION_HEADER = "X-Raftlib-Session";
    /** Request header: the command's sequence number in the client's session, from 1, one per command. */
    static final String SEQUENCE_HEADER = "X-Raftlib-Sequence";

    private final RaftNode node;
    private CompletableFuture<ClientSession> own;

    KvWrites(RaftNode node) {
        this.node = node;
    }

    /** Opens a session for a client ({@code POST /sessions}); completes with its id. */
    CompletableFuture<Long> open() {
        return node.openSession().thenApply(ClientSession::id);
    }

    /**
     * Submits {@code command} for the request {@code ex}: in the client's session if the request names one, else in
     * this node's.
     *
     * @throws IllegalArgumentException if only one of the two headers is present, or one is not a positive number
     */
    CompletableFuture<byte[]> submit(HttpExchange ex, byte[] command) {
        RaftStatus status = node.status();
        boolean removed = !status.configuration().ids().isEmpty() && !status.configuration().contains(node.id());
        if (status.leader().isEmpty() && !removed) {         // nothing to retry against yet: say so, nothing appended
            return CompletableFuture.failedFuture(new NotLeaderException(node.id(), status.leader()));
        }                                                    // a removed node refuses it itself (NotMemberException)
        String session = ex.getRequestHeaders().getFirst(SESSION_HEADER);
        String sequence = ex.getRequestHeaders().getFirst(SEQUENCE_HEADER);
        if (session != null || sequence != null) {
            if (session == null || sequence == null) {
                throw new IllegalArgumentException(SESSION_HEADER + " and " + SEQUENCE_HEADER + " go together");
            }
            return node.resumeSession(positive(session, SESSION_HEADER), positive(sequence, SEQUENCE_HEADER))
                    .submit(command);
        }
        return submitOwn(command, true);
    }

    private CompletableFuture<byte[]> submitOwn(byte[] command, boolean mayReopen) {
        CompletableFuture<ClientSession> current = ownSession();
        CompletableFuture<CompletableFuture<byte[]>> inner = new CompletableFuture<>();
        CompletableFuture<byte[]> result = current.thenCompose(s -> {
            CompletableFuture<byte[]> f = s.submit(command);
            inner.complete(f);
            return f;
        }).exceptionallyCompose(e -> {
            Throwable cause = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
            if (cause instanceof SessionExpiredException && mayReopen) {
                forget(current);                             // expired while idle: nothing was applied, reopen once
                return submitOwn(command, false);
            }
            if (current.isCompletedExceptionally()) {
                forget(current);                             // could not open one: try again on the next write
            }
            return CompletableFuture.failedFuture(cause);
        });
        return cancellingInner(result, inner);
    }

    /** A future whose cancellation also cancels the session's own (which then stops retrying). */
    private static CompletableFuture<byte[]> cancellingInner(CompletableFuture<byte[]> result,
            CompletableFuture<CompletableFuture<byte[]>> inner) {
        CompletableFuture<byte[]> out = new CompletableFuture<>() {
            @Override
            public boolean cancel(boolean mayInterrupt) {
                inner.thenAccept(f -> f.cancel(false));
                return super.cancel(mayInterrupt);
            }
        };
        result.whenComplete((r, e) -> {
            if (e == null) {
                out.complete(r);
            } else {
                out.completeExceptionally(e instanceof CompletionException && e.getCause() != null ? e.getCause() : e);
            }
        });
        return out;
    }

    private synchronized CompletableFuture<ClientSession> ownSession() {
        if (own == null) {
            own = node.openSession();
        }
        return own;
    }

    private synchronized void forget(CompletableFuture<ClientSession> session) {
        if (own == session) {
            own = null;
        }
    }

    private static long positive(String value, String name) {
        try {
            long v = Long.parseLong(value.trim());
            if (v > 0) {
                return v;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException(name + " must be a positive number: " + value);
    }
}
