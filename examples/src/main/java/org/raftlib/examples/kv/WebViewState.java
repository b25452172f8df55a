package org.raftlib.examples.kv;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.raftlib.LogTail;
import org.raftlib.NodeId;
import org.raftlib.NodeState;
import org.raftlib.RaftException;
import org.raftlib.RaftNode;
import org.raftlib.RaftStatus;
import org.raftlib.SnapshotMeta;

/**
 * What the web view shows, gathered on demand and cached briefly: each member's own view of itself
 * ({@code GET /ui/node} on every member over HTTP, in parallel, with short timeouts; the serving node's own view
 * directly), so that a member that does not answer shows as down.
 *
 * <p>Bounded work: at most one gathering runs at a time per server, and an answer younger than {@link #CACHE} is
 * reused, so any number of open pages costs the cluster one {@code /ui/node} request per member per
 * {@link #CACHE}. A node answers {@code /ui/node} with two calls into its loop ({@link RaftNode#status()} and
 * {@link RaftNode#logTail(int)} for the last {@link #TAIL} entries), both answered from memory.
 */
final class WebViewState {

    /** How long a gathered state is reused. */
    static final Duration CACHE = Duration.ofMillis(100);
    /** How many log entries of each node are shown. */
    static final int TAIL = 40;
    /** How long the view waits for a member's answer before showing it as down. */
    static final Duration MEMBER_TIMEOUT = Duration.ofMillis(400);

    private static final ObjectMapper MAPPER = JsonMapper.builder().build();
    private static final ExecutorService CLIENT_THREADS = Executors.newFixedThreadPool(2, r -> {
        Thread t = new Thread(r, "kv-webview-client");
        t.setDaemon(true);
        return t;
    });
    /** Shared by every web view of the JVM: its threads are daemons, so nothing needs closing. */
    static final HttpClient CLIENT = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(MEMBER_TIMEOUT).executor(CLIENT_THREADS).build();

    private final Optional<RaftNode> self;
    private final Supplier<Map<NodeId, URI>> members;
    private final Map<String, Object> header;
    private String cached;
    private long cachedAtNanos;

    /**
     * @param self the node whose server shows the page, if any (its view is read directly, not over HTTP)
     * @param members every member's HTTP base address, asked at each gathering (membership may change)
     * @param header fields put first in every answer (who serves the page, whether it has controls)
     */
    WebViewState(Optional<RaftNode> self, Supplier<Map<NodeId, URI>> members, Map<String, Object> header) {
        this.self = self;
        this.members = members;
        this.header = Map.copyOf(header);
    }

    /** Returns the {@code /ui/state} answer: the cached one if younger than {@link #CACHE}, else a new one. */
    synchronized String json() {
        long now = System.nanoTime();
        if (cached == null || now - cachedAtNanos >= CACHE.toNanos()) {
            cached = encode(gather());
            cachedAtNanos = System.nanoTime();
        }
        return cached;
    }

    /** Forgets the cached state, so that the next poll shows the effect of an action at once. */
    synchronized void invalidate() {
        cached = null;
    }

    /** Returns the members' HTTP addresses this view currently knows. */
    Map<NodeId, URI> members() {
        return members.get();
    }

    private Map<String, Object> gather() {
        Map<NodeId, URI> all = new LinkedHashMap<>(members.get());
        self.ifPresent(n -> all.putIfAbsent(n.id(), null));
        Map<NodeId, CompletableFuture<Map<String, Object>>> asked = new LinkedHashMap<>();
        all.forEach((id, uri) -> {
            if (self.isPresent() && self.get().id().equals(id)) {
                asked.put(id, CompletableFuture.completedFuture(local(self.get(), TAIL)));
            } else if (uri != null) {
                asked.put(id, ask(uri));
            }
        });
        List<Map<String, Object>> nodes = new ArrayList<>();
        all.forEach((id, uri) -> {
            Map<String, Object> n = new LinkedHashMap<>();
            n.put("id", id.value());
            n.put("http", uri == null ? null : uri.toString());
            try {
                n.putAll(asked.get(id).get(2 * MEMBER_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                n.putAll(down("interrupted"));
            } catch (Exception e) {
                n.putAll(down("no answer within " + MEMBER_TIMEOUT.toMillis() + " ms"));
            }
            n.put("id", id.value());
            nodes.add(n);
        });
        nodes.sort((a, b) -> String.valueOf(a.get("id")).compareTo(String.valueOf(b.get("id"))));
        Map<String, Object> out = new LinkedHashMap<>(header);
        out.put("tail", TAIL);
        out.put("sampledAtMillis", System.currentTimeMillis());
        out.put("nodes", nodes);
        return out;
    }

    private static CompletableFuture<Map<String, Object>> ask(URI base) {
        HttpRequest request = HttpRequest.newBuilder(base.resolve("/ui/node")).timeout(MEMBER_TIMEOUT).GET().build();
        return CLIENT.sendAsync(request, HttpResponse.BodyHandlers.ofString()).thenApply(r -> {
            if (r.statusCode() != 200) {
                return down("HTTP " + r.statusCode());
            }
            return decode(r.body());
        }).exceptionally(e -> down(e.getCause() != null ? e.getCause().getClass().getSimpleName()
                : e.getClass().getSimpleName()));
    }

    private static Map<String, Object> down(String why) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("up", false);
        m.put("error", why);
        return m;
    }

    /**
     * Returns one node's view of itself, the {@code GET /ui/node} answer: role, term, leader, indexes, election
     * timer and the terms of its last {@code tail} entries; {@code up: false} if the node does not answer.
     */
    static Map<String, Object> local(RaftNode node, int tail) {
        RaftStatus s;
        LogTail t;
        try {
            s = node.status();
            t = node.logTail(tail);
        } catch (RaftException e) {
            return down(e.getMessage());
        }
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("id", s.id().value());
        f.put("up", s.state() == NodeState.RUNNING);
        f.put("state", s.state().name());
        f.put("role", s.role().name());
        f.put("term", s.term());
        f.put("leader", s.leader().map(NodeId::value).orElse(null));
        f.put("commitIndex", s.commitIndex());
        f.put("appliedIndex", s.appliedIndex());
        f.put("lastLogIndex", s.lastLogIndex());
        f.put("firstLogIndex", s.firstLogIndex());
        f.put("logEntries", s.lastLogIndex() - s.firstLogIndex() + 1);
        f.put("snapshotIndex", s.latestSnapshot().map(SnapshotMeta::index).orElse(0L));
        f.put("voter", s.isVoter());
        f.put("membership", StatusReport.membership(s));
        f.put("electionElapsedMillis", t.electionElapsed().toMillis());
        f.put("electionTimeoutMillis", t.electionTimeout().toMillis());
        f.put("tailFrom", t.fromIndex());
        f.put("tailTerms", t.terms());
        return f;
    }

    static String encode(Map<String, Object> fields) {
        try {
            return MAPPER.writeValueAsString(fields);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot encode the web view's state", e);
        }
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> decode(String json) {
        try {
            Map<String, Object> m = MAPPER.readValue(json, LinkedHashMap.class);
            m.remove("id");
            return m;
        } catch (JsonProcessingException e) {
            return down("bad answer: " + e.getOriginalMessage());
        }
    }
}
