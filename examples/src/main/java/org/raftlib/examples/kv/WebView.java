package org.raftlib.examples.kv;

import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import org.raftlib.Member;
import org.raftlib.NodeId;
import org.raftlib.RaftException;
import org.raftlib.RaftNode;
import org.raftlib.RaftStatus;

/**
 * A live web view of the cluster, in the spirit of RaftScope: {@code GET /ui} serves one page (static HTML, JS and
 * CSS from the classpath, no outside resources) that polls {@code GET /ui/state} a few times per second and draws
 * each member's role, term, leader, election timer, indexes and the terms of its last log entries, with events
 * derived from the differences between samples.
 *
 * <table>
 *   <caption>Endpoints (under {@code /ui})</caption>
 *   <tr><th>request</th><th>answer</th></tr>
 *   <tr><td>{@code GET /ui}</td><td>the page</td></tr>
 *   <tr><td>{@code GET /ui/state}</td><td>every member's view ({@link WebViewState}), cached for 100 ms</td></tr>
 *   <tr><td>{@code GET /ui/node}</td><td>this node's view of itself (on a node only)</td></tr>
 *   <tr><td>{@code PUT /ui/kv/{key}}, body = value</td>
 *       <td>a write, passed to a member's {@code PUT /kv/{key}}</td></tr>
 *   <tr><td>{@code POST /ui/transfer/{id}}</td><td>the leader hands leadership to {@code id}</td></tr>
 *   <tr><td>{@code POST /ui/nodes/{id}/stop}, {@code .../restart}</td><td>only when served by the launcher
 *       ({@code cluster}), which runs the node processes; elsewhere 403 with the reason</td></tr>
 * </table>
 *
 * <p>It only samples: the cluster's work per poll is bounded by {@link WebViewState}'s cache, whatever the number of
 * open pages.
 */
final class WebView {

    /** Node processes the web view may stop and start again: the launcher's, when it serves the page. */
    interface NodeControl {

        /** Stops the node; returns a message for the page. */
        String stop(NodeId id) throws IOException, InterruptedException;

        /** Starts the stopped node again on its data; returns a message for the page. */
        String restart(NodeId id) throws IOException, InterruptedException;
    }

    static final String NO_CONTROLS = "Stop and restart are only offered by the page the launcher serves"
            + " (java -jar raftlib-kv.jar cluster prints its address): a node cannot restart itself.";
    private static final String RESOURCES = "/org/raftlib/examples/kv/webview/";
    private static final Map<String, String> FILES = Map.of("", "index.html", "/", "index.html",
            "/webview.js", "webview.js", "/webview.css", "webview.css");
    private static final Duration ACTION_TIMEOUT = Duration.ofSeconds(10);
    private static final int MAX_BODY_BYTES = KvCommand.MAX_VALUE_BYTES;

    private final Optional<RaftNode> node;
    private final Optional<HttpDirectory> directory;
    private final Optional<NodeControl> control;
    private final WebViewState state;

    private WebView(Optional<RaftNode> node, Optional<HttpDirectory> directory, Optional<NodeControl> control,
            Supplier<Map<NodeId, URI>> members) {
        this.node = node;
        this.directory = directory;
        this.control = control;
        Map<String, Object> header = new LinkedHashMap<>();
        header.put("servedBy", node.map(n -> n.id().value()).orElse("launcher"));
        header.put("controls", control.isPresent());
        header.put("controlsNote", control.isPresent() ? "" : NO_CONTROLS);
        this.state = new WebViewState(node, members, header);
    }

    /** The web view of one node's server: no stop or restart. */
    static WebView forNode(RaftNode node, HttpDirectory directory) {
        return new WebView(Optional.of(node), Optional.of(directory), Optional.empty(), () -> {
            Map<NodeId, URI> m = new LinkedHashMap<>();
            try {
                for (Member member : node.status().members()) {
                    m.put(member.id(), directory.lookup(member.id()).orElse(null));
                }
            } catch (RaftException e) {
                m.put(node.id(), null);
            }
            return m;
        });
    }

