package org.raftlib.metrics.micrometer;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.function.ToDoubleBiFunction;
import java.util.function.ToDoubleFunction;
import org.raftlib.NodeId;
import org.raftlib.NodeState;
import org.raftlib.RaftException;
import org.raftlib.RaftNode;
import org.raftlib.RaftRole;
import org.raftlib.RaftStatus;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Gauges of a node's state, read from {@link RaftNode#status()}, every one tagged {@code node}. The status is read at
 * most once per {@code maxStatusAge} (default one second) however many gauges a scrape reads; a node that does not
 * answer keeps its last values.
 *
 * <table>
 *   <caption>Gauges</caption>
 *   <tr><th>name</th><th>value</th></tr>
 *   <tr><td>{@code raft.term}</td><td>current term</td></tr>
 *   <tr><td>{@code raft.commit.index}, {@code raft.applied.index}</td><td>commit and applied index</td></tr>
 *   <tr><td>{@code raft.last.index}, {@code raft.first.index}</td><td>the log's last and first index</td></tr>
 *   <tr><td>{@code raft.snapshot.index}</td><td>the newest snapshot's index, 0 if none</td></tr>
 *   <tr><td>{@code raft.role}, tag {@code role}</td><td>1 for the role held, 0 for the others</td></tr>
 *   <tr><td>{@code raft.state}, tag {@code state}</td><td>1 for the lifecycle state, 0 for the others</td></tr>
 *   <tr><td>{@code raft.leader.known}</td><td>1 if this node knows a leader</td></tr>
 *   <tr><td>{@code raft.voters}</td><td>voters of the configuration in force</td></tr>
 *   <tr><td>{@code raft.peer.match.index}, tag {@code peer}</td><td>on a leader: the follower's match index</td></tr>
 *   <tr><td>{@code raft.peer.lag}, tag {@code peer}</td><td>on a leader: its last index minus the follower's match
 *       index, in entries</td></tr>
 *   <tr><td>{@code raft.peer.reachable}, tag {@code peer}</td><td>on a leader: 1 if it heard from the follower within
 *       an election timeout, else 0 (a dead follower keeps its match index; this tells it apart)</td></tr>
 *   <tr><td>{@code raft.peer.heard.age}, tag {@code peer}, seconds</td><td>on a leader: how long ago it last heard
 *       from the follower</td></tr>
 * </table>
 *
 * <p>Peer gauges exist while this node leads and the peer is its follower: they are added and removed when the status
 * is read. Thread-safe. {@link #close()} removes every gauge.
 */
public final class RaftMeterBinder implements AutoCloseable {

    /** The default longest time a status read is reused. */
    public static final Duration DEFAULT_MAX_STATUS_AGE = Duration.ofSeconds(1);

    private static final Logger LOG = LoggerFactory.getLogger(RaftMeterBinder.class);

    private final RaftNode node;
    private final MeterRegistry registry;
    private final Tags tags;
    private final long maxAgeNanos;
    private final List<Meter> meters = new ArrayList<>();
    private final Map<NodeId, List<Meter>> peerMeters = new HashMap<>();
    private RaftStatus status;
    private long readAt;
    private boolean closed;

    private RaftMeterBinder(RaftNode node, MeterRegistry registry, Tags tags, Duration maxStatusAge) {
        this.node = node;
        this.registry = registry;
        this.tags = tags;
        this.maxAgeNanos = maxStatusAge.toNanos();
    }

    /**
     * Registers the gauges of {@code node}, with {@link #DEFAULT_MAX_STATUS_AGE}.
     *
     * @param node the node (started or not)
     * @param registry where the gauges go
     * @return the binder; keep it to {@link #close()} it
     * @throws NullPointerException if an argument is null
     */
    public static RaftMeterBinder bind(RaftNode node, MeterRegistry registry) {
        return bind(node, registry, Tags.empty(), DEFAULT_MAX_STATUS_AGE);
    }

    /**
     * Registers the gauges of {@code node}.
     *
     * @param node the node (started or not)
     * @param registry where the gauges go
     * @param extraTags tags added to every gauge
     * @param maxStatusAge how long a status read is reused; zero reads it for every gauge
     * @return the binder
     * @throws NullPointerException if an argument is null
     * @throws IllegalArgumentException if {@code maxStatusAge} is negative
     */
    public static RaftMeterBinder bind(RaftNode node, MeterRegistry registry, Iterable<Tag> extraTags,
            Duration maxStatusAge) {
        Objects.requireNonNull(node, "node");
        Objects.requireNonNull(registry, "registry");
        if (maxStatusAge.isNegative()) {
            throw new IllegalArgumentException("maxStatusAge is negative: " + maxStatusAge);
        }
        RaftMeterBinder b = new RaftMeterBinder(node, registry, Tags.of(extraTags).and("node", node.id().value()),
                maxStatusAge);
        b.registerNodeGauges();
        return b;
    }

    private void registerNodeGauges() {
        gauge("raft.term", "current term", RaftStatus::term);
        gauge("raft.commit.index", "highest index known committed", RaftStatus::commitIndex);
        gauge("raft.applied.index", "highest index applied to the state machine", RaftStatus::appliedIndex);
        gauge("raft.last.index", "last index in the log", RaftStatus::lastLogIndex);
        gauge("raft.first.index", "first index the log holds", RaftStatus::firstLogIndex);
        gauge("raft.snapshot.index", "newest snapshot's index",
                s -> s.latestSnapshot().map(m -> (double) m.index()).orElse(0.0));
        gauge("raft.leader.known", "1 if a leader is known", s -> s.leader().isPresent() ? 1 : 0);
        gauge("raft.voters", "voters of the configuration in force", s -> s.configuration().voters().size());
        for (RaftRole r : RaftRole.values()) {
            meters.add(Gauge.builder("raft.role", this, b -> b.read(s -> s.role() == r ? 1 : 0)).tags(tags)
                    .tag("role", r.name().toLowerCase(Locale.ROOT)).description("1 for the role this node holds")
                    .strongReference(true).register(registry));
        }
        for (NodeState st : NodeState.values()) {
            meters.add(Gauge.builder("raft.state", this, b -> b.read(s -> s.state() == st ? 1 : 0)).tags(tags)
                    .tag("state", st.name().toLowerCase(Locale.ROOT)).description("1 for this node's lifecycle state")
                    .strongReference(true).register(registry));
        }
    }

    private void gauge(String name, String description, ToDoubleFunction<RaftStatus> value) {
        meters.add(Gauge.builder(name, this, b -> b.read(value)).tags(tags).description(description)
                .strongReference(true).register(registry));
    }

    private double read(ToDoubleFunction<RaftStatus> value) {
        RaftStatus s = current();
        return s == null ? Double.NaN : value.applyAsDouble(s);
    }

    private double peer(NodeId peer, ToDoubleBiFunction<RaftStatus, RaftStatus.PeerStatus> value) {
        RaftStatus s = current();
        RaftStatus.PeerStatus p = s == null ? null : s.peers().get(peer);
        return p == null ? Double.NaN : value.applyAsDouble(s, p);
    }

    /** Returns the status, read again if older than the maximum age; null if it was never read. */
    private synchronized RaftStatus current() {
        if (!closed && (status == null || System.nanoTime() - readAt >= maxAgeNanos)) {
            refresh();
        }
        return status;
    }

    /**
     * Reads the node's status now and adds or removes peer gauges to match. Gauges call it when their status is
     * older than the maximum age; calling it just before a scrape puts new peers' gauges into that scrape and gives
     * every gauge of the scrape the same status.
     */
    public synchronized void refresh() {
        if (closed) {
            return;
        }
        try {
            status = node.status();
        } catch (RaftException e) {
            LOG.debug("{} did not answer a status read for its gauges: {}", node.id(), e.toString());
        }
        readAt = System.nanoTime();
        if (status != null) {
            updatePeers(status);
        }
    }

    private void updatePeers(RaftStatus s) {
        for (NodeId p : s.peers().keySet()) {
            peerMeters.computeIfAbsent(p, id -> List.of(
                    peerGauge("raft.peer.match.index", id, (l, f) -> f.matchIndex(),
                            "the follower's match index, on the leader"),
                    peerGauge("raft.peer.lag", id, (l, f) -> Math.max(0, l.lastLogIndex() - f.matchIndex()),
                            "entries the follower lacks: leader's last minus match"),
                    peerGauge("raft.peer.reachable", id, (l, f) -> f.reachable() ? 1 : 0,
                            "1 if the leader heard from the follower within an election timeout, else 0"),
                    peerGauge("raft.peer.heard.age", id, (l, f) -> f.sinceHeard().toNanos() / 1e9,
                            "time since the leader last heard from the follower")));
        }
        peerMeters.entrySet().removeIf(e -> {
            if (s.peers().containsKey(e.getKey())) {
                return false;
            }
            e.getValue().forEach(registry::remove);
            return true;
        });
    }

    private Meter peerGauge(String name, NodeId peer, ToDoubleBiFunction<RaftStatus, RaftStatus.PeerStatus> value,
            String description) {
        return Gauge.builder(name, this, b -> b.peer(peer, value)).tags(tags).tag("peer", peer.value())
                .description(description).baseUnit(name.endsWith(".age") ? "seconds" : null).strongReference(true)
                .register(registry);
    }

    /** Removes every gauge of this binder from the registry. Idempotent. */
    @Override
    public synchronized void close() {
        closed = true;
        meters.forEach(registry::remove);
        meters.clear();
        peerMeters.values().forEach(l -> l.forEach(registry::remove));
        peerMeters.clear();
    }
}
