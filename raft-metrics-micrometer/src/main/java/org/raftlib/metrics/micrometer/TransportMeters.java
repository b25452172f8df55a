package org.raftlib.metrics.micrometer;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import org.raftlib.NodeId;

/**
 * Counters of a transport's own statistics, for any {@link org.raftlib.Transport}: the transport's counts come as a
 * map from a supplier, and each key present at binding becomes a counter {@code raft.transport.KEY} tagged
 * {@code node}. With the Netty transport, for example:
 *
 * <pre>{@code
 * TransportMeters.bind(registry, nodeId, Tags.empty(), () -> {
 *     NettyTransportMetrics m = transport.metrics();
 *     return Map.of("messages.in", m.messagesIn(), "dropped", m.dropped(), ...);
 * });
 * }</pre>
 *
 * <p>Keys are lower-case words joined by dots ({@code connection.failures}); values must only grow. A key missing
 * from a later map reads as 0. This module thus needs no transport module.
 */
public final class TransportMeters implements AutoCloseable {

    /** Bindings not closed: a function counter holds its source weakly, so they are held here until closed. */
    private static final Set<TransportMeters> OPEN = ConcurrentHashMap.newKeySet();

    private final MeterRegistry registry;
    private final Supplier<? extends Map<String, ? extends Number>> counters;
    private final List<Meter> meters = new ArrayList<>();

    private TransportMeters(MeterRegistry registry, Supplier<? extends Map<String, ? extends Number>> counters) {
        this.registry = registry;
        this.counters = counters;
    }

    /**
     * Registers a counter per key of {@code counters.get()}.
     *
     * @param registry where the counters go
     * @param nodeId the node the transport serves, the {@code node} tag
     * @param extraTags tags added to every counter
     * @param counters the transport's counts now; called at every scrape, once per counter, on the scraping thread
     * @return the binding; {@link #close()} removes the counters
     * @throws NullPointerException if an argument is null, or the supplier returns null
     * @throws IllegalArgumentException if a key is not lower-case words joined by dots
     */
    public static TransportMeters bind(MeterRegistry registry, NodeId nodeId, Iterable<Tag> extraTags,
            Supplier<? extends Map<String, ? extends Number>> counters) {
        Objects.requireNonNull(registry, "registry");
        Tags tags = Tags.of(extraTags).and("node", nodeId.value());
        TransportMeters t = new TransportMeters(registry, counters);
        for (String key : Objects.requireNonNull(counters.get(), "counters").keySet()) {
            if (!key.matches("[a-z][a-z0-9_]*(\\.[a-z][a-z0-9_]*)*")) {
                throw new IllegalArgumentException("not lower-case words joined by dots: " + key);
            }
            t.meters.add(FunctionCounter.builder("raft.transport." + key, t, x -> x.read(key)).tags(tags)
                    .description("transport statistic " + key).register(registry));
        }
        OPEN.add(t);
        return t;
    }

    private double read(String key) {
        Map<String, ? extends Number> now = counters.get();
        Number n = now == null ? null : now.get(key);
        return n == null ? 0 : n.doubleValue();
    }

    /** Removes the counters from the registry. Idempotent. */
    @Override
    public void close() {
        OPEN.remove(this);
        meters.forEach(registry::remove);
    }
}
