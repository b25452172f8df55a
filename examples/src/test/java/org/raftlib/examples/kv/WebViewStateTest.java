package org.raftlib.examples.kv;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.raftlib.Member;
import org.raftlib.NodeId;
import org.raftlib.RaftNode;
import org.raftlib.RaftOptions;
import org.raftlib.local.InMemoryLogStorage;
import org.raftlib.local.InMemorySnapshotStore;
import org.raftlib.local.LocalTransport;
import org.raftlib.testkit.Await;

/** The web view's endpoints without a browser: three {@link KvServer}s over {@link LocalTransport}, in one JVM. */
class WebViewStateTest {

    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private LocalTransport.Hub hub;
    private final List<RaftNode> nodes = new ArrayList<>();
    private final List<KvServer> servers = new ArrayList<>();

    @BeforeEach
    void startCluster() throws IOException {
        hub = LocalTransport.hub(11);
        List<Member> members = new ArrayList<>();
        Map<NodeId, URI> http = new LinkedHashMap<>();
        int[] ports = KvCluster.freePorts(3);
        for (int i = 1; i <= 3; i++) {
            members.add(Member.of("n" + i, "local-" + i));
            http.put(NodeId.of("n" + i), URI.create("http://127.0.0.1:" + ports[i - 1]));
        }
        RaftOptions options = RaftOptions.defaults().withElectionTimeout(Duration.ofMillis(300))
                .withHeartbeatInterval(Duration.ofMillis(30));
        for (Member m : members) {
            RaftNode node = RaftNode.builder().id(m.id()).members(members).stateMachine(new KvStateMachine())
                    .logStorage(new InMemoryLogStorage()).snapshotStore(new InMemorySnapshotStore())
                    .transport(hub.transport()).options(options).randomSeed(m.id().hashCode()).build();
            node.start();
            nodes.add(node);
            URI uri = http.get(m.id());
            servers.add(KvServer.start(node, new InetSocketAddress("127.0.0.1", uri.getPort()), http));
        }
        Await.until("a leader", WAIT, () -> nodes.stream().filter(n -> n.status().isLeader()).count() == 1);
    }

    @AfterEach
    void stopCluster() {
        servers.forEach(KvServer::close);
        nodes.forEach(RaftNode::close);
        hub.close();
    }

