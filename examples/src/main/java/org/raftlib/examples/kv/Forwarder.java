package org.raftlib.examples.kv;

import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import java.util.function.Supplier;
import org.raftlib.IndeterminateResultException;
import org.raftlib.NodeId;
import org.raftlib.NotLeaderException;
import org.raftlib.NotMemberException;
import org.raftlib.OverloadedException;
import org.raftlib.RaftClosedException;
import org.raftlib.RaftFailedException;
import org.raftlib.SessionExpiredException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs a write or linearizable read on this node (raftlib forwards it to the leader itself), and when raftlib refuses
 * it with a leader hint (forwarding turned off, or refused by the leader), relays the HTTP request to that leader.
 *
 * <p>A request is forwarded at most {@link #MAX_HOPS} time(s): the hop count travels in {@link #HOPS_HEADER}, and a
 * node that receives a request already forwarded does not forward it again but answers 503 with
 * {@link #NOT_LEADER_HEADER}, so the first node retries. While no leader is known (an election), or the leader it
 * knew cannot be reached, it retries with a short backoff until the request's deadline, then answers 503. A write
 * whose connection to the leader broke after it was sent is not retried (the leader may have applied it): it is
 * answered 503 "may or may not have been applied", as the fault suite (tests-nemesis) found a forwarded PUT applied
 * twice when the leader died mid-request. Writes go through client sessions ({@link KvWrites}), so raftlib's own
 * retries never apply a write twice, and a client that resends in its own session neither.
 *
 * <p>A forwarded request is given a little longer than the leader's own deadline ({@link #FORWARD_GRACE}), so the
 * leader's answer (including its "timed out") is relayed rather than replaced by a timeout of the forwarding node.
 * A read is the exception: unanswered after {@link #READ_RELAY_TIMEOUT}, it is asked here again (it changed nothing),
 * so a leader that stopped answering costs it a second, not its deadline.
 *
 * <p>Blocks the calling HTTP worker thread until the answer or the deadline.
 */
final class Forwarder {

    /** Request header: how many times the request was forwarded already. */
    static final String HOPS_HEADER = "X-Raftlib-Hops";
    /** Response header: set when the answering node refused because it does not lead. */
    static final String NOT_LEADER_HEADER = "X-Raftlib-Not-Leader";
    /** How many times one request may be forwarded. */
    static final int MAX_HOPS = 1;
    /**
     * Body field of an error answer that is certain the request changed nothing ({@code "applied": false}): no leader
     * was reached, or the node refused it before appending. Clients may retry such a write as it is. Answers whose
     * outcome is unknown ("may or may not have been applied") do not carry it.
     */
    static final String APPLIED_FIELD = "applied";
    private static final Map<String, Object> NOT_APPLIED = Map.of(APPLIED_FIELD, false);

    private static final Logger LOG = LoggerFactory.getLogger(Forwarder.class);
    private static final long MAX_BACKOFF_MILLIS = 200;
    /** How much longer than its own deadline a forwarding node waits for the leader's answer. */
    private static final Duration FORWARD_GRACE = Duration.ofSeconds(1);
    /**
     * How long a read relayed to the hinted leader may go unanswered before it is asked here again. A read changes
     * nothing, so it need not wait out its whole deadline on a leader that stopped answering (a paused process: an
     * outside probe saw reads wait 6 s on it while this node had been elected in its place after 1 s).
     */
    static final Duration READ_RELAY_TIMEOUT = Duration.ofSeconds(1);

    private final NodeId self;
    private final HttpDirectory httpAddresses;
    private final Duration timeout;
    private final BooleanSupplier joining;
    private final HttpClient client;

    Forwarder(NodeId self, HttpDirectory httpAddresses, Duration timeout) {
        this(self, httpAddresses, timeout, () -> false);
    }

    /**
     * A forwarder for {@code self}; {@code joining} tells whether this node is outside its own configuration and knows
     * no leader (started to join and not added yet): its requests are then refused at once instead of waiting for a
     * leader that only adding it would bring.
     */
    Forwarder(NodeId self, HttpDirectory httpAddresses, Duration timeout, BooleanSupplier joining) {
        this.self = self;
        this.httpAddresses = httpAddresses;
        this.timeout = timeout;
        this.joining = joining;
        this.client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1))
                .followRedirects(HttpClient.Redirect.NEVER).build();
    }

    /**
     * An HTTP request as received, kept so it can be sent on unchanged.
     *
     * @param session the request's session headers ({@link KvWrites#SESSION_HEADER} and
     *     {@link KvWrites#SEQUENCE_HEADER}, with their values), sent on with it; empty when it has none
     */
    record Incoming(String method, String pathAndQuery, byte[] body, int hops, boolean isWrite,
            Map<String, String> session) {

        Incoming(String method, String pathAndQuery, byte[] body, int hops, boolean isWrite) {
            this(method, pathAndQuery, body, hops, isWrite, Map.of());
        }
    }

    /** The request timeout: how long a request waits for a leader and its answer. */
    Duration timeout() {
        return timeout;
    }

    /**
     * How one kind of request waits and reports what went wrong.
     *
     * @param timeout how long it may wait for a leader and its answer
     * @param failure the answer when the local call fails with anything but {@link NotLeaderException}
     * @param timedOut the answer when the deadline passes while waiting for the local call
     */
    record Rules(Duration timeout, Function<Throwable, Reply> failure, Supplier<Reply> timedOut) {
    }

    /**
     * Runs {@code local} here, or forwards {@code in} to the leader.
     *
     * @param in the request, for forwarding
     * @param local submits the command on this node
     * @param render turns the state machine's result into the answer
     * @return the answer
     */
    Reply execute(Incoming in, Supplier<CompletableFuture<byte[]>> local, Function<KvResult, Reply> render) {
        Rules rules = new Rules(timeout, Forwarder::failure, () -> timedOut(in));
        return run(in, rules, local, bytes -> render.apply(KvResult.decode(bytes)));
    }

    /**
     * Runs {@code local} here, or forwards {@code in} to the leader, under {@code rules}.
     *
     * @param in the request, for forwarding
     * @param rules the deadline and the answers to failures
     * @param local starts the operation on this node; fails with {@link NotLeaderException} when it does not lead
     * @param render turns the operation's result into the answer
     * @param <T> the operation's result
     * @return the answer
     */
    <T> Reply run(Incoming in, Rules rules, Supplier<CompletableFuture<T>> local, Function<T, Reply> render) {
        long deadline = System.nanoTime() + rules.timeout().toNanos();
        Optional<NodeId> lastHint = Optional.empty();
        for (int attempt = 0; ; attempt++) {
            CompletableFuture<T> pending = null;
            try {
                pending = local.get();
                T result = pending.get(remainingMillis(deadline), TimeUnit.MILLISECONDS);
                return render.apply(result);
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof NotLeaderException nle) || nle instanceof NotMemberException) {
                    return rules.failure().apply(e.getCause());
                }
                lastHint = nle.leaderHint().filter(h -> !h.equals(self) && httpAddresses.lookup(h).isPresent());
                if (nle.leaderHint().isEmpty() && joining.getAsBoolean()) {
                    return notApplied(503, self + " is not a member of the cluster yet (started to join, and no leader"
                            + " has added it): it knows no leader until one does; send requests to a member");
                }
                if (in.hops() >= MAX_HOPS) {
                    return notLeader(lastHint);
                }
                if (lastHint.isPresent()) {
                    Optional<Reply> answer = forward(lastHint.get(), in, deadline);
                    if (answer.isPresent()) {
                        return answer.get();
                    }
                }
            } catch (TimeoutException e) {
                pending.cancel(false);                       // a session stops retrying it (see KvWrites)
                return rules.timedOut().get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return Reply.error(503, "interrupted while waiting for the cluster");
            }
            if (!backoff(attempt, deadline)) {
                return noLeader(lastHint, rules.timeout());
            }
        }
    }

    private Optional<Reply> forward(NodeId leader, Incoming in, long deadline) {
        URI target = httpAddresses.lookup(leader).orElseThrow().resolve(in.pathAndQuery());
        Duration wait = Duration.ofMillis(Math.max(1, remainingMillis(deadline))).plus(FORWARD_GRACE);
        boolean readCut = !in.isWrite() && wait.compareTo(READ_RELAY_TIMEOUT) > 0;
        HttpRequest.Builder builder = HttpRequest.newBuilder(target)
                .timeout(readCut ? READ_RELAY_TIMEOUT : wait)
                .header(HOPS_HEADER, Integer.toString(in.hops() + 1))
                .method(in.method(), HttpRequest.BodyPublishers.ofByteArray(in.body()));
        in.session().forEach(builder::header);               // without them the leader applied it in its own session
        HttpRequest request = builder.build();
        try {
            HttpResponse<String> response = client.send(request, HttpResponse.BodyHandlers.ofString());
            if (response.headers().firstValue(NOT_LEADER_HEADER).isPresent()) {
                return Optional.empty();
            }
            return Optional.of(new Reply(response.statusCode(), response.body().stripTrailing(), false));
        } catch (HttpTimeoutException e) {
            if (readCut) {
                LOG.debug("{} got no answer from {} to {} {} within {}; asking here again", self, leader, in.method(),
                        in.pathAndQuery(), READ_RELAY_TIMEOUT);
                return Optional.empty();                     // a read: ask again here, which now may know better
            }
            return Optional.of(Reply.error(504, "the leader " + leader + " did not answer " + in.method() + " "
                    + in.pathAndQuery() + " in time" + (in.isWrite() ? "; it may or may not have been applied" : "")));
        } catch (ConnectException e) {
            LOG.debug("{} could not reach {} to forward {} {}: {}", self, leader, in.method(), in.pathAndQuery(),
                    e.toString());
            return Optional.empty();                      // nothing was sent: trying again (elsewhere) is safe
        } catch (IOException e) {
            if (in.isWrite()) {                           // the leader may have received and applied it
                return Optional.of(Reply.error(503, "lost the connection to the leader " + leader + " while forwarding "
                        + in.method() + " " + in.pathAndQuery() + ": the write may or may not have been applied; "
                        + howToFindOut(in)));
            }
            LOG.debug("{} could not forward {} {} to {}: {}", self, in.method(), in.pathAndQuery(), leader,
                    e.toString());
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.of(Reply.error(503, "interrupted while forwarding to the leader"));
        }
    }

    private static boolean backoff(int attempt, long deadline) {
        long pause = Math.min(MAX_BACKOFF_MILLIS, 10L << Math.min(attempt, 5));
        if (remainingMillis(deadline) <= pause) {
            return false;
        }
        try {
            Thread.sleep(pause);
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private static long remainingMillis(long deadline) {
        return TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
    }

    private Reply notLeader(Optional<NodeId> hint) {
        Reply r = Reply.error(503, self + " is not the leader", Map.of("leader", hint.map(NodeId::value).orElse(""),
                APPLIED_FIELD, false));
        return new Reply(r.status(), r.json(), true);
    }

    private static Reply noLeader(Optional<NodeId> lastHint, Duration limit) {
        String why = lastHint.map(l -> "the leader " + l + " could not be reached").orElse("no leader is known");
        return Reply.error(503, why + " within " + limit.toMillis() + " ms; the cluster may be electing a leader"
                + " or lack a quorum, retry later", NOT_APPLIED);
    }

    private Reply timedOut(Incoming in) {
        if (in.isWrite()) {
            return Reply.error(503, "timed out after " + timeout.toMillis() + " ms: the write may or may not have"
                    + " been applied; " + howToFindOut(in));
        }
        return Reply.error(503, "timed out after " + timeout.toMillis() + " ms waiting for a linearizable read");
    }

    /**
     * What to do about a write whose outcome is unknown: a membership change is read back elsewhere than a key, and a
     * write in a session may be resent as it is.
     */
    private static String howToFindOut(Incoming in) {
        if (in.pathAndQuery().startsWith("/members")) {
            return "read GET /members to find out before retrying";
        }
        return in.session().isEmpty() ? "retry only if it is idempotent, or read the key to find out"
                : "resend it with the same session and sequence headers: it is applied at most once";
    }

    /** A request refused before anything was appended: {@code "applied": false}, safe to retry as it is. */
    static Reply notApplied(int status, String message) {
        return Reply.error(status, message, NOT_APPLIED);
    }

    static Reply failure(Throwable cause) {
        if (cause instanceof NotMemberException) {
            return Reply.error(503, cause.getMessage(), NOT_APPLIED);
        }
        if (cause instanceof IndeterminateResultException) {
            return Reply.error(503, "the write's outcome is not known: it may or may not have been applied; retry it"
                    + " in a session (X-Raftlib-Session, X-Raftlib-Sequence) to have it applied once, or read the key");
        }
        if (cause instanceof SessionExpiredException) {
            return Reply.error(410, "the session expired or is unknown; open a new one (POST /sessions). This request"
                    + " was not applied, but if it resends a write whose answer was lost, that write may have been"
                    + " applied before the session ended: read the key to find out. " + cause.getMessage());
        }
        if (cause instanceof OverloadedException) {
            return Reply.error(503, "the node is overloaded, retry later: " + cause.getMessage(), NOT_APPLIED);
        }
        if (cause instanceof RaftClosedException || cause instanceof RaftFailedException) {
            return Reply.error(503, "the node is not running: " + cause.getMessage());
        }
        LOG.warn("request failed", cause);
        return Reply.error(500, "internal error: " + cause);
    }
}
