package org.raftlib.examples.kv;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
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
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.raftlib.Member;
import org.raftlib.NodeId;
import org.raftlib.RaftNode;
import org.raftlib.RaftOptions;
import org.raftlib.RaftStatus;
import org.raftlib.local.InMemoryLogStorage;
import org.raftlib.local.InMemorySnapshotStore;
import org.raftlib.local.LocalTransport;
import org.raftlib.testkit.Await;

/**
 * The membership endpoints and CLI commands on three in-process {@link KvServer}s over {@link LocalTransport}, and
 * a fourth node started in join mode: adding, promoting and removing through followers, the HTTP address of a new
 * member reaching every node, and the error answers.
 */
class KvMembershipServerTest {

    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final Duration ADMIN_TIMEOUT = Duration.ofSeconds(4);
    private static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private static final NodeId N4 = NodeId.of("n4");

    private LocalTransport.Hub hub;
    private final Map<NodeId, RaftNode> nodes = new LinkedHashMap<>();
    private final Map<NodeId, KvServer> servers = new LinkedHashMap<>();
    private final Map<NodeId, URI> http = new LinkedHashMap<>();
    private final List<Member> initial = new ArrayList<>();

    @BeforeEach
    void startCluster() throws IOException {
        hub = LocalTransport.hub(11);
        int[] ports = KvCluster.freePorts(4);
        for (int i = 1; i <= 4; i++) {
            http.put(NodeId.of("n" + i), URI.create("http://127.0.0.1:" + ports[i - 1]));
        }
        for (int i = 1; i <= 3; i++) {
            initial.add(Member.of("n" + i, "127.0.0.1:700" + i));
        }
        for (Member m : initial) {
            start(m.id(), initial, false);
        }
        Await.until("a leader", WAIT, () -> nodes.values().stream().filter(n -> n.status().isLeader()).count() == 1);
    }

    @AfterEach
    void stopCluster() {
        servers.values().forEach(KvServer::close);
        nodes.values().forEach(RaftNode::close);
        hub.close();
    }

    /** Starts a node; its server knows the HTTP addresses of {@code members} only. */
    private void start(NodeId id, List<Member> members, boolean join) throws IOException {
        RaftOptions options = RaftOptions.defaults().withElectionTimeout(Duration.ofMillis(1000))
                .withHeartbeatInterval(Duration.ofMillis(50));
        KvStateMachine machine = new KvStateMachine();
        RaftNode node = RaftNode.builder().id(id).members(members).join(join).stateMachine(machine)
                .logStorage(new InMemoryLogStorage()).snapshotStore(new InMemorySnapshotStore())
                .transport(hub.transport()).options(options).randomSeed(id.hashCode()).build();
        node.start();
        nodes.put(id, node);
        Map<NodeId, URI> known = new LinkedHashMap<>();
        members.forEach(m -> known.put(m.id(), http.get(m.id())));
        servers.put(id, KvServer.start(node, new InetSocketAddress("127.0.0.1", http.get(id).getPort()), known,
                machine, Duration.ofSeconds(3), ADMIN_TIMEOUT));
    }

    private void startN4() throws IOException {
        List<Member> members = new ArrayList<>(initial);
        members.add(new Member(N4, "127.0.0.1:7004"));
        start(N4, members, true);
    }

    private NodeId leader() {
        return nodes.entrySet().stream().filter(e -> e.getValue().status().isLeader()).map(Map.Entry::getKey)
                .findFirst().orElseThrow(() -> new AssertionError("no leader"));
    }

    private NodeId follower(int nth) {
        NodeId leader = leader();
        return initial.stream().map(Member::id).filter(id -> !id.equals(leader)).toList().get(nth);
    }