    /** The web view of the launcher: every member over HTTP, with stop and restart. */
    static WebView forCluster(Supplier<Map<NodeId, URI>> members, NodeControl control) {
        return new WebView(Optional.empty(), Optional.empty(), Optional.of(control), members);
    }

    /**
     * Serves one request under {@code /ui}.
     *
     * @param exchange the request
     */
    void handle(HttpExchange exchange) {
        try (exchange) {
            if (HttpWorkers.isShed()) {
                send(exchange, 503, "application/json", error("the server is busy; retry later"));
                return;
            }
            String path = exchange.getRequestURI().getRawPath().substring("/ui".length());
            String method = exchange.getRequestMethod();
            byte[] body = readBody(exchange);
            HttpWorkers.bodyRead();
            Answer a = body == null ? Answer.json(413, error("body is larger than " + MAX_BODY_BYTES + " bytes"))
                    : route(method, path, exchange.getRequestURI().getRawQuery(), body);
            HttpWorkers.answering();
            send(exchange, a.status, a.type, a.body);
        } catch (IOException e) {
            // the client went away; nothing to answer
        }
    }

    private record Answer(int status, String type, byte[] body) {

        static Answer json(int status, String json) {
            return new Answer(status, "application/json", json.getBytes(StandardCharsets.UTF_8));
        }
    }

