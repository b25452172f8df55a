package org.raftlib.examples.kv;

import static org.assertj.core.api.Assertions.assertThat;

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
import org.junit.jupiter.api.Test;
import org.raftlib.Member;
import org.raftlib.NodeId;
import org.raftlib.RaftNode;
import org.raftlib.RaftOptions;
import org.raftlib.local.InMemoryLogStorage;
import org.raftlib.local.LocalTransport;
import org.raftlib.testkit.Await;

/** {@code GET /health/live} and {@code GET /health/ready} of a {@link KvServer}, over {@link LocalTransport}. */
class HealthEndpointsTest {

    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private static final RaftOptions OPTIONS = RaftOptions.defaults().withElectionTimeout(Duration.ofMillis(100))
            .withHeartbeatInterval(Duration.ofMillis(20));

    private final LocalTransport.Hub hub = LocalTransport.hub(3);
    private final List<RaftNode> nodes = new ArrayList<>();
    private final List<KvServer> servers = new ArrayList<>();

    @AfterEach
    void stop() {
        servers.forEach(KvServer::close);
        nodes.forEach(RaftNode::close);
        hub.close();
    }

    /** Starts n1 of {@code size} members (the others never start) with a server on a free port. */
    private KvServer startFirstOf(int size) throws IOException {
        List<Member> members = new ArrayList<>();
        Map<NodeId, URI> http = new LinkedHashMap<>();
        int[] ports = KvCluster.freePorts(size);
        for (int i = 1; i <= size; i++) {
            members.add(Member.of("n" + i, "local-" + i));
            http.put(NodeId.of("n" + i), URI.create("http://127.0.0.1:" + ports[i - 1]));
        }
        RaftNode node = RaftNode.builder().id("n1").members(members).stateMachine(new KvStateMachine())
                .logStorage(new InMemoryLogStorage()).transport(hub.transport()).options(OPTIONS).randomSeed(1)
                .build();
        nodes.add(node);
        node.start();
        KvServer server = KvServer.start(node, new InetSocketAddress("127.0.0.1", ports[0]), http);
        servers.add(server);
        return server;
    }

    private static HttpResponse<String> get(KvServer server, String path) throws IOException, InterruptedException {
        return send(server, "GET", path);
    }

    private static int statusOf(KvServer server, String path) {
        try {
            return get(server, path).statusCode();
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    private static HttpResponse<String> send(KvServer server, String method, String path)
            throws IOException, InterruptedException {
        HttpRequest request = HttpRequest.newBuilder(URI.create(server.uri() + path)).timeout(WAIT)
                .method(method, HttpRequest.BodyPublishers.noBody()).build();
        return CLIENT.send(request, HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void aLeaderIsLiveAndReady() throws Exception {
        KvServer server = startFirstOf(1);
        Await.until("n1 to be ready", WAIT, () -> statusOf(server, "/health/ready") == 200);
        HttpResponse<String> ready = get(server, "/health/ready");
        assertThat(Json.decode(ready.body())).containsEntry("node", "n1").containsEntry("ready", "true")
                .doesNotContainKey("reason");
        assertThat(ready.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t)
                .startsWith("application/json"));
        HttpResponse<String> live = get(server, "/health/live");
        assertThat(live.statusCode()).isEqualTo(200);
        assertThat(Json.decode(live.body())).containsEntry("live", "true");
    }

    @Test
    void aNodeWithoutALeaderIsLiveButNotReady() throws Exception {
        KvServer server = startFirstOf(3);
        assertThat(get(server, "/health/live").statusCode()).isEqualTo(200);
        HttpResponse<String> ready = get(server, "/health/ready");
        assertThat(ready.statusCode()).as(ready.body()).isEqualTo(503);
        assertThat(Json.decode(ready.body())).containsEntry("ready", "false")
                .hasEntrySatisfying("reason", r -> assertThat(r).startsWith("n1 ").contains("knows no leader"));
    }

    @Test
    void aClosedNodeIsNeitherLiveNorReady() throws Exception {
        KvServer server = startFirstOf(1);
        nodes.get(0).close();
        HttpResponse<String> live = get(server, "/health/live");
        assertThat(live.statusCode()).isEqualTo(503);
        assertThat(Json.decode(live.body())).containsEntry("live", "false").containsEntry("reason", "n1 is closed");
        HttpResponse<String> ready = get(server, "/health/ready");
        assertThat(ready.statusCode()).isEqualTo(503);
        assertThat(Json.decode(ready.body())).containsEntry("reason", "not live: n1 is closed");
    }

    @Test
    void otherMethodsAndPathsAreRefused() throws Exception {
        KvServer server = startFirstOf(1);
        assertThat(send(server, "POST", "/health/live").statusCode()).isEqualTo(405);
        HttpResponse<String> unknown = get(server, "/health/other");
        assertThat(unknown.statusCode()).isEqualTo(404);
        assertThat(Json.decode(unknown.body()).get("error")).contains("/health/live");
        assertThat(get(server, "/status").statusCode()).as("the rest of the API is untouched").isEqualTo(200);
    }
}