    private static HttpResponse<String> send(URI node, String method, String path, String body, String hops)
            throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(node + path)).timeout(WAIT)
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body));
        if (hops != null) {
            b.header(Forwarder.HOPS_HEADER, hops);
        }
        return CLIENT.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> send(NodeId node, String method, String path, String body) throws Exception {
        return send(http.get(node), method, path, body, null);
    }

    private Map<String, String> json(NodeId node, String method, String path, String body, int expectedStatus)
            throws Exception {
        HttpResponse<String> r = send(node, method, path, body);
        assertThat(r.statusCode()).as("%s %s on %s: %s", method, path, node, r.body()).isEqualTo(expectedStatus);
        return Json.decode(r.body());
    }

    private Map<String, String> status(NodeId node) {
        try {
            return json(node, "GET", "/status", null, 200);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    private String n4Body() {
        return "{\"id\":\"n4\",\"address\":\"127.0.0.1:7004\",\"httpAddress\":\"" + http.get(N4) + "\"}";
    }

    @Test
    void aJoiningNodeIsAddedThroughFollowersAndOnceItLeadsEveryNodeForwardsToIt() throws Exception {
        startN4();
        assertThat(status(N4)).containsEntry("membership", "joining").containsEntry("voter", "false");

        Map<String, String> added = json(follower(0), "POST", "/members/learners", n4Body(), 200);
        assertThat(added).containsEntry("voters", "n1,n2,n3").containsEntry("learners", "n4")
                .containsEntry("committed", "true").containsEntry("member.n4", "learner");
        Await.until("n4 to learn it is a learner", WAIT, () -> "learner".equals(status(N4).get("membership")));
        Map<String, String> listed = json(follower(1), "GET", "/members", null, 200);
        assertThat(listed).containsEntry("leader", leader().value()).containsEntry("http.n4", http.get(N4).toString())
                .containsEntry("raft.n4", "127.0.0.1:7004");

        Map<String, String> promoted = json(follower(1), "POST", "/members/promote/n4", null, 200);
        assertThat(promoted).containsEntry("voters", "n1,n2,n3,n4").containsEntry("learners", "");
        Await.until("n4 to vote", WAIT, () -> "voter".equals(status(N4).get("membership")));

        nodes.get(leader()).transferLeadership(N4).get(10, TimeUnit.SECONDS);
        for (NodeId id : List.of(NodeId.of("n1"), NodeId.of("n2"), NodeId.of("n3"))) {
            Await.until(id + " to know n4 leads", WAIT, () -> "n4".equals(status(id).get("leader")));
            assertThat(status(id)).containsEntry("leaderHttp", http.get(N4).toString())
                    .containsEntry("configurationIndex", status(N4).get("configurationIndex"));
            Map<String, String> put = json(id, "PUT", "/kv/via-" + id, "v", 200);
            assertThat(put).containsEntry("value", "v");
        }
        for (NodeId id : nodes.keySet()) {
            Await.until("the same state on " + id, WAIT, () -> status(id).get("kvDigest")
                    .equals(status(N4).get("kvDigest")) && status(id).get("kvCommands")
                    .equals(status(N4).get("kvCommands")));
        }
    }

    @Test
    void refusalsSayWhatIsWrong() throws Exception {
        NodeId f = follower(0);
        assertThat(json(f, "POST", "/members/learners", "{\"id\":\"n1\",\"address\":\"127.0.0.1:7001\"}", 400)
                .get("error")).contains("n1 is a member already");
        assertThat(json(f, "POST", "/members/promote/n2", null, 400).get("error")).contains("n2 is not a learner");
        assertThat(json(f, "DELETE", "/members/n7", null, 400).get("error")).contains("n7 is not a member");
        assertThat(json(f, "POST", "/members/voters", "{\"id\":\"n5\"}", 400).get("error"))
                .contains("needs \"id\" and \"address\"");
        assertThat(json(f, "GET", "/members/n1", null, 404).get("error")).contains("no such endpoint");
        assertThat(json(f, "GET", "/members?verbose", null, 400).get("error")).contains("unknown query parameter");

        HttpResponse<String> hop = send(http.get(f), "DELETE", "/members/n7", null, "1");
        assertThat(hop.statusCode()).isEqualTo(503);
        assertThat(hop.headers().firstValue(Forwarder.NOT_LEADER_HEADER)).contains("true");
        assertThat(json(f, "GET", "/members?local=true", null, 200)).containsEntry("id", f.value())
                .containsEntry("voters", "n1,n2,n3");

        String n9 = "{\"id\":\"n9\",\"address\":\"127.0.0.1:7009\"}";
        assertThat(json(f, "POST", "/members/voters", n9, 409).get("error")).contains("n9 has not caught up")
                .contains("--join");
        assertThat(json(f, "GET", "/members", null, 200)).containsEntry("learners", "n9")
                .containsEntry("voters", "n1,n2,n3").containsEntry("http.n9", "http://127.0.0.1:8009");
        assertThat(json(f, "DELETE", "/members/n9", null, 200)).containsEntry("learners", "");
    }

    @Test
    void removingTheLeaderAnswersWithTheCommittedConfigurationAndAnotherNodeLeads() throws Exception {
        NodeId old = leader();
        String others = follower(0) + "," + follower(1);
        Map<String, String> removed = json(old, "DELETE", "/members/" + old, null, 200);
        assertThat(removed).containsEntry("voters", others).containsEntry("committed", "true");
        Await.until("another leader", WAIT, () -> nodes.entrySet().stream()
                .anyMatch(e -> !e.getKey().equals(old) && e.getValue().status().isLeader()));
        assertThat(status(old)).containsEntry("membership", "removed").containsEntry("voter", "false")
                .containsEntry("configurationCommitted", "true");
        NodeId next = leader();
        assertThat(next).isNotEqualTo(old);
        assertThat(json(next, "PUT", "/kv/after", "x", 200)).containsEntry("value", "x");
    }

    /**
     * A removed follower refuses writes and reads at once ("not a member"), also after it stopped knowing a leader;
     * an outside probe's removed node then waited the whole request timeout and answered "no leader is known".
     */
    @Test
    void aRemovedNodeRefusesWritesAndReadsAtOnceOnceItKnowsNoLeader() throws Exception {
        NodeId gone = follower(0);
        json(leader(), "DELETE", "/members/" + gone, null, 200);
        Await.until(gone + " to know it was removed and to know no leader", WAIT,
                () -> "removed".equals(status(gone).get("membership")) && nodes.get(gone).status().leader().isEmpty());

        for (String request : List.of("PUT /kv/k", "GET /kv/k", "GET /members")) {
            String method = request.substring(0, request.indexOf(' '));
            long begin = System.nanoTime();
            HttpResponse<String> r = send(gone, method, request.substring(method.length() + 1),
                    method.equals("PUT") ? "v" : null);
            assertThat(r.statusCode()).as(r.body()).isEqualTo(503);
            assertThat(r.body()).as(request).contains("not a member").doesNotContain("no leader is known");
            assertThat(r.body().split("member", -1)).as("said once: " + r.body()).hasSizeLessThanOrEqualTo(3);
            assertThat(Duration.ofNanos(System.nanoTime() - begin)).as(request).isLessThan(Duration.ofSeconds(2));
        }
        assertThat(send(gone, "GET", "/members?local=true", null).statusCode()).as("its own view").isEqualTo(200);
    }

    @Test
    void aSecondChangeWhileOneIsInProgressIsRefusedWith409() throws Exception {
        NodeId leader = leader();
        NodeId f0 = follower(0);
        NodeId f1 = follower(1);
        hub.dropLink(f0, leader);
        hub.dropLink(f1, leader);
        RaftNode l = nodes.get(leader);
        long before = l.status().configurationIndex();
        CompletableFuture<HttpResponse<String>> first = CompletableFuture.supplyAsync(() -> {
            try {
                return send(leader, "DELETE", "/members/" + f1, null);
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        });
        Await.until("the first change to be appended", WAIT, () -> {
            RaftStatus s = l.status();
            return s.configurationIndex() > before && !s.isConfigurationCommitted();
        });
        Map<String, String> second = json(leader, "DELETE", "/members/" + f0, null, 409);
        assertThat(second.get("error")).contains("another membership change is in progress");
        hub.heal();
        assertThat(first.get(30, TimeUnit.SECONDS).statusCode()).as("the first change, 200 or indeterminate")
                .isIn(200, 504);
    }

    @Test
    void theCliAddsPromotesListsAndRemovesMembers() throws Exception {
        startN4();
        String nodeOption = "--node=" + http.get(NodeId.of("n1")) + "," + http.get(NodeId.of("n2"));
        assertThat(cli("members", nodeOption)).startsWith("0 voters n1,n2,n3; learners none; index 1, committed;")
                .contains("n1     voter");
        assertThat(cli("add-learner", "n4", "127.0.0.1:7004@" + http.get(N4).getPort(), nodeOption))
                .isEqualTo("0 OK: voters n1,n2,n3; learners n4, committed\n");
        assertThat(cli("status", nodeOption + "," + http.get(N4))).contains("learner").contains("leader: n")
                .contains("configuration: voters n1,n2,n3; learners n4; index ");
        assertThat(cli("promote", "n4", nodeOption)).isEqualTo("0 OK: voters n1,n2,n3,n4; learners none, committed\n");
        assertThat(cli("remove", "n4", nodeOption)).isEqualTo("0 OK: voters n1,n2,n3; learners none, committed\n");
        Await.until("n4 to learn it was removed", WAIT, () -> "removed".equals(status(N4).get("membership")));
        assertThat(cli("status", nodeOption + "," + http.get(N4))).contains("removed");
        assertThat(cli("remove", "n4", nodeOption)).startsWith("2 error 400 from http://127.0.0.1:")
                .contains("n4 is not a member");
        assertThat(cli("add-voter", "n9", "127.0.0.1:7009", nodeOption)).startsWith("2 error 409 from")
                .contains("n9 has not caught up");
        assertThat(cli("promote", "bad id", nodeOption)).startsWith("2 ");
    }

    /**
     * A node removed while it was cut off still thinks itself a voter; {@code status} shows it as the leader's
     * configuration has it, {@code removed} (it showed {@code voter} under a configuration line without it).
     */
    @Test
    void statusShowsANodeRemovedWhileCutOffAsRemoved() throws Exception {
        NodeId leader = leader();
        NodeId cut = follower(0);
        hub.isolate(cut);
        json(leader, "DELETE", "/members/" + cut, null, 200);
        assertThat(status(cut)).containsEntry("membership", "voter");

        String printed = cli("status", "--node=" + http.get(leader) + "," + http.get(cut));

        String row = printed.lines().filter(l -> l.startsWith(cut.value() + " ")).findFirst().orElseThrow();
        assertThat(row).as(printed).contains(" removed ").doesNotContain("voter");
        hub.heal();
    }

    /** Runs the CLI; returns its exit status, a space, and what it printed (standard output, then error). */
    private static String cli(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = KvCli.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return code + " " + out.toString(StandardCharsets.UTF_8) + err.toString(StandardCharsets.UTF_8);
    }
}