    private Answer route(String method, String path, String query, byte[] body) throws IOException {
        try {
            if (method.equals("GET") && FILES.containsKey(path)) {
                return file(FILES.get(path));
            }
            if (method.equals("GET") && path.equals("/state")) {
                return Answer.json(200, state.json());
            }
            if (method.equals("GET") && path.equals("/node") && node.isPresent()) {
                return Answer.json(200, WebViewState.encode(WebViewState.local(node.get(), WebViewState.TAIL)));
            }
            if (method.equals("PUT") && path.startsWith("/kv/")) {
                return put(path.substring("/kv/".length()), body);
            }
            if (method.equals("POST") && path.startsWith("/transfer/")) {
                return transfer(NodeId.of(KeyPath.decodeKey(path.substring("/transfer/".length()))), query);
            }
            if (method.equals("POST") && path.startsWith("/nodes/")) {
                return control(path.substring("/nodes/".length()));
            }
            return Answer.json(404, error("no such web view endpoint: " + method + " /ui" + path));
        } catch (IllegalArgumentException e) {
            return Answer.json(400, error(e.getMessage()));
        } catch (RaftException e) {
            return Answer.json(503, error(e.getMessage()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Answer.json(503, error("interrupted"));
        }
    }

    private static Answer file(String name) throws IOException {
        try (InputStream in = WebView.class.getResourceAsStream(RESOURCES + name)) {
            if (in == null) {
                return Answer.json(500, error("missing resource " + name));
            }
            String type = name.endsWith(".html") ? "text/html" : name.endsWith(".js") ? "text/javascript"
                    : "text/css";
            return new Answer(200, type, in.readAllBytes());
        }
    }

    /** A write from the page, passed to this node's own {@code /kv} (which forwards it) or to the members in turn. */
    private Answer put(String rawKey, byte[] value) throws InterruptedException {
        KeyPath.decodeKey(rawKey);
        List<URI> targets = new ArrayList<>();
        node.flatMap(n -> directory.flatMap(d -> d.lookup(n.id()))).ifPresent(targets::add);
        state.members().values().stream().filter(u -> u != null && !targets.contains(u)).forEach(targets::add);
        state.invalidate();
        return relay(targets, "PUT", "/kv/" + rawKey, value, false);
    }

    private Answer transfer(NodeId target, String query) throws InterruptedException {
        state.invalidate();
        if (node.isPresent()) {
            RaftStatus s = node.get().status();
            if (s.isLeader()) {
                return transferHere(node.get(), target);
            }
            if ("hop=1".equals(query) || s.leader().isEmpty()) {
                return Answer.json(503, error(node.get().id() + " does not lead and knows no leader; retry"));
            }
            return relay(directory.flatMap(d -> d.lookup(s.leader().get())).stream().toList(), "POST",
                    "/ui/transfer/" + target + "?hop=1", new byte[0], false);
        }
        return relay(new ArrayList<>(state.members().values()), "POST", "/ui/transfer/" + target, new byte[0], true);
    }

    private static Answer transferHere(RaftNode leader, NodeId target) throws InterruptedException {
        try {
            leader.transferLeadership(target).get(ACTION_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            return Answer.json(200, WebViewState.encode(Map.of("leader", target.value())));
        } catch (ExecutionException e) {
            int status = e.getCause() instanceof IllegalArgumentException ? 400 : 503;
            return Answer.json(status, error("transfer to " + target + " failed: " + e.getCause().getMessage()));
        } catch (TimeoutException e) {
            return Answer.json(504, error("transfer to " + target + " did not finish in time"));
        }
    }

    private Answer control(String rest) throws IOException, InterruptedException {
        int slash = rest.indexOf('/');
        if (slash < 0) {
            return Answer.json(404, error("use POST /ui/nodes/{id}/stop or /restart"));
        }
        if (control.isEmpty()) {
            return Answer.json(403, error(NO_CONTROLS));
        }
        NodeId id = NodeId.of(KeyPath.decodeKey(rest.substring(0, slash)));
        String action = rest.substring(slash + 1);
        state.invalidate();
        String message = switch (action) {
            case "stop" -> control.get().stop(id);
            case "restart" -> control.get().restart(id);
            default -> throw new IllegalArgumentException("unknown action " + action + "; use stop or restart");
        };
        return Answer.json(200, WebViewState.encode(Map.of("message", message)));
    }

    /**
     * Sends the request to each target in turn until one answers (with other than 503 if {@code past503}, for requests
     * safe to repeat: a 503 to a write may mean it was applied); relays that answer.
     */
    private static Answer relay(List<URI> targets, String method, String pathAndQuery, byte[] body, boolean past503)
            throws InterruptedException {
        String last = "no member address known";
        for (URI base : targets) {
            HttpRequest request = HttpRequest.newBuilder(base.resolve(pathAndQuery)).timeout(ACTION_TIMEOUT)
                    .method(method, HttpRequest.BodyPublishers.ofByteArray(body)).build();
            try {
                HttpResponse<String> r = WebViewState.CLIENT.send(request, HttpResponse.BodyHandlers.ofString());
                if (!past503 || r.statusCode() != 503) {
                    return Answer.json(r.statusCode(), r.body());
                }
                last = base + " answered 503: " + r.body().trim();
            } catch (IOException e) {
                last = base + " did not answer: " + e;
            }
        }
        return Answer.json(503, error(last));
    }

    /** Returns the body, or null if it is longer than {@link #MAX_BODY_BYTES} (the connection is then closed). */
    private static byte[] readBody(HttpExchange ex) throws IOException {
        try (InputStream in = ex.getRequestBody()) {
            byte[] body = in.readNBytes(MAX_BODY_BYTES + 1);
            if (body.length > MAX_BODY_BYTES) {
                ex.getResponseHeaders().set("Connection", "close");
                return null;
            }
            return body;
        }
    }

    private static String error(String message) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("error", message);
        return WebViewState.encode(m);
    }

    private static void send(HttpExchange ex, int status, String type, String json) throws IOException {
        send(ex, status, type, json.getBytes(StandardCharsets.UTF_8));
    }

    private static void send(HttpExchange ex, int status, String type, byte[] body) throws IOException {
        ex.getResponseHeaders().set("Content-Type", type + "; charset=utf-8");
        ex.getResponseHeaders().set("Cache-Control", "no-store");
        HttpBodies.send(ex, status, body, false);
    }
}
