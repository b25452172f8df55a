package org.raftlib;


import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.random.RandomGenerator;
import org.raftlib.internal.runtime.NodeResources;
import org.raftlib.internal.runtime.NodeRuntime;
import org.raftlib.internal.runtime.OptionChecks;

/**
 * Collects a {@link RaftNode}'s parts ({@link RaftNode#builder()}); {@link #build()} checks them all at once. A
 * builder builds one node: the node owns the parts it was given (a failed build closes them), so a second
 * {@code build()}, after a first that succeeded or failed, throws {@link IllegalStateException}; take a new
 * builder for each node. Not thread-safe.
 */
public final class RaftNodeBuilder {

    private NodeId id;
    private List<Member> members;
    private boolean join;
    private StateMachine stateMachine;
    private LogStorage logStorage;
    private SnapshotStore snapshotStore;
    private Transport transport;
    private RaftOptions options = RaftOptions.defaults();
    private RandomGenerator random;
    private RaftMetrics metrics = RaftMetrics.NOOP;
    private boolean built;

    RaftNodeBuilder() {
    }

    /**
     * Sets this node's id (required).
     *
     * @param nodeId the id
     * @return this builder
     * @throws NullPointerException if it is null
     * @throws IllegalArgumentException if it is not a valid {@link NodeId}
     */
    public RaftNodeBuilder id(String nodeId) {
        return id(NodeId.of(nodeId));
    }

    /**
     * Sets this node's id (required).
     *
     * @param nodeId the id
     * @return this builder
     */
    public RaftNodeBuilder id(NodeId nodeId) {
        this.id = nodeId;
        return this;
    }

    /**
     * Sets the group's members, this node included (required). Every node of a group must be given the same set.
     * {@link #build()} checks each address with the transport's {@link Transport#checkAddress}.
     *
     * @param all the members; null (or null elements) is reported by {@link #build()}
     * @return this builder
     */
    public RaftNodeBuilder members(Member... all) {
        return members(all == null ? null : Arrays.asList(all));
    }

    /**
     * Sets the group's members, this node included (required).
     *
     * @param all the members; null (or null elements) is reported by {@link #build()}
     * @return this builder
     */
    public RaftNodeBuilder members(Collection<Member> all) {
        this.members = all == null ? null : new ArrayList<>(all);
        return this;
    }

    /**
     * Makes this node join an existing cluster (default {@code false}: the members form a new cluster, or this node
     * restarts in one). A joining node starts with an empty data directory, votes in no configuration and never
     * campaigns until the leader has replicated one to it (after {@link RaftNode#addLearner} or
     * {@link RaftNode#addVoter} on the leader); {@link #members} then lists the cluster's current members (so it
     * can answer them) and itself. Once the node holds a configuration, restarting it with or without this flag is
     * the same for Raft; the flag only decides how a node reads while its configuration leaves it out (a snapshot
     * from before the entry adding it, or its removal): joining with the flag, until it first holds a configuration
     * that lists it, and removed ({@link RaftNode#health()}, {@link NotMemberException}) without it.
     *
     * @param joining whether to join an existing cluster
     * @return this builder
     */
    public RaftNodeBuilder join(boolean joining) {
        this.join = joining;
        return this;
    }

    /**
     * Sets the state machine (required); use a new, empty instance per node.
     *
     * @param machine the state machine
     * @return this builder
     */
    public RaftNodeBuilder stateMachine(StateMachine machine) {
        this.stateMachine = machine;
        return this;
    }

    /**
     * Sets the log storage (required); the node owns and closes it.
     *
     * @param storage the storage
     * @return this builder
     */
    public RaftNodeBuilder logStorage(LogStorage storage) {
        this.logStorage = storage;
        return this;
    }

    /**
     * Sets where snapshots go (optional; without one the node takes no snapshots and never compacts its log).
     * The node owns and closes it.
     *
     * @param store the snapshot store
     * @return this builder
     */
    public RaftNodeBuilder snapshotStore(SnapshotStore store) {
        this.snapshotStore = store;
        return this;
    }

    /**
     * Sets the transport (required, not started); the node starts, owns and closes it.
     *
     * @param t the transport
     * @return this builder
     */
    public RaftNodeBuilder transport(Transport t) {
        this.transport = t;
        return this;
    }