    private static HttpResponse<String> send(KvServer server, String method, String path, String body)
            throws IOException, InterruptedException {
        HttpRequest request = HttpRequest.newBuilder(URI.create(server.uri() + path)).timeout(WAIT)
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body))
                .build();
        return CLIENT.send(request, HttpResponse.BodyHandlers.ofString());
    }

    private static JsonNode state(KvServer server) {
        try {
            HttpResponse<String> r = send(server, "GET", "/ui/state", null);
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            return MAPPER.readTree(r.body());
        } catch (IOException | InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    private static List<JsonNode> leaders(JsonNode state) {
        List<JsonNode> out = new ArrayList<>();
        state.get("nodes").forEach(n -> {
            if (n.path("up").asBoolean() && n.path("role").asText().equals("LEADER")) {
                out.add(n);
            }
        });
        return out;
    }

    private int leaderIndex() {
        for (int i = 0; i < nodes.size(); i++) {
            if (nodes.get(i).status().isLeader()) {
                return i;
            }
        }
        throw new AssertionError("no leader");
    }

    @Test
    void stateShowsEveryMemberWithItsIndexesAndLogTerms() throws Exception {
        KvServer follower = servers.get((leaderIndex() + 1) % 3);
        JsonNode s = state(follower);
        assertThat(s.get("controls").asBoolean()).isFalse();
        assertThat(s.get("controlsNote").asText()).contains("launcher");
        assertThat(s.get("tail").asInt()).isEqualTo(WebViewState.TAIL);
        assertThat(s.get("nodes")).hasSize(3);
        List<String> ids = new ArrayList<>();
        for (JsonNode n : s.get("nodes")) {
            ids.add(n.get("id").asText());
            assertThat(n.get("up").asBoolean()).as(n.toString()).isTrue();
            for (String f : List.of("term", "commitIndex", "appliedIndex", "lastLogIndex", "snapshotIndex",
                    "logEntries", "electionElapsedMillis", "electionTimeoutMillis", "tailFrom")) {
                assertThat(n.has(f)).as(f + " in " + n).isTrue();
            }
            assertThat(n.get("tailTerms").isArray()).isTrue();
            assertThat(n.get("tailTerms").size()).isEqualTo(n.get("lastLogIndex").asLong()
                    - n.get("tailFrom").asLong() + 1);
        }
        assertThat(ids).containsExactly("n1", "n2", "n3");
        Await.until("exactly one leader in the view", WAIT, () -> leaders(state(follower)).size() == 1);

        HttpResponse<String> page = send(follower, "GET", "/ui", null);
        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t)
                .startsWith("text/html"));
        assertThat(page.body()).contains("/ui/webview.js").doesNotContain("http://", "https://");
        assertThat(send(follower, "GET", "/ui/webview.js", null).statusCode()).isEqualTo(200);
        assertThat(send(follower, "GET", "/ui/webview.css", null).statusCode()).isEqualTo(200);
        assertThat(send(follower, "GET", "/ui/nope", null).statusCode()).isEqualTo(404);
        assertThat(send(follower, "PUT", "/ui/kv/big", "x".repeat(KvCommand.MAX_VALUE_BYTES + 1)).statusCode())
                .isEqualTo(413);
        assertThat(send(follower, "PUT", "/ui/kv/a%2Fb/c", "v").statusCode()).isEqualTo(400);
    }

    @Test
    void aWriteFromThePageAdvancesEveryCommitIndex() throws Exception {
        KvServer follower = servers.get((leaderIndex() + 1) % 3);
        long before = leaders(state(follower)).get(0).get("commitIndex").asLong();
        HttpResponse<String> put = send(follower, "PUT", "/ui/kv/colour", "blue");
        assertThat(put.statusCode()).as(put.body()).isEqualTo(200);
        assertThat(put.body()).contains("\"value\":\"blue\"");
        Await.until("every node to commit the write", WAIT, () -> {
            JsonNode s = state(follower);
            for (JsonNode n : s.get("nodes")) {
                if (n.get("commitIndex").asLong() <= before) {
                    return false;
                }
            }
            return true;
        });
        HttpResponse<String> get = send(servers.get(0), "GET", "/kv/colour", null);
        assertThat(get.body()).contains("blue");
    }

    @Test
    void transferLeadershipFromAFollowerAndStopIsRefusedOnANode() throws Exception {
        int leader = leaderIndex();
        KvServer follower = servers.get((leader + 1) % 3);
        String target = nodes.get((leader + 2) % 3).id().value();
        HttpResponse<String> t = send(follower, "POST", "/ui/transfer/" + target, null);
        assertThat(t.statusCode()).as(t.body()).isEqualTo(200);
        Await.until(target + " to lead in the view", WAIT, () -> {
            List<JsonNode> l = leaders(state(follower));
            return l.size() == 1 && l.get(0).get("id").asText().equals(target);
        });
        HttpResponse<String> stop = send(follower, "POST", "/ui/nodes/" + target + "/stop", null);
        assertThat(stop.statusCode()).isEqualTo(403);
        assertThat(stop.body()).contains("launcher");
    }

    @Test
    void aMemberThatDoesNotAnswerIsShownDown() {
        int leader = leaderIndex();
        int gone = (leader + 1) % 3;
        KvServer watcher = servers.get((leader + 2) % 3);
        String goneId = nodes.get(gone).id().value();
        servers.get(gone).close();
        nodes.get(gone).close();
        Await.until(goneId + " shown down", WAIT, () -> {
            for (JsonNode n : state(watcher).get("nodes")) {
                if (n.get("id").asText().equals(goneId)) {
                    return !n.get("up").asBoolean() && n.has("error");
                }
            }
            return false;
        });
        JsonNode s = state(watcher);
        assertThat(s.get("nodes")).hasSize(3);
        assertThat(leaders(s)).hasSize(1);
    }
}
