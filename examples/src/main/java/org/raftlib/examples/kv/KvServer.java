package org.raftlib.examples.kv;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.raftlib.NodeId;
import org.raftlib.RaftException;
import org.raftlib.RaftNode;
import org.raftlib.RaftStatus;
import org.raftlib.ReadMode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP/JSON front of one key-value node, on the JDK's {@link HttpServer}.
 *
 * <table>
 *   <caption>Endpoints</caption>
 *   <tr><th>request</th><th>answer</th></tr>
 *   <tr><td>{@code PUT /kv/{key}}, body = value</td><td>200 {@code {"key","value","previous"}}</td></tr>
 *   <tr><td>{@code POST /kv/{key}?op=append}, body = text appended to the value (an absent key counts as empty);
 *       not idempotent</td><td>200 {@code {"key","value","appended"}}, {@code value} being the new value</td></tr>
 *   <tr><td>{@code GET /kv/{key}} (linearizable, on any node), {@code ?read=lease} (the leader's lease),
 *       {@code ?read=bounded&max-staleness-ms=N} (at most N ms stale, served here), {@code ?read=stale} or
 *       {@code ?stale=true} (this node's state)</td>
 *       <td>200 {@code {"key","value"}} or 404</td></tr>
 *   <tr><td>{@code DELETE /kv/{key}}</td><td>200 {@code {"key","deleted","previous"}} or 404</td></tr>
 *   <tr><td>{@code POST /kv/{key}/cas}, body {@code {"expected":…,"new":…}} (no expected: key must be absent)</td>
 *       <td>200 {@code {"key","value","previous"}} or 409 {@code {"error","key","current"}}</td></tr>
 *   <tr><td>{@code GET /status}</td><td>role, term, leader and its HTTP address, indexes, members, the
 *       configuration and this node's part in it</td></tr>
 *   <tr><td>{@code /members...}</td><td>membership changes, see {@link MembershipEndpoints}</td></tr>
 * </table>
 *
 * <p>Keys are one percent-encoded path segment ({@code /} inside a key is {@code %2F}), 1 to
 * {@link KvCommand#MAX_KEY_BYTES} UTF-8 bytes. Bad input gets 400 with {@code {"error": …}}.
 *
 * <p><b>Forwarding.</b> Writes and linearizable reads that reach a follower are forwarded by this server to the
 * leader's HTTP address and the leader's answer is relayed, so clients may talk to any node; see {@link Forwarder}.
 * While no leader is known the server retries for up to the request timeout, then answers 503.
 *
 * <p><b>Threading and limits.</b> Requests run on a bounded pool ({@link HttpWorkers}): 64 workers, 256 requests
 * waiting. A request's headers and body must arrive within the read timeout (10 s), else its connection is closed
 * and its worker freed, so clients that send slowly or stall cannot hold the server. A body longer than the
 * endpoint's limit gets 413 (at once when its {@code Content-Length} says so); when every worker is busy and the
 * queue is full, requests get 503.
 */
public final class KvServer implements AutoCloseable {

    /** Default time a request may wait for a leader, a commit or a forwarded answer. */
    public static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofSeconds(5);

    private static final Logger LOG = LoggerFactory.getLogger(KvServer.class);
    /**
     * TEST ONLY, deliberately broken: every GET answers from this node's own state without ReadIndex, as if
     * {@code ?stale=true} were given. The fault suite sets it to show that its checker catches stale reads
     * (tests-nemesis, {@code -Dnemesis.unsafeLocalReads=true}). Off unless the system property is set.
     */
    private static final boolean UNSAFE_LOCAL_READS = Boolean.getBoolean("raftlib.kv.test.unsafeLocalReads");
    private static final int MAX_CAS_BODY_BYTES = 2 * KvCommand.MAX_VALUE_BYTES + 1024;
    /** How much of a body over the limit is read and dropped so that the client gets its 413. */
    private static final long DISCARD_BYTES = 4L << 20;

    private final RaftNode node;
    private final HttpDirectory httpAddresses;
    private final KvStateMachine machine;
    private final HttpServer server;
    private final HttpWorkers workers;
    private final Forwarder forwarder;
    private final MembershipEndpoints members;
    private final KvWrites writes;
    private final Duration timeout;

    private KvServer(RaftNode node, HttpDirectory httpAddresses, KvStateMachine machine, HttpServer server,
            Duration timeout, Duration adminTimeout, HttpWorkers.Limits limits) {
        this.node = node;
        this.httpAddresses = httpAddresses;
        this.machine = machine;
        this.server = server;
        this.forwarder = new Forwarder(node.id(), httpAddresses, timeout, () -> joining(node));
        this.members = new MembershipEndpoints(node, httpAddresses, forwarder, adminTimeout);
        this.workers = new HttpWorkers("kv-http-" + node.id(), limits);
        this.writes = new KvWrites(node);
        this.timeout = timeout;
    }

    /** Whether {@code node} is outside its own configuration and knows no leader: started to join, not added yet. */
    private static boolean joining(RaftNode node) {
        try {
            RaftStatus s = node.status();
            return s.leader().isEmpty() && !s.configuration().contains(node.id());
        } catch (RaftException e) {
            return false;                                    // closed: the request's own failure says so
        }
    }

    /**
     * Starts a server with {@link #DEFAULT_REQUEST_TIMEOUT}.
     *
     * @param node the started node it serves
     * @param bind the address to listen on (port 0 picks a free port)
     * @param httpAddresses every member's HTTP base address, such as {@code http://127.0.0.1:8001}
     * @return the running server
     * @throws IOException if it cannot listen
     */
    public static KvServer start(RaftNode node, InetSocketAddress bind, Map<NodeId, URI> httpAddresses)
            throws IOException {
        return start(node, bind, httpAddresses, DEFAULT_REQUEST_TIMEOUT);
    }

    /**
     * Starts a server.
     *
     * @param node the started node it serves
     * @param bind the address to listen on (port 0 picks a free port)
     * @param httpAddresses every member's HTTP base address
     * @param requestTimeout how long one request may wait for a leader, a commit or a forwarded answer
     * @return the running server
     * @throws IOException if it cannot listen
     * @throws NullPointerException if an argument is null
     */
    public static KvServer start(RaftNode node, InetSocketAddress bind, Map<NodeId, URI> httpAddresses,
            Duration requestTimeout) throws IOException {
        return start(node, bind, httpAddresses, null, requestTimeout);
    }

    /**
     * Starts a server that also learns members' HTTP addresses from the cluster and reports the state machine's
     * statistics in {@code /status}.
     *
     * @param node the started node it serves
     * @param bind the address to listen on (port 0 picks a free port)
     * @param httpAddresses the HTTP base addresses this node was started with
     * @param machine the node's state machine, or null (then only {@code httpAddresses} are known)
     * @param requestTimeout how long one request may wait for a leader, a commit or a forwarded answer (membership
     *     changes get at least {@link MembershipEndpoints#DEFAULT_TIMEOUT})
     * @return the running server
     * @throws IOException if it cannot listen
     * @throws NullPointerException if an argument other than {@code machine} is null
     */
    public static KvServer start(RaftNode node, InetSocketAddress bind, Map<NodeId, URI> httpAddresses,
            KvStateMachine machine, Duration requestTimeout) throws IOException {
        Objects.requireNonNull(requestTimeout, "requestTimeout");
        Duration adminTimeout = requestTimeout.compareTo(MembershipEndpoints.DEFAULT_TIMEOUT) > 0 ? requestTimeout
                : MembershipEndpoints.DEFAULT_TIMEOUT;
        return start(node, bind, httpAddresses, machine, requestTimeout, adminTimeout, HttpWorkers.Limits.DEFAULT);
    }

    /** As above, with the time a membership change may take ({@code adminTimeout}); for tests. */
    static KvServer start(RaftNode node, InetSocketAddress bind, Map<NodeId, URI> httpAddresses,
            KvStateMachine machine, Duration requestTimeout, Duration adminTimeout) throws IOException {
        return start(node, bind, httpAddresses, machine, requestTimeout, adminTimeout, HttpWorkers.Limits.DEFAULT);
    }

    /** As above, with the worker pool's limits; for tests. */
    static KvServer start(RaftNode node, InetSocketAddress bind, Map<NodeId, URI> httpAddresses,
            KvStateMachine machine, Duration requestTimeout, Duration adminTimeout, HttpWorkers.Limits limits)
            throws IOException {
        Objects.requireNonNull(node, "node");
        Objects.requireNonNull(bind, "bind");
        Objects.requireNonNull(httpAddresses, "httpAddresses");
        Objects.requireNonNull(requestTimeout, "requestTimeout");
        Objects.requireNonNull(adminTimeout, "adminTimeout");
        HttpDirectory directory = machine == null ? HttpDirectory.of(httpAddresses)
                : HttpDirectory.of(httpAddresses, machine);
        if (UNSAFE_LOCAL_READS) {
            LOG.warn("raftlib.kv.test.unsafeLocalReads is set: GETs skip ReadIndex and may be stale (test only)");
        }
        HttpServer http;
        try {
            http = HttpServer.create(bind, 128);
        } catch (IOException e) {
            throw new IOException("cannot serve HTTP on " + bind.getHostString() + ":" + bind.getPort() + ": "
                    + e.getMessage(), e);
        }
        KvServer kv = new KvServer(node, directory, machine, http, requestTimeout, adminTimeout, limits);
        http.setExecutor(kv.workers);
        http.createContext("/", kv::handle);
        HealthEndpoints.register(http, node);
        http.createContext("/ui", WebView.forNode(node, directory)::handle);
        http.start();
        LOG.info("{} serving HTTP on {}", node.id(), kv.uri());
        return kv;
    }

    /**
     * Returns the base address this server answers on.
     *
     * @return the address, such as {@code http://127.0.0.1:8001}
     */
    public URI uri() {
        InetSocketAddress a = server.getAddress();
        return URI.create("http://" + a.getHostString() + ":" + a.getPort());
    }

    /** Stops accepting requests, gives running ones a moment to finish, and stops the worker threads. */
    @Override
    public void close() {
        server.stop(0);
        workers.close();
    }

    /** Serves {@code path} (and below) with {@code handler} too, on the same workers; see {@link MetricsEndpoint}. */
    void serve(String path, HttpHandler handler) {
        server.createContext(path, handler);
    }

    /** Returns how many connections were closed because their request did not arrive within the read timeout. */
    long cutConnections() {
        return workers.cutConnections();
    }

    /** Returns how many requests hold a worker or wait for one. */
    int requestsInProgress() {
        return workers.requestsInProgress();
    }

    private void handle(HttpExchange exchange) {
        try (exchange) {
            Reply reply;
            try {
                reply = HttpWorkers.isShed() ? busy(exchange) : route(exchange);
            } catch (Refusal r) {
                reply = r.reply;
            } catch (IllegalArgumentException e) {
                reply = Reply.error(400, e.getMessage());
            } catch (RuntimeException e) {
                LOG.warn("{} failed to serve {} {}", node.id(), exchange.getRequestMethod(),
                        exchange.getRequestURI(), e);
                reply = Reply.error(500, "internal error: " + e);
            }
            HttpWorkers.answering();
            send(exchange, reply);
        } catch (IOException e) {
            LOG.debug("{} could not answer {}: {}", node.id(), exchange.getRequestURI(), e.toString());
        }
    }

    private Reply route(HttpExchange ex) throws IOException {
        String path = ex.getRequestURI().getRawPath();
        String method = ex.getRequestMethod();
        if (path.equals("/status")) {
            requireMethod(method, "GET");
            readBody(ex, 0);
            return StatusReport.of(node, httpAddresses, machine);
        }
        if (path.equals("/members") || path.startsWith("/members/")) {
            byte[] body = readBody(ex, MembershipEndpoints.maxBodyBytes());
            return members.handle(incoming(ex, body, !method.equals("GET")));
        }
        if (path.equals("/snapshot")) {
            requireMethod(method, "POST");
            readBody(ex, 0);
            return snapshot();
        }
        if (path.equals("/sessions")) {
            requireMethod(method, "POST");
            readBody(ex, 0);
            return forwarder.run(incoming(ex, new byte[0], true), new Forwarder.Rules(timeout,
                    Forwarder::failure, () -> Reply.error(503, "timed out opening a session")), writes::open,
                    id -> Reply.of(200, Map.of("session", id, "sequenceHeader", KvWrites.SEQUENCE_HEADER,
                            "sessionHeader", KvWrites.SESSION_HEADER)));
        }
        if (!path.startsWith("/kv/")) {
            throw new Refusal(Reply.error(404, "no such endpoint: " + path + "; use /kv/{key}, /status, /snapshot"
                    + ", /sessions or /members"));
        }
        String rest = path.substring("/kv/".length());
        if (method.equals("POST") && rest.endsWith("/cas")) {
            String key = KeyPath.decodeKey(rest.substring(0, rest.length() - "/cas".length()));
            return cas(ex, key);
        }
        String key = KeyPath.decodeKey(rest);
        if (method.equals("POST")) {
            if (!"op=append".equals(ex.getRequestURI().getRawQuery())) {
                throw new IllegalArgumentException("POST /kv/{key} takes ?op=append (or use POST /kv/{key}/cas)");
            }
            return append(ex, key);
        }
        switch (method) {
            case "PUT":
                return put(ex, key);
            case "GET":
                return get(ex, key);
            case "DELETE":
                return delete(ex, key);
            default:
                throw new Refusal(Reply.error(405, "method " + method + " not allowed on /kv/{key}; use PUT, GET,"
                        + " DELETE, POST /kv/{key}?op=append or POST /kv/{key}/cas"));
        }
    }

    /** {@code POST /snapshot}: this node snapshots its state machine now and compacts its log. */
    private Reply snapshot() {
        try {
            long index = node.takeSnapshot().get(30, TimeUnit.SECONDS);
            return Reply.of(200, Map.of("snapshotIndex", index));
        } catch (ExecutionException e) {
            return Reply.error(500, e.getCause().getMessage());
        } catch (TimeoutException e) {
            return Reply.error(503, "snapshot did not finish within 30 s");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Reply.error(503, "interrupted");
        }
    }

    private Reply put(HttpExchange ex, String key) throws IOException {
        byte[] body = readBody(ex, KvCommand.MAX_VALUE_BYTES);
        KvCommand command = KvCommand.put(key, KeyPath.utf8(body));
        return forwarder.execute(incoming(ex, body, true), () -> writes.submit(ex, command.encode()), r -> {
            if (r.status() != KvResult.Status.OK) {
                return unexpected(r);
            }
            return Reply.of(200, fields(key, "value", command.value().orElseThrow(), "previous", r.value()));
        });
    }

    /** {@code POST /kv/{key}?op=append}: appends the body to the key's value; answers with the new value. */
    private Reply append(HttpExchange ex, String key) throws IOException {
        byte[] body = readBody(ex, KvCommand.MAX_VALUE_BYTES);
        String suffix = KeyPath.utf8(body);
        byte[] command = KvCommand.append(key, suffix).encode();
        return forwarder.execute(incoming(ex, body, true), () -> writes.submit(ex, command), r -> {
            if (r.status() != KvResult.Status.OK) {
                return unexpected(r);
            }
            return Reply.of(200, fields(key, "value", r.value().orElse(""), "appended", Optional.of(suffix)));
        });
    }

    private Reply get(HttpExchange ex, String key) throws IOException {
        ReadChoice read = UNSAFE_LOCAL_READS ? new ReadChoice(ReadMode.STALE, null)
                : readChoice(ex.getRequestURI().getRawQuery());
        readBody(ex, 0);
        byte[] request = KvCommand.get(key).encode();
        Forwarder.Incoming in = incoming(ex, new byte[0], false);
        if (read.mode() == ReadMode.STALE || read.bound() != null) {     // served here; never sent elsewhere
            in = new Forwarder.Incoming(in.method(), in.pathAndQuery(), in.body(), Forwarder.MAX_HOPS, false);
        }
        return forwarder.execute(in, () -> read.bound() != null ? node.queryBounded(request, read.bound())
                : node.query(request, read.mode()), r -> switch (r.status()) {
            case OK -> Reply.of(200, fields(key, "value", r.value().orElse(""), null, Optional.empty()));
            case NOT_FOUND -> notFound(key);
            default -> unexpected(r);
        });
    }

    private Reply delete(HttpExchange ex, String key) throws IOException {
        readBody(ex, 0);
        byte[] command = KvCommand.delete(key).encode();
        Forwarder.Incoming in = incoming(ex, new byte[0], true);
        return forwarder.execute(in, () -> writes.submit(ex, command), r -> switch (r.status()) {
            case OK -> Reply.of(200, fields(key, "deleted", Boolean.TRUE, "previous", r.value()));
            case NOT_FOUND -> notFound(key);
            default -> unexpected(r);
        });
    }

    private Reply cas(HttpExchange ex, String key) throws IOException {
        byte[] body = readBody(ex, MAX_CAS_BODY_BYTES);
        Map<String, String> fields = Json.decodeStrings(body, Set.of("expected", "new"),
                "a CAS body has \"expected\" (omit or null: the key must be absent) and \"new\"");
        String newValue = fields.get("new");
        if (newValue == null) {
            throw new IllegalArgumentException("a CAS body needs \"new\", the value to store");
        }
        KvCommand command = KvCommand.cas(key, Optional.ofNullable(fields.get("expected")), newValue);
        byte[] encoded = command.encode();
        return forwarder.execute(incoming(ex, body, true), () -> writes.submit(ex, encoded), r -> switch (r.status()) {
            case OK -> Reply.of(200, fields(key, "value", newValue, "previous", r.value()));
            case CAS_FAILED -> {
                Map<String, Object> extra = new LinkedHashMap<>();
                extra.put("key", key);
                extra.put("current", r.value().orElse(null));
                yield Reply.error(409, "compare-and-set failed: the current value is not the expected one", extra);
            }
            default -> unexpected(r);
        });
    }

    private static Map<String, Object> fields(String key, String name, Object value, String optName,
            Optional<String> optValue) {
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("key", key);
        f.put(name, value);
        if (optName != null) {
            f.put(optName, optValue.orElse(null));
        }
        return f;
    }

    private static Reply notFound(String key) {
        return Reply.error(404, "not found", Map.of("key", key));
    }

    private static Reply unexpected(KvResult r) {
        return Reply.error(r.status() == KvResult.Status.ERROR ? 400 : 500,
                r.value().orElse("unexpected result " + r.status()));
    }

    private static Forwarder.Incoming incoming(HttpExchange ex, byte[] body, boolean isWrite) {
        String hopsHeader = ex.getRequestHeaders().getFirst(Forwarder.HOPS_HEADER);
        int hops = 0;
        if (hopsHeader != null) {
            try {
                hops = Integer.parseInt(hopsHeader.trim());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(Forwarder.HOPS_HEADER + " must be a number: " + hopsHeader);
            }
        }
        URI u = ex.getRequestURI();
        String pathAndQuery = u.getRawPath() + (u.getRawQuery() == null ? "" : "?" + u.getRawQuery());
        Map<String, String> session = new LinkedHashMap<>();
        for (String h : List.of(KvWrites.SESSION_HEADER, KvWrites.SEQUENCE_HEADER)) {
            String value = ex.getRequestHeaders().getFirst(h);
            if (value != null) {
                session.put(h, value);
            }
        }
        return new Forwarder.Incoming(ex.getRequestMethod(), pathAndQuery, body, hops, isWrite, Map.copyOf(session));
    }

    /** A GET's consistency: a read mode, or a bound on staleness ({@code bound} not null). */
    private record ReadChoice(ReadMode mode, Duration bound) {
    }

    /**
     * {@code read=linearizable|lease|stale}, {@code read=bounded&max-staleness-ms=N} (default 1000), or the older
     * {@code stale=true|false}; linearizable by default.
     */
    private static ReadChoice readChoice(String rawQuery) {
        ReadMode mode = ReadMode.LINEARIZABLE;
        boolean bounded = false;
        long boundMillis = 1000;
        if (rawQuery == null || rawQuery.isEmpty()) {
            return new ReadChoice(mode, null);
        }
        for (String part : rawQuery.split("&")) {
            switch (part) {
                case "stale", "stale=true", "read=stale" -> mode = ReadMode.STALE;
                case "read=lease" -> mode = ReadMode.LEASE;
                case "read=bounded" -> bounded = true;
                case "stale=false", "read=linearizable" -> { }
                default -> {
                    if (!part.startsWith("max-staleness-ms=")) {
                        throw new IllegalArgumentException("unknown query parameter '" + part + "'; use read="
                                + "linearizable|lease|stale|bounded (with max-staleness-ms=N) or stale=true|false");
                    }
                    boundMillis = parseMillis(part.substring("max-staleness-ms=".length()));
                }
            }
        }
        return new ReadChoice(mode, bounded ? Duration.ofMillis(boundMillis) : null);
    }

    private static long parseMillis(String value) {
        try {
            long millis = Long.parseLong(value);
            if (millis >= 0) {
                return millis;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException("max-staleness-ms must be a number of milliseconds, 0 or more: " + value);
    }

    private static void requireMethod(String method, String allowed) {
        if (!method.equals(allowed)) {
            throw new Refusal(Reply.error(405, "method " + method + " not allowed; use " + allowed));
        }
    }

    /** 503 at once, body unread, connection closed: every worker is busy and the queue is full. */
    private static Reply busy(HttpExchange ex) {
        ex.getResponseHeaders().set("Connection", "close");
        return Forwarder.notApplied(503, "server busy: too many requests in progress; retry shortly");
    }

    /**
     * Reads the whole body, refusing one longer than {@code max} with 413, then stops the read deadline: from here on
     * the request may wait for Raft.
     */
    private static byte[] readBody(HttpExchange ex, int max) throws IOException {
        String length = ex.getRequestHeaders().getFirst("Content-Length");
        long declared = length == null || !length.strip().matches("[0-9]{1,18}") ? -1 : Long.parseLong(length.strip());
        InputStream in = ex.getRequestBody();
        if (declared > max) {
            throw refuseBody(ex, in, max, declared);
        }
        byte[] body = in.readNBytes(max + 1);
        if (body.length > max) {
            throw refuseBody(ex, in, max, declared);
        }
        HttpWorkers.bodyRead();
        return body;
    }

    /**
     * A 413 for a body over {@code max}. Up to {@link #DISCARD_BYTES} of it are read and dropped first, so that a
     * client still sending gets the answer rather than a reset; a longer one (as declared, or as found) is not waited
     * for, and the connection is closed after the answer.
     */
    private static Refusal refuseBody(HttpExchange ex, InputStream in, int max, long declared) throws IOException {
        long dropped = 0;
        if (declared <= DISCARD_BYTES) {
            byte[] buffer = new byte[8192];
            for (int n = 0; n >= 0 && dropped < DISCARD_BYTES; n = in.read(buffer)) {
                dropped += n;
            }
        }
        if (declared > DISCARD_BYTES || dropped >= DISCARD_BYTES) {
            ex.getResponseHeaders().set("Connection", "close");
        }
        return new Refusal(Reply.error(413, max == 0 ? "this request takes no body"
                : "body is larger than " + max + " bytes"));
    }


    private static void send(HttpExchange ex, Reply reply) throws IOException {
        byte[] bytes = (reply.json() + "\n").getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", "application/json; charset=utf-8");
        if (reply.notLeader()) {
            ex.getResponseHeaders().set(Forwarder.NOT_LEADER_HEADER, "true");
        }
        HttpBodies.send(ex, reply.status(), bytes, false);
    }

    /** An answer other than 200 or 400 decided while parsing the request. */
    private static final class Refusal extends RuntimeException {

        private static final long serialVersionUID = 1L;

        private final transient Reply reply;

        Refusal(Reply reply) {
            super(reply.json(), null, false, false);
            this.reply = reply;
        }
    }
}