    /**
     * Sets the options (default {@link RaftOptions#defaults()}).
     *
     * @param o the options
     * @return this builder
     */
    public RaftNodeBuilder options(RaftOptions o) {
        this.options = o;
        return this;
    }

    /**
     * Sets where the node reports latencies, storage writes, messages, elections and snapshots (default
     * {@link RaftMetrics#NOOP}: nothing is measured). The node calls it from its threads; see {@link RaftMetrics}.
     *
     * @param m the metrics
     * @return this builder
     * @throws NullPointerException if {@code m} is null
     */
    public RaftNodeBuilder metrics(RaftMetrics m) {
        this.metrics = Objects.requireNonNull(m, "metrics");
        return this;
    }

    /**
     * Sets the seed of the election timer randomness, for reproducible tests (default: a random seed).
     *
     * @param seed the seed
     * @return this builder
     */
    public RaftNodeBuilder randomSeed(long seed) {
        this.random = new SplittableRandom(seed);
        return this;
    }

    /**
     * Checks every option and relation and builds the node (not started). The node owns the log storage, snapshot
     * store and transport it was given, so a build that fails closes them (a {@code FileLogStorage} opened inline
     * would otherwise keep its directory locked with nothing left to close it), except those a running node holds.
     *
     * @return the node
     * @throws IllegalArgumentException listing every problem found, among them a transport, store or state machine
     *     that a running node of this JVM holds (each node needs its own), and a
     *     {@link RaftOptions#maxCommandBytes()} above the transport's message limit or the log storage's largest
     *     entry; the parts given are closed, but for those
     * @throws IllegalStateException if this builder's {@code build()} was called before (whether it succeeded or
     *     failed); nothing is checked or closed then
     */
    public RaftNode build() {
        if (built) {
            throw new IllegalStateException("this RaftNodeBuilder has built a node already (or failed to, closing its"
                    + " parts): a builder builds one node, whose parts it gave away; use RaftNode.builder() for each"
                    + " node");
        }
        built = true;
        List<String> problems = new ArrayList<>();
        checkParts(problems);
        Map<String, Object> parts = new LinkedHashMap<>();
        parts.put("transport", transport);
        parts.put("logStorage", logStorage);
        parts.put("snapshotStore", snapshotStore);
        parts.put("stateMachine", stateMachine);
        NodeResources.checkFree(parts, problems);
        OptionChecks.checkMembers(id, members, transport, problems);
        if (options != null) {
            OptionChecks.checkOptions(options, problems);
            if (transport != null) {
                OptionChecks.checkMessageSize(options, transport.maxMessageBytes(), problems);
            }
            if (logStorage != null) {
                OptionChecks.checkEntrySize(options, logStorage.maxEntryBytes(), problems);
            }
        }
        if (!problems.isEmpty()) {
            IllegalArgumentException e = new IllegalArgumentException("invalid RaftNode configuration: "
                    + String.join("; ", problems));
            closeParts(e);
            throw e;
        }
        RandomGenerator r = random != null ? random : new SplittableRandom();
        NodeRuntime runtime = new NodeRuntime(id, new NodeRuntime.Bootstrap(List.copyOf(members), join),
                stateMachine, new NodeRuntime.Stores(logStorage, snapshotStore), transport, options,
                new NodeRuntime.Extras(r, metrics));
        return new RaftNode(runtime, options);
    }

    private void closeParts(Exception failure) {
        for (AutoCloseable part : new AutoCloseable[] {logStorage, snapshotStore, transport}) {
            try {
                if (part != null && !NodeResources.isHeld(part)) {
                    part.close();
                }
            } catch (Exception e) {
                failure.addSuppressed(e);
            }
        }
    }

    private void checkParts(List<String> problems) {
        if (id == null) {
            problems.add("id is missing");
        }
        if (stateMachine == null) {
            problems.add("stateMachine is missing");
        }
        if (logStorage == null) {
            problems.add("logStorage is missing");
        }
        if (transport == null) {
            problems.add("transport is missing");
        }
        if (options == null) {
            problems.add("options is null");
        }
    }
}
