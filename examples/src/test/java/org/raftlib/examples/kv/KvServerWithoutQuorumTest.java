package org.raftlib.examples.kv;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.raftlib.Member;
import org.raftlib.NodeId;
import org.raftlib.RaftNode;
import org.raftlib.local.InMemoryLogStorage;
import org.raftlib.local.LocalTransport;

/** One member of three running alone: it can never elect a leader, so writes end in a bounded 503. */
class KvServerWithoutQuorumTest {

    private static final HttpClient CLIENT = HttpClient.newHttpClient();

    private LocalTransport.Hub hub;
    private RaftNode node;
    private KvServer server;

    @BeforeEach
    void start() throws IOException {
        hub = LocalTransport.hub(3);
        List<Member> members = List.of(Member.of("n1", "a"), Member.of("n2", "b"), Member.of("n3", "c"));
        node = RaftNode.builder().id("n1").members(members).stateMachine(new KvStateMachine())
                .logStorage(new InMemoryLogStorage()).transport(hub.transport()).build();
        node.start();
        Map<NodeId, URI> http = Map.of(NodeId.of("n1"), URI.create("http://127.0.0.1:1"),
                NodeId.of("n2"), URI.create("http://127.0.0.1:2"), NodeId.of("n3"), URI.create("http://127.0.0.1:3"));
        server = KvServer.start(node, new InetSocketAddress("127.0.0.1", 0), http, Duration.ofMillis(400));
    }

    @AfterEach
    void stop() {
        server.close();
        node.close();
        hub.close();
    }

    private HttpResponse<String> send(String method, String path, String hops) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(server.uri() + path)).timeout(Duration.ofSeconds(20))
                .method(method, HttpRequest.BodyPublishers.ofString(method.equals("PUT") ? "v" : ""));
        if (hops != null) {
            b.header(Forwarder.HOPS_HEADER, hops);
        }
        return CLIENT.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void writeWithoutALeaderGets503AfterTheRequestTimeout() throws Exception {
        long start = System.nanoTime();
        HttpResponse<String> r = send("PUT", "/kv/a", null);
        assertThat(r.statusCode()).isEqualTo(503);
        assertThat(Json.decode(r.body()).get("error")).contains("no leader is known");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(10));
    }

    /**
     * Listing the members is a read: without a leader it gets its 503 after the request timeout, not after a
     * membership change's 20 s (the CLI gave up first, at 15 s, and reported the node unreachable: outside probe).
     */
    @Test
    void listingTheMembersWithoutALeaderGets503AfterTheRequestTimeout() throws Exception {
        long start = System.nanoTime();
        HttpResponse<String> r = send("GET", "/members", null);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(503);
        assertThat(Json.decode(r.body()).get("error")).contains("no leader is known within 400 ms");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(10));
        assertThat(send("GET", "/members?local=true", null).statusCode()).isEqualTo(200);
    }

    @Test
    void linearizableReadWithoutALeaderGets503ButAStaleReadIsServed() throws Exception {
        assertThat(send("GET", "/kv/a", null).statusCode()).isEqualTo(503);
        assertThat(send("GET", "/kv/a?stale=true", null).statusCode()).isEqualTo(404);
    }

    @Test
    void aForwardedRequestIsNotForwardedAgain() throws Exception {
        HttpResponse<String> r = send("PUT", "/kv/a", "1");
        assertThat(r.statusCode()).isEqualTo(503);
        assertThat(r.headers().firstValue(Forwarder.NOT_LEADER_HEADER)).contains("true");
        assertThat(send("PUT", "/kv/a", "one").statusCode()).isEqualTo(400);
    }

    @Test
    void statusReportsNoLeader() throws Exception {
        Map<String, String> s = Json.decode(send("GET", "/status", null).body());
        assertThat(s).containsEntry("id", "n1").doesNotContainKey("leader").doesNotContainKey("leaderHttp");
    }
}
