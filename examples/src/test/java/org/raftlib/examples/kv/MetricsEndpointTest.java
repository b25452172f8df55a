package org.raftlib.examples.kv;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.raftlib.NodeId;
import org.raftlib.testkit.Await;
import org.raftlib.transport.netty.NettyTransportMetrics;

/**
 * {@code GET /metrics} on real key-value nodes (three, Netty transport, file storage): Prometheus text with the
 * leader's gauges (peers too), its latencies and the transport's counters.
 */
class MetricsEndpointTest {

    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    @Test
    void servesPrometheusTextWithRaftMetrics(@TempDir Path dir) throws Exception {
        int[] ports = KvCluster.freePorts(6);
        List<MemberSpec> members = MemberSpec.parseList("n1=127.0.0.1:" + ports[0] + "@" + ports[1]
                + ",n2=127.0.0.1:" + ports[2] + "@" + ports[3] + ",n3=127.0.0.1:" + ports[4] + "@" + ports[5]);
        List<KvNode> nodes = new ArrayList<>();
        try {
            for (MemberSpec m : members) {
                nodes.add(KvNode.start(m.id(), members, dir.resolve(m.id().value())));
            }
            Await.until("a leader", WAIT, () -> nodes.stream().anyMatch(n -> n.raftNode().status().isLeader()));
            KvNode leader = nodes.stream().filter(n -> n.raftNode().status().isLeader()).findFirst().orElseThrow();
            String l = leader.raftNode().id().value();
            HttpResponse<String> put = CLIENT.send(HttpRequest.newBuilder(leader.httpUri().resolve("/kv/k"))
                    .PUT(HttpRequest.BodyPublishers.ofString("v")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(put.statusCode()).isEqualTo(200);

            HttpResponse<String> r = get(leader.httpUri().resolve("/metrics"));
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.headers().firstValue("Content-Type")).hasValueSatisfying(t -> t.startsWith("text/plain"));
            String node = "{node=\"" + l + "\"";
            assertThat(r.body()).contains("# TYPE raft_term gauge", "raft_term" + node + "} ",
                    "raft_role" + node + ",role=\"leader\"} 1.0", "raft_commit_index" + node + "} ",
                    "raft_append_latency_seconds_count" + node + "} ", "raft_storage_write_latency_seconds_count{",
                    "raft_elections_won_total" + node + "} ", "raft_peer_lag" + node + ",peer=\"",
                    "raft_messages_sent_total" + node + ",type=\"append_entries\"}",
                    "raft_transport_rejected_connections_total{", "jvm_memory_used_bytes");
            assertThat(value(r.body(), "raft_commit_latency_seconds_count" + node + "}")).isGreaterThanOrEqualTo(1);
            assertThat(value(r.body(), "raft_transport_messages_in_total" + node + "}")).isPositive();
            assertThat(value(r.body(), "raft_transport_bytes_out_total" + node + "}")).isPositive();

            HttpResponse<String> post = CLIENT.send(HttpRequest.newBuilder(leader.httpUri().resolve("/metrics"))
                    .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(post.statusCode()).isEqualTo(405);
            assertThat(get(leader.httpUri().resolve("/metricsx")).statusCode()).isEqualTo(404);
        } finally {
            nodes.forEach(KvNode::close);
        }
    }

    @Test
    void nettyCountersAreMapped() {
        Map<String, Long> c = MetricsEndpoint.counters(new NettyTransportMetrics(1, 2, 3, 4, 5, 6, 7,
                Map.of(NettyTransportMetrics.RejectReason.WRONG_CLUSTER, 8L)));
        assertThat(c).containsExactly(Map.entry("messages.in", 1L), Map.entry("bytes.in", 2L),
                Map.entry("messages.out", 3L), Map.entry("bytes.out", 4L), Map.entry("dropped", 5L),
                Map.entry("connection.failures", 6L), Map.entry("stalled.connections", 7L),
                Map.entry("rejected.connections", 8L));
    }

    private static HttpResponse<String> get(URI uri) throws Exception {
        return CLIENT.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /** The value on the line starting with {@code name}. */
    private static double value(String body, String name) {
        return body.lines().filter(l -> l.startsWith(name + " ")).findFirst()
                .map(l -> Double.parseDouble(l.substring(name.length() + 1).trim())).orElseThrow();
    }
}
