package org.raftlib.examples.kv;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;
import org.raftlib.NodeId;
import org.raftlib.RaftMetrics;
import org.raftlib.RaftNode;
import org.raftlib.RaftNodeBuilder;
import org.raftlib.metrics.micrometer.MicrometerRaftMetrics;
import org.raftlib.metrics.micrometer.RaftMeterBinder;
import org.raftlib.metrics.micrometer.TransportMeters;
import org.raftlib.transport.netty.NettyTransportMetrics;

/**
 * {@code GET /metrics}: one node's metrics in Prometheus' text format, from a {@link PrometheusMeterRegistry} of its
 * own: the node's {@link RaftMetrics} meters ({@link MicrometerRaftMetrics}), the gauges of its status
 * ({@link RaftMeterBinder}), the Netty transport's counters ({@code raft_transport_*}) and a few JVM meters.
 *
 * <p>Create it before the node ({@link #create}), pass {@link #raftMetrics()} to the node's builder, {@link #bind}
 * the built node, and serve it from the node's HTTP server.
 */
final class MetricsEndpoint implements HttpHandler {

    private static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

    private final PrometheusMeterRegistry registry;
    private final NodeId id;
    private final MicrometerRaftMetrics raftMetrics;
    private volatile RaftMeterBinder binder;

    private MetricsEndpoint(PrometheusMeterRegistry registry, NodeId id) {
        this.registry = registry;
        this.id = id;
        this.raftMetrics = MicrometerRaftMetrics.register(registry, id);
    }

    /**
     * Creates the registry with the node's meters and the transport's counters.
     *
     * @param id the node
     * @param transport the node's Netty transport's counters, such as {@code transport::metrics}
     * @return the endpoint
     */
    static MetricsEndpoint create(NodeId id, Supplier<NettyTransportMetrics> transport) {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        new JvmMemoryMetrics().bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        TransportMeters.bind(registry, id, Tags.empty(), () -> counters(transport.get()));
        return new MetricsEndpoint(registry, id);
    }

    /** The Netty transport's counters by key; rejected connections summed over their reasons. */
    static Map<String, Long> counters(NettyTransportMetrics m) {
        Map<String, Long> out = new LinkedHashMap<>();
        out.put("messages.in", m.messagesIn());
        out.put("bytes.in", m.bytesIn());
        out.put("messages.out", m.messagesOut());
        out.put("bytes.out", m.bytesOut());
        out.put("dropped", m.dropped());
        out.put("connection.failures", m.connectionFailures());
        out.put("stalled.connections", m.stalledConnections());
        out.put("rejected.connections", m.rejectedTotal());
        return out;
    }

    /** Returns what to pass to {@link RaftNodeBuilder#metrics(RaftMetrics)}. */
    RaftMetrics raftMetrics() {
        return raftMetrics;
    }

    /**
     * Adds the gauges of {@code node}'s status.
     *
     * @param node the node built with {@link #raftMetrics()}
     */
    void bind(RaftNode node) {
        binder = RaftMeterBinder.bind(node, registry);
    }

    /** Returns the text a scrape gets now: every gauge from one status read, new peers included. */
    String scrape() {
        RaftMeterBinder b = binder;
        if (b != null) {
            b.refresh();
        }
        return registry.scrape();
    }

    @Override
    public void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            exchange.getRequestBody().readAllBytes();
            if (!exchange.getRequestURI().getPath().equals("/metrics")) {
                answer(exchange, 404, "text/plain; charset=utf-8", "not found\n");
            } else if (!exchange.getRequestMethod().equals("GET")) {
                exchange.getResponseHeaders().set("Allow", "GET");
                answer(exchange, 405, "text/plain; charset=utf-8", "use GET\n");
            } else {
                answer(exchange, 200, CONTENT_TYPE, scrape());
            }
        }
    }

    private static void answer(HttpExchange exchange, int status, String type, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", type);
        HttpBodies.send(exchange, status, bytes, false);
    }

    @Override
    public String toString() {
        return "MetricsEndpoint[" + id + "]";
    }
}
