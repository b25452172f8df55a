package org.raftlib.examples.kv;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.raftlib.Member;
import org.raftlib.NodeId;
import org.raftlib.RaftNode;
import org.raftlib.RaftOptions;
import org.raftlib.local.InMemoryLogStorage;
import org.raftlib.local.InMemorySnapshotStore;
import org.raftlib.local.LocalTransport;
import org.raftlib.testkit.Await;

/** Three {@link KvServer}s over {@link LocalTransport} and {@link InMemoryLogStorage}, in one JVM. */
class KvServerTest {

    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private static LocalTransport.Hub hub;
    private static final List<RaftNode> NODES = new ArrayList<>();
    private static final List<KvServer> SERVERS = new ArrayList<>();

    @BeforeAll
    static void startCluster() throws IOException {
        hub = LocalTransport.hub(7);
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
                    .transport(hub.transport()).options(options)
                    .randomSeed(m.id().hashCode()).build();
            node.start();
            NODES.add(node);
            URI uri = http.get(m.id());
            SERVERS.add(KvServer.start(node, new InetSocketAddress("127.0.0.1", uri.getPort()), http));
        }
        Await.until("a leader", WAIT, () -> NODES.stream().filter(n -> n.status().isLeader()).count() == 1);
    }

    @AfterAll
    static void stopCluster() {
        SERVERS.forEach(KvServer::close);
        NODES.forEach(RaftNode::close);
        hub.close();
    }

    private static int leaderIndex() {
        for (int i = 0; i < NODES.size(); i++) {
            if (NODES.get(i).status().isLeader()) {
                return i;
            }
        }
        throw new AssertionError("no leader");
    }

    private static KvServer follower(int nth) {
        int leader = leaderIndex();
        List<KvServer> followers = new ArrayList<>(SERVERS);
        followers.remove(leader);
        return followers.get(nth);
    }

    private static HttpResponse<String> send(KvServer server, String method, String path, String body,
            String... headers) throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(server.uri() + path)).timeout(WAIT)
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body));
        if (headers.length > 0) {
            request.headers(headers);
        }
        return CLIENT.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    /**
     * A write resent in the client's session, through another node, is applied once and answered as the first time:
     * the resent {@code PUT k=v1} does not overwrite the later {@code v2}.
     */
    @Test
    void aWriteResentInTheClientsSessionIsAppliedOnceAndAnsweredAsTheFirstTime() throws Exception {
        HttpResponse<String> opened = send(follower(1), "POST", "/sessions", null);
        assertThat(opened.statusCode()).as(opened.body()).isEqualTo(200);
        String session = json(opened).get("session");
        String[] first = {KvWrites.SESSION_HEADER, session, KvWrites.SEQUENCE_HEADER, "1"};

        HttpResponse<String> put = send(follower(1), "PUT", "/kv/once", "v1", first);
        assertThat(put.statusCode()).as(put.body()).isEqualTo(200);
        assertThat(send(follower(0), "PUT", "/kv/once", "v2").statusCode()).isEqualTo(200);
        HttpResponse<String> resent = send(follower(0), "PUT", "/kv/once", "v1", first);

        assertThat(resent.statusCode()).as(resent.body()).isEqualTo(200);
        assertThat(json(resent)).as("the first answer, previous value absent").isEqualTo(json(put));
        assertThat(json(send(follower(1), "GET", "/kv/once", null))).containsEntry("value", "v2");
        HttpResponse<String> half = send(follower(1), "PUT", "/kv/once", "x", KvWrites.SESSION_HEADER, session);
        assertThat(half.statusCode()).isEqualTo(400);
        HttpResponse<String> unknown = send(follower(1), "PUT", "/kv/once", "x", KvWrites.SESSION_HEADER, "999999",
                KvWrites.SEQUENCE_HEADER, "1");
        assertThat(unknown.statusCode()).as(unknown.body()).isEqualTo(410);
        assertThat(unknown.body()).as("a resend's earlier attempt may have been applied before the session ended")
                .doesNotContain("\"applied\":false").contains("may have been applied");
    }

    private static Map<String, String> json(HttpResponse<String> response) {
        return Json.decode(response.body());
    }

    @Test
    void putOnAFollowerIsForwardedAndEveryNodeReadsIt() throws Exception {
        HttpResponse<String> put = send(follower(0), "PUT", "/kv/colour", "blue");
        assertThat(put.statusCode()).as(put.body()).isEqualTo(200);
        assertThat(json(put)).containsEntry("key", "colour").containsEntry("value", "blue");

        HttpResponse<String> get = send(follower(1), "GET", "/kv/colour", null);
        assertThat(get.statusCode()).as(get.body()).isEqualTo(200);
        assertThat(json(get)).containsEntry("value", "blue");
        HttpResponse<String> lease = send(follower(1), "GET", "/kv/colour?read=lease", null);
        assertThat(lease.statusCode()).as(lease.body()).isEqualTo(200);
        assertThat(json(lease)).containsEntry("value", "blue");
        HttpResponse<String> bounded = send(follower(1), "GET", "/kv/colour?read=bounded&max-staleness-ms=0", null);
        assertThat(bounded.statusCode()).as(bounded.body()).isEqualTo(200);
        assertThat(json(bounded)).containsEntry("value", "blue");
        HttpResponse<String> bad = send(follower(1), "GET", "/kv/colour?read=sometimes", null);
        assertThat(bad.statusCode()).isEqualTo(400);
        assertThat(json(bad).get("error")).contains("linearizable|lease|stale|bounded");
        HttpResponse<String> badBound = send(follower(1), "GET", "/kv/colour?read=bounded&max-staleness-ms=-5", null);
        assertThat(badBound.statusCode()).isEqualTo(400);
        assertThat(json(badBound).get("error")).contains("max-staleness-ms");

        for (KvServer s : SERVERS) {
            Await.until("stale read of colour on " + s.uri(), WAIT, () -> {
                try {
                    HttpResponse<String> r = send(s, "GET", "/kv/colour?stale=true", null);
                    return r.statusCode() == 200 && "blue".equals(json(r).get("value"));
                } catch (IOException | InterruptedException e) {
                    throw new AssertionError(e);
                }
            });
        }
    }

    @Test
    void putReturnsThePreviousValueAndDeleteRemovesIt() throws Exception {
        send(follower(0), "PUT", "/kv/pet", "cat");
        assertThat(json(send(follower(1), "PUT", "/kv/pet", "dog"))).containsEntry("previous", "cat");
        HttpResponse<String> delete = send(follower(0), "DELETE", "/kv/pet", null);
        assertThat(delete.statusCode()).isEqualTo(200);
        assertThat(json(delete)).containsEntry("deleted", "true").containsEntry("previous", "dog");
        assertThat(send(follower(1), "GET", "/kv/pet", null).statusCode()).isEqualTo(404);
        assertThat(send(follower(1), "DELETE", "/kv/pet", null).statusCode()).isEqualTo(404);
    }

    @Test
    void compareAndSetSucceedsOnlyWithTheExpectedValue() throws Exception {
        KvServer s = follower(0);
        assertThat(send(s, "POST", "/kv/counter/cas", "{\"new\":\"1\"}").statusCode()).isEqualTo(200);
        HttpResponse<String> lost = send(s, "POST", "/kv/counter/cas", "{\"expected\":\"0\",\"new\":\"2\"}");
        assertThat(lost.statusCode()).isEqualTo(409);
        assertThat(json(lost)).containsEntry("current", "1");
        HttpResponse<String> won = send(s, "POST", "/kv/counter/cas", "{\"expected\":\"1\",\"new\":\"2\"}");
        assertThat(won.statusCode()).as(won.body()).isEqualTo(200);
        assertThat(json(won)).containsEntry("previous", "1").containsEntry("value", "2");
    }

    @Test
    void appendOnAFollowerIsForwardedAndAnswersTheNewValue() throws Exception {
        HttpResponse<String> first = send(follower(0), "POST", "/kv/journal?op=append", "a");
        assertThat(first.statusCode()).as(first.body()).isEqualTo(200);
        assertThat(json(first)).containsEntry("key", "journal").containsEntry("value", "a")
                .containsEntry("appended", "a");
        HttpResponse<String> second = send(follower(1), "POST", "/kv/journal?op=append", "bc");
        assertThat(json(second)).containsEntry("value", "abc").containsEntry("appended", "bc");
        assertThat(json(send(follower(0), "GET", "/kv/journal", null))).containsEntry("value", "abc");
        HttpResponse<String> noOp = send(follower(0), "POST", "/kv/journal", "x");
        assertThat(noOp.statusCode()).isEqualTo(400);
        assertThat(json(noOp).get("error")).contains("?op=append");
        assertThat(send(follower(0), "POST", "/kv/journal?op=prepend", "x").statusCode()).isEqualTo(400);
        assertThat(json(send(follower(1), "GET", "/kv/journal", null))).containsEntry("value", "abc");
    }

    @Test
    void keysArePercentDecodedAndMayHoldSlashes() throws Exception {
        String path = "/kv/" + KeyPath.encodeKey("a/b c+ü");
        assertThat(send(follower(0), "PUT", path, "v").statusCode()).isEqualTo(200);
        HttpResponse<String> get = send(follower(1), "GET", path, null);
        assertThat(json(get)).containsEntry("key", "a/b c+ü").containsEntry("value", "v");
    }

    @Test
    void badInputGets400WithAJsonError() throws Exception {
        KvServer s = follower(0);
        Map<String, String[]> cases = new LinkedHashMap<>();
        cases.put("empty key", new String[] {"PUT", "/kv/", "v"});
        cases.put("raw slash", new String[] {"PUT", "/kv/a/b", "v"});
        cases.put("control char", new String[] {"PUT", "/kv/a%0Ab", "v"});
        cases.put("long key", new String[] {"GET", "/kv/" + "k".repeat(KvCommand.MAX_KEY_BYTES + 1), null});
        cases.put("bad utf-8 key", new String[] {"GET", "/kv/%FF", null});
        cases.put("unknown parameter", new String[] {"GET", "/kv/a?fresh=1", null});
        cases.put("malformed json", new String[] {"POST", "/kv/a/cas", "{\"new\":"});
        cases.put("cas without new", new String[] {"POST", "/kv/a/cas", "{\"expected\":\"x\"}"});
        cases.put("cas unknown field", new String[] {"POST", "/kv/a/cas", "{\"new\":\"x\",\"old\":\"y\"}"});
        cases.put("cas nested", new String[] {"POST", "/kv/a/cas", "{\"new\":{}}"});
        cases.put("cas number", new String[] {"POST", "/kv/a/cas", "{\"new\":1}"});
        cases.put("cas boolean expected", new String[] {"POST", "/kv/a/cas", "{\"expected\":true,\"new\":\"x\"}"});
        cases.put("cas trailing text", new String[] {"POST", "/kv/a/cas", "{\"new\":\"x\"} {}"});
        cases.put("cas duplicate", new String[] {"POST", "/kv/a/cas", "{\"new\":\"x\",\"new\":\"y\"}"});
        cases.put("member number", new String[] {"POST", "/members/learners", "{\"id\":4,\"address\":\"h:1\"}"});
        cases.put("member surrogate", new String[] {"POST", "/members/learners",
            "{\"id\":\"\\ud800\",\"address\":\"127.0.0.1:7009\"}"});
        for (Map.Entry<String, String[]> c : cases.entrySet()) {
            String[] r = c.getValue();
            HttpResponse<String> response = send(s, r[0], r[1], r[2]);
            assertThat(response.statusCode()).as("%s: %s", c.getKey(), response.body()).isEqualTo(400);
            assertThat(json(response)).as(c.getKey()).containsKey("error");
        }
    }

    @Test
    void unpairedSurrogatesAreRefusedNotStoredAltered() throws Exception {
        KvServer s = follower(0);
        for (String body : List.of("{\"new\":\"\\ud800\"}", "{\"new\":\"a\\udc00\"}",
                "{\"expected\":\"\\ud800\",\"new\":\"x\"}")) {
            HttpResponse<String> r = send(s, "POST", "/kv/surrogate/cas", body);
            assertThat(r.statusCode()).as(body).isEqualTo(400);
            assertThat(json(r).get("error")).as(body).contains("unpaired UTF-16 surrogate");
        }
        assertThat(send(s, "GET", "/kv/surrogate", null).statusCode()).isEqualTo(404);
    }

    @Test
    void bodiesThatAreNotUtf8AreRefusedNotStoredAltered() throws Exception {
        KvServer s = follower(0);
        byte[][] bodies = {{'a', (byte) 0xff}, {(byte) 0xc3}, {(byte) 0xed, (byte) 0xa0, (byte) 0x80}};
        for (byte[] body : bodies) {
            for (String path : List.of("/kv/raw", "/kv/raw/cas")) {
                HttpRequest request = HttpRequest.newBuilder(URI.create(s.uri() + path)).timeout(WAIT)
                        .method(path.endsWith("cas") ? "POST" : "PUT", HttpRequest.BodyPublishers.ofByteArray(body))
                        .build();
                HttpResponse<String> r = CLIENT.send(request, HttpResponse.BodyHandlers.ofString());
                assertThat(r.statusCode()).as(path).isEqualTo(400);
                assertThat(json(r).get("error")).as(path).contains("not valid UTF-8");
            }
        }
        assertThat(send(s, "GET", "/kv/raw", null).statusCode()).isEqualTo(404);
    }

    @Test
    void malformedPercentEscapesGet400() throws Exception {
        for (String path : List.of("/kv/%zz", "/kv/a%2")) {
            try (Socket socket = new Socket("127.0.0.1", follower(0).uri().getPort())) {
                socket.setSoTimeout((int) WAIT.toMillis());
                OutputStream out = socket.getOutputStream();
                out.write(("GET " + path + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                        .getBytes(StandardCharsets.US_ASCII));
                out.flush();
                String response = new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                assertThat(response).as(path).startsWith("HTTP/1.1 400");
            }
        }
    }

    @Test
    void unknownPathsAndMethodsAreRefused() throws Exception {
        KvServer s = follower(0);
        assertThat(send(s, "GET", "/nothing", null).statusCode()).isEqualTo(404);
        assertThat(send(s, "PATCH", "/kv/a", "x").statusCode()).isEqualTo(405);
        assertThat(send(s, "POST", "/status", "").statusCode()).isEqualTo(405);
        HttpResponse<String> tooBig = send(s, "PUT", "/kv/a", "x".repeat(KvCommand.MAX_VALUE_BYTES + 1));
        assertThat(tooBig.statusCode()).isEqualTo(413);
    }

    @Test
    void statusNamesTheLeaderAndItsHttpAddress() throws Exception {
        KvServer leader = SERVERS.get(leaderIndex());
        Map<String, String> status = json(send(follower(0), "GET", "/status", null));
        assertThat(status).containsEntry("role", "FOLLOWER").containsEntry("state", "RUNNING")
                .containsEntry("leaderHttp", leader.uri().toString()).containsEntry("members", "n1,n2,n3")
                .containsKeys("term", "commitIndex", "appliedIndex", "lastLogIndex", "http.n1", "raft.n3");
        Map<String, String> own = json(send(leader, "GET", "/status", null));
        assertThat(own).containsEntry("role", "LEADER").containsEntry("http", leader.uri().toString());
        assertThat(own.keySet()).anyMatch(k -> k.startsWith("peer.") && k.endsWith(".matchIndex"));
        for (String peer : List.of("n1", "n2", "n3")) {
            if (own.containsKey("peer." + peer + ".matchIndex")) {
                assertThat(own).containsEntry("peer." + peer + ".reachable", "true")
                        .containsKey("peer." + peer + ".heardMillisAgo");
            }
        }
    }

    @Test
    void snapshotEndpointSnapshotsThisNodeAndStatusShowsIt() throws Exception {
        KvServer follower = follower(1);
        assertThat(send(follower, "PUT", "/kv/snap-key", "v").statusCode()).isEqualTo(200);
        Await.until("the follower to apply the put", WAIT, () -> {
            try {
                return !"0".equals(json(send(follower, "GET", "/status", null)).get("appliedIndex"));
            } catch (IOException e) {
                return false;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        });

        HttpResponse<String> r = send(follower, "POST", "/snapshot", null);

        assertThat(r.statusCode()).isEqualTo(200);
        long index = Long.parseLong(json(r).get("snapshotIndex"));
        assertThat(index).isPositive();
        assertThat(json(send(follower, "GET", "/status", null))).containsEntry("snapshotIndex", Long.toString(index))
                .containsKeys("firstLogIndex", "logEntries", "snapshotBytes");
        assertThat(send(follower, "GET", "/snapshot", null).statusCode()).isEqualTo(405);
    }

    /** A node whose HTTP port is taken says which address it could not serve on (it said only "Address in use"). */
    @Test
    void anHttpPortInUseIsNamedInTheError() {
        KvServer taken = SERVERS.get(0);
        InetSocketAddress bind = new InetSocketAddress("127.0.0.1", taken.uri().getPort());

        assertThatThrownBy(() -> KvServer.start(NODES.get(0), bind, Map.of()))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("cannot serve HTTP on 127.0.0.1:" + taken.uri().getPort());
    }
}
