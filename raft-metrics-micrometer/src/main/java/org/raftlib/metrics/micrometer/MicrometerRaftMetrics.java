package org.raftlib.metrics.micrometer;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import org.raftlib.NodeId;
import org.raftlib.RaftMetrics;
import org.raftlib.message.MessageType;

/**
 * A {@link RaftMetrics} that records into Micrometer meters, every one tagged {@code node} (plus any common tags
 * given). Pass it to {@link org.raftlib.RaftNodeBuilder#metrics(RaftMetrics)}; {@link RaftMeterBinder} adds the
 * gauges. Every meter is registered up front, so recording is a field read and the meter's own (lock-free) update:
 * no lookup, no allocation.
 *
 * <table>
 *   <caption>Meters</caption>
 *   <tr><th>name</th><th>type</th><th>tags</th></tr>
 *   <tr><td>{@code raft.append.latency}</td><td>timer</td><td></td></tr>
 *   <tr><td>{@code raft.commit.latency}</td><td>timer</td><td></td></tr>
 *   <tr><td>{@code raft.storage.write.latency}</td><td>timer</td><td></td></tr>
 *   <tr><td>{@code raft.storage.write.entries}</td><td>summary</td><td></td></tr>
 *   <tr><td>{@code raft.storage.write.bytes}</td><td>summary (bytes)</td><td></td></tr>
 *   <tr><td>{@code raft.messages.sent}, {@code raft.messages.received}</td><td>counter</td><td>{@code type}</td></tr>
 *   <tr><td>{@code raft.messages.sent.bytes}, {@code raft.messages.received.bytes}</td><td>counter (bytes)</td>
 *       <td>{@code type}</td></tr>
 *   <tr><td>{@code raft.elections.started}, {@code raft.elections.won}, {@code raft.leader.changes}</td>
 *       <td>counter</td><td></td></tr>
 *   <tr><td>{@code raft.snapshot.take}</td><td>timer</td><td></td></tr>
 *   <tr><td>{@code raft.snapshot.size}</td><td>summary (bytes)</td><td></td></tr>
 *   <tr><td>{@code raft.snapshot.failures}</td><td>counter</td><td></td></tr>
 *   <tr><td>{@code raft.snapshot.install.bytes}</td><td>counter (bytes)</td><td></td></tr>
 *   <tr><td>{@code raft.snapshot.installs}</td><td>counter</td><td>{@code result}: {@code done}, {@code failed}</td>
 *   </tr>
 * </table>
 *
 * <p>Message types are tagged in lower case ({@code append_entries}, ...). Message bytes are payload bytes (entries
 * and snapshot chunks), see {@link RaftMetrics#messageSent}. Timers publish no histogram by default; add one with a
 * {@code MeterFilter} if wanted. Thread-safe.
 */
public final class MicrometerRaftMetrics implements RaftMetrics {

    private final Timer appendLatency;
    private final Timer commitLatency;
    private final Timer storageWrite;
    private final DistributionSummary storageEntries;
    private final DistributionSummary storageBytes;
    private final Counter[] sent;
    private final Counter[] sentBytes;
    private final Counter[] received;
    private final Counter[] receivedBytes;
    private final Counter electionsStarted;
    private final Counter electionsWon;
    private final Counter leaderChanges;
    private final Timer snapshotTake;
    private final DistributionSummary snapshotSize;
    private final Counter installBytes;
    private final Counter installsDone;
    private final Counter installsFailed;
    private final Counter snapshotFailures;

