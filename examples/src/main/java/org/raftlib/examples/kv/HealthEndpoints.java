package org.raftlib.examples.kv;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import org.raftlib.Health;
import org.raftlib.RaftNode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Probes for an orchestrator (a Kubernetes liveness and readiness probe, a load balancer's health check), from
 * {@link RaftNode#health()}. They answer at once from this node alone: no forwarding, no round trip to the Raft loop,
 * no request body.
 *
 * <table>
 *   <caption>Endpoints</caption>
 *   <tr><th>request</th><th>answer</th></tr>
 *   <tr><td>{@code GET /health/live}</td><td>200 {@code {"node","live":true}} while the node runs; 503
 *       {@code {"node","live":false,"reason"}} once it is closed or failed (restart it)</td></tr>
 *   <tr><td>{@code GET /health/ready}</td><td>200 {@code {"node","ready":true}} when it runs, knows a leader and has
 *       applied about what it knows committed; else 503 {@code {"node","ready":false,"reason"}}</td></tr>
 * </table>
 *
 * <p>Other methods get 405, other paths under {@code /health/} 404.
 */
final class HealthEndpoints {

    private static final Logger LOG = LoggerFactory.getLogger(HealthEndpoints.class);

    private final RaftNode node;

    private HealthEndpoints(RaftNode node) {
        this.node = node;
    }

    /**
     * Serves {@code /health/live} and {@code /health/ready} on {@code server} for {@code node}.
     *
     * @param server the HTTP server, not yet started or running
     * @param node the node whose health they report
     */
    static void register(HttpServer server, RaftNode node) {
        server.createContext("/health/", new HealthEndpoints(node)::handle);
    }

    /** Answers one probe; package-private for tests. */
    Reply answer(String method, String path) {
        if (!method.equals("GET") && !method.equals("HEAD")) {
            return Reply.error(405, "method " + method + " not allowed; use GET");
        }
        Health h = node.health();
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("node", node.id().value());
        switch (path) {
            case "/health/live" -> {
                body.put("live", h.live());
                h.liveReason().ifPresent(r -> body.put("reason", r));
                return Reply.of(h.live() ? 200 : 503, body);
            }
            case "/health/ready" -> {
                body.put("ready", h.ready());
                h.readyReason().ifPresent(r -> body.put("reason", r));
                return Reply.of(h.ready() ? 200 : 503, body);
            }
            default -> {
                return Reply.error(404, "no such endpoint: " + path + "; use /health/live or /health/ready");
            }
        }
    }

    private void handle(HttpExchange exchange) {
        try (exchange) {
            Reply reply = answer(exchange.getRequestMethod(), exchange.getRequestURI().getRawPath());
            byte[] bytes = (reply.json() + "\n").getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", "application/json; charset=utf-8");
            exchange.getResponseHeaders().set("Cache-Control", "no-store");
            boolean head = exchange.getRequestMethod().equals("HEAD");
            HttpBodies.send(exchange, reply.status(), bytes, head);
        } catch (IOException e) {
            LOG.debug("{} could not answer a health probe: {}", node.id(), e.toString());
        } catch (RuntimeException e) {
            LOG.warn("{} failed to answer a health probe", node.id(), e);
        }
    }
}