    private MicrometerRaftMetrics(MeterRegistry registry, Tags tags) {
        appendLatency = timer(registry, "raft.append.latency", tags,
                "leader: a command's proposal until it is durable in the leader's log (oldest of a batch)");
        commitLatency = timer(registry, "raft.commit.latency", tags,
                "leader: a command's proposal until it is known committed (oldest of a batch)");
        storageWrite = timer(registry, "raft.storage.write.latency", tags, "one log write and sync (group commit)");
        storageEntries = DistributionSummary.builder("raft.storage.write.entries").tags(tags)
                .description("entries per log write").register(registry);
        storageBytes = DistributionSummary.builder("raft.storage.write.bytes").tags(tags).baseUnit("bytes")
                .description("entry bytes per log write").register(registry);
        MessageType[] types = MessageType.values();
        sent = new Counter[types.length];
        sentBytes = new Counter[types.length];
        received = new Counter[types.length];
        receivedBytes = new Counter[types.length];
        for (MessageType t : types) {
            Tags typed = tags.and("type", t.name().toLowerCase(Locale.ROOT));
            sent[t.ordinal()] = counter(registry, "raft.messages.sent", typed, null, "messages sent");
            sentBytes[t.ordinal()] = counter(registry, "raft.messages.sent.bytes", typed, "bytes",
                    "payload bytes sent (entries, snapshot chunks)");
            received[t.ordinal()] = counter(registry, "raft.messages.received", typed, null, "messages received");
            receivedBytes[t.ordinal()] = counter(registry, "raft.messages.received.bytes", typed, "bytes",
                    "payload bytes received (entries, snapshot chunks)");
        }
        electionsStarted = counter(registry, "raft.elections.started", tags, null, "times this node campaigned");
        electionsWon = counter(registry, "raft.elections.won", tags, null, "times this node became leader");
        leaderChanges = counter(registry, "raft.leader.changes", tags, null, "new leaders (or terms) this node saw");
        snapshotTake = timer(registry, "raft.snapshot.take", tags, "snapshots written, and how long each took");
        snapshotSize = DistributionSummary.builder("raft.snapshot.size").tags(tags).baseUnit("bytes")
                .description("size of the snapshots taken").register(registry);
        installBytes = counter(registry, "raft.snapshot.install.bytes", tags, "bytes",
                "snapshot bytes received from the leader");
        installsDone = counter(registry, "raft.snapshot.installs", tags.and("result", "done"), null,
                "snapshots received from the leader");
        installsFailed = counter(registry, "raft.snapshot.installs", tags.and("result", "failed"), null,
                "snapshots received from the leader");
        snapshotFailures = counter(registry, "raft.snapshot.failures", tags, null,
                "snapshots of this node's state machine that could not be written");
    }

    /**
     * Registers the meters for node {@code nodeId}.
     *
     * @param registry where the meters go
     * @param nodeId the node's id, the {@code node} tag
     * @return the metrics, for {@link org.raftlib.RaftNodeBuilder#metrics(RaftMetrics)}
     * @throws NullPointerException if an argument is null
     */
    public static MicrometerRaftMetrics register(MeterRegistry registry, NodeId nodeId) {
        return register(registry, nodeId, Tags.empty());
    }

    /**
     * Registers the meters for node {@code nodeId} with extra tags (a cluster name, say).
     *
     * @param registry where the meters go
     * @param nodeId the node's id, the {@code node} tag
     * @param extraTags tags added to every meter
     * @return the metrics
     * @throws NullPointerException if an argument is null
     */
    public static MicrometerRaftMetrics register(MeterRegistry registry, NodeId nodeId, Iterable<Tag> extraTags) {
        Objects.requireNonNull(registry, "registry");
        Objects.requireNonNull(nodeId, "nodeId");
        return new MicrometerRaftMetrics(registry, Tags.of(extraTags).and("node", nodeId.value()));
    }

    private static Timer timer(MeterRegistry registry, String name, Tags tags, String description) {
        return Timer.builder(name).tags(tags).description(description).register(registry);
    }

    private static Counter counter(MeterRegistry registry, String name, Tags tags, String unit, String description) {
        return Counter.builder(name).tags(tags).baseUnit(unit).description(description).register(registry);
    }

    @Override
    public void appendLatency(long nanos) {
        appendLatency.record(nanos, TimeUnit.NANOSECONDS);
    }

    @Override
    public void commitLatency(long nanos) {
        commitLatency.record(nanos, TimeUnit.NANOSECONDS);
    }

    @Override
    public void storageWrite(long nanos, int entries, long bytes) {
        storageWrite.record(nanos, TimeUnit.NANOSECONDS);
        storageEntries.record(entries);
        storageBytes.record(bytes);
    }

    @Override
    public void messageSent(MessageType type, long payloadBytes) {
        sent[type.ordinal()].increment();
        if (payloadBytes > 0) {
            sentBytes[type.ordinal()].increment(payloadBytes);
        }
    }

    @Override
    public void messageReceived(MessageType type, long payloadBytes) {
        received[type.ordinal()].increment();
        if (payloadBytes > 0) {
            receivedBytes[type.ordinal()].increment(payloadBytes);
        }
    }

    @Override
    public void electionStarted(long term) {
        electionsStarted.increment();
    }

    @Override
    public void electionWon(long term) {
        electionsWon.increment();
    }

    @Override
    public void leaderChanged(NodeId leader, long term) {
        leaderChanges.increment();
    }

    @Override
    public void snapshotTaken(long nanos, long bytes) {
        snapshotTake.record(nanos, TimeUnit.NANOSECONDS);
        snapshotSize.record(bytes);
    }

    @Override
    public void snapshotBytesReceived(long bytes) {
        installBytes.increment(bytes);
    }

    @Override
    public void snapshotInstalled(long bytes) {
        installsDone.increment();
    }

    @Override
    public void snapshotInstallFailed() {
        installsFailed.increment();
    }

    @Override
    public void snapshotFailed() {
        snapshotFailures.increment();
    }

    @Override
    public String toString() {
        return "MicrometerRaftMetrics";
    }
}
