package org.raftlib;

import java.time.Duration;
import java.util.Objects;

/**
 * Tunables of a {@link RaftNode}. Immutable: each {@code with*} method checks its own argument and returns a copy;
 * {@link RaftNodeBuilder#build()} checks the relations between options.
 *
 * <p>Times are {@link Duration}s; the node turns them into ticks of {@link #tickInterval()}, so timeouts are rounded
 * to whole ticks.
 */
public final class RaftOptions {

    /** Default {@link #tickInterval()}: 10 ms. */
    public static final Duration DEFAULT_TICK_INTERVAL = Duration.ofMillis(10);
    /** Default {@link #electionTimeout()}: 500 ms. */
    public static final Duration DEFAULT_ELECTION_TIMEOUT = Duration.ofMillis(500);
    /** Default {@link #heartbeatInterval()}: 50 ms. */
    public static final Duration DEFAULT_HEARTBEAT_INTERVAL = Duration.ofMillis(50);
    /** Default {@link #maxClockDrift()}: 0.05 (clock rates within 5% of each other). */
    public static final double DEFAULT_MAX_CLOCK_DRIFT = 0.05;
    /** Default {@link #maxPendingRequests()}: 8192. */
    public static final int DEFAULT_MAX_PENDING_REQUESTS = 8192;
    /** Default {@link #maxPendingBytes()}: 64 MiB. */
    public static final long DEFAULT_MAX_PENDING_BYTES = 64L << 20;
    /** Default {@link #maxCommandBytes()}: 1 MiB. */
    public static final int DEFAULT_MAX_COMMAND_BYTES = 1 << 20;
    /** Default {@link #maxInflightAppends()}: 256. */
    public static final int DEFAULT_MAX_INFLIGHT_APPENDS = 256;
    /** Default {@link #maxAppendBytes()}: 1 MiB. */
    public static final int DEFAULT_MAX_APPEND_BYTES = 1 << 20;
    /** Default {@link #snapshotEveryEntries()}: 100,000. */
    public static final long DEFAULT_SNAPSHOT_EVERY_ENTRIES = 100_000;
    /** Default {@link #snapshotEveryBytes()}: 256 MiB. */
    public static final long DEFAULT_SNAPSHOT_EVERY_BYTES = 256L << 20;
    /** Default {@link #snapshotKeepEntries()}: 10,000. */
    public static final long DEFAULT_SNAPSHOT_KEEP_ENTRIES = 10_000;
    /** Default {@link #snapshotChunkBytes()}: 1 MiB. */
    public static final int DEFAULT_SNAPSHOT_CHUNK_BYTES = 1 << 20;
    /** Default {@link #snapshotChunksInFlight()}: 4. */
    public static final int DEFAULT_SNAPSHOT_CHUNKS_IN_FLIGHT = 4;
    /** Default {@link #slowDiskThreshold()}: 500 ms. */
    public static final Duration DEFAULT_SLOW_DISK_THRESHOLD = Duration.ofMillis(500);
    /** Default {@link #readyMaxApplyLag()}: 10,000 entries, the catch-up bound a learner meets before it votes. */
    public static final long DEFAULT_READY_MAX_APPLY_LAG = 10_000;
    /** Default {@link #readyMaxApplyStall()}: 5 s. */
    public static final Duration DEFAULT_READY_MAX_APPLY_STALL = Duration.ofSeconds(5);

    /** Default {@link #forwardTimeout()}: 10 s. */
    public static final Duration DEFAULT_FORWARD_TIMEOUT = Duration.ofSeconds(10);
    /** Default {@link #maxReadIndexLag()}: 10,000 entries. */
    public static final long DEFAULT_MAX_READ_INDEX_LAG = 10_000;
    /** Default {@link #sessionTimeout()}: 5 minutes of log time. */
    public static final Duration DEFAULT_SESSION_TIMEOUT = Duration.ofMinutes(5);

    private static final RaftOptions DEFAULTS = new RaftOptions(
            new Timing(DEFAULT_TICK_INTERVAL, DEFAULT_ELECTION_TIMEOUT, DEFAULT_HEARTBEAT_INTERVAL, true, true,
                    DEFAULT_MAX_CLOCK_DRIFT),
            new Limits(DEFAULT_MAX_PENDING_REQUESTS, DEFAULT_MAX_COMMAND_BYTES, DEFAULT_MAX_INFLIGHT_APPENDS,
                    DEFAULT_MAX_APPEND_BYTES, DEFAULT_MAX_PENDING_BYTES),
            new Snapshots(DEFAULT_SNAPSHOT_EVERY_ENTRIES, DEFAULT_SNAPSHOT_EVERY_BYTES, DEFAULT_SNAPSHOT_KEEP_ENTRIES,
                    DEFAULT_SNAPSHOT_CHUNK_BYTES, DEFAULT_SNAPSHOT_CHUNKS_IN_FLIGHT),
            new Probes(DEFAULT_SLOW_DISK_THRESHOLD, DEFAULT_READY_MAX_APPLY_LAG, DEFAULT_READY_MAX_APPLY_STALL),
            new Clients(true, DEFAULT_FORWARD_TIMEOUT, DEFAULT_MAX_READ_INDEX_LAG, DEFAULT_SESSION_TIMEOUT));

    private final Timing timing;
    private final Limits limits;
    private final Snapshots snapshots;
    private final Probes health;
    private final Clients clients;

    private record Timing(Duration tick, Duration election, Duration heartbeat, boolean preVote,
            boolean checkQuorum, double drift) {
    }

    private record Limits(int pending, int commandBytes, int inflightAppends, int appendBytes, long pendingBytes) {
    }

    private record Snapshots(long everyEntries, long everyBytes, long keepEntries, int chunkBytes,
            int chunksInFlight) {
    }

    private record Probes(Duration slowDisk, long readyMaxApplyLag, Duration readyMaxApplyStall) {
    }

    private record Clients(boolean forwarding, Duration forwardTimeout, long maxReadIndexLag,
            Duration sessionTimeout) {
    }

    private RaftOptions(Timing timing, Limits limits, Snapshots snapshots, Probes health, Clients clients) {
        this.timing = timing;
        this.limits = limits;
        this.snapshots = snapshots;
        this.health = health;
        this.clients = clients;
    }

    /** Returns the defaults: each option's {@code DEFAULT_*} constant, PreVote and CheckQuorum on. */
    public static RaftOptions defaults() {
        return DEFAULTS;
    }

    /** Returns the resolution of the node's timers. */
    public Duration tickInterval() {
        return timing.tick();
    }

    /**
     * Returns the election timeout T: a follower that hears from no leader for a random time in [T, 2T) starts an
     * election, and a leader that hears from no quorum for T steps down (CheckQuorum).
     */
    public Duration electionTimeout() {
        return timing.election();
    }

    /** Returns how often a leader sends heartbeats to idle followers. */
    public Duration heartbeatInterval() {
        return timing.heartbeat();
    }

    /** Returns whether a node asks for a pre-vote before it raises its term (thesis §9.6). */
    public boolean preVote() {
        return timing.preVote();
    }

    /** Returns whether a leader steps down when it has not heard from a quorum for an election timeout. */
    public boolean checkQuorum() {
        return timing.checkQuorum();
    }

    /** Returns the bound on clock drift that {@link ReadMode#LEASE} relies on; see {@link #withMaxClockDrift}. */
    public double maxClockDrift() {
        return timing.drift();
    }

    /**
     * Returns how many submits and queries may be pending on one node before new ones are refused with
     * {@link OverloadedException}. A request counts until raftlib is done with it (answered, refused or dropped), also
     * when its caller cancelled or timed out its future while it was still on its way.
     */
    public int maxPendingRequests() {
        return limits.pending();
    }

    /** Returns the largest command or query accepted, in bytes. */
    public int maxCommandBytes() {
        return limits.commandBytes();
    }

    /** Returns how many AppendEntries a leader keeps in flight to one follower. */
    public int maxInflightAppends() {
        return limits.inflightAppends();
    }

    /** Returns the soft limit on entry bytes in one AppendEntries (one larger entry is still sent alone). */
    public int maxAppendBytes() {
        return limits.appendBytes();
    }

    /**
     * Returns a copy with another tick interval.
     *
     * @param interval between 1 ms and 1 s
     * @return the copy
     * @throws IllegalArgumentException if out of range
     * @throws NullPointerException if null
     */
    public RaftOptions withTickInterval(Duration interval) {
        return new RaftOptions(this, new Timing(checkDuration(interval, "tickInterval", Duration.ofMillis(1),
                Duration.ofSeconds(1)), timing.election(), timing.heartbeat(), timing.preVote(),
                timing.checkQuorum(), timing.drift()), limits);
    }

    /**
     * Returns a copy with another election timeout.
     *
     * @param timeout between 2 ms and 1 hour
     * @return the copy
     * @throws IllegalArgumentException if out of range
     * @throws NullPointerException if null
     */
    public RaftOptions withElectionTimeout(Duration timeout) {
        return new RaftOptions(this, new Timing(timing.tick(),
                checkDuration(timeout, "electionTimeout", Duration.ofMillis(2), Duration.ofHours(1)),
                timing.heartbeat(), timing.preVote(), timing.checkQuorum(), timing.drift()), limits);
    }

    /**
     * Returns a copy with another heartbeat interval.
     *
     * @param interval between 1 ms and 30 minutes
     * @return the copy
     * @throws IllegalArgumentException if out of range
     * @throws NullPointerException if null
     */
    public RaftOptions withHeartbeatInterval(Duration interval) {
        return new RaftOptions(this, new Timing(timing.tick(), timing.election(),
                checkDuration(interval, "heartbeatInterval", Duration.ofMillis(1), Duration.ofMinutes(30)),
                timing.preVote(), timing.checkQuorum(), timing.drift()), limits);
    }

    /**
     * Returns a copy with PreVote (thesis §9.6) and CheckQuorum (thesis §6.2) set. Both are on by default and
     * protect a healthy cluster from a node that rejoins after a partition.
     *
     * @param preVoteOn whether to pre-vote
     * @param checkQuorumOn whether leaders step down without a quorum
     * @return the copy
     */
    public RaftOptions withElectionSafeguards(boolean preVoteOn, boolean checkQuorumOn) {
        return new RaftOptions(this, new Timing(timing.tick(), timing.election(), timing.heartbeat(), preVoteOn,
                checkQuorumOn, timing.drift()), limits);
    }

    /**
     * Returns a copy with another bound on clock drift, which {@link ReadMode#LEASE} reads rely on: how far apart
     * the rates of any two nodes' clocks may be, as a fraction (0.05: one may measure 5% more time than another over
     * the same interval). A larger bound gives shorter leases (more reads fall back to a heartbeat round); a bound
     * that real clocks exceed makes lease reads unsafe.
     *
     * @param fraction in [0, 0.5)
     * @return the copy
     * @throws IllegalArgumentException if out of range
     */
    public RaftOptions withMaxClockDrift(double fraction) {
        if (!(fraction >= 0 && fraction < 0.5)) {
            throw new IllegalArgumentException("maxClockDrift must be in [0, 0.5): " + fraction);
        }
        return new RaftOptions(this, new Timing(timing.tick(), timing.election(), timing.heartbeat(),
                timing.preVote(), timing.checkQuorum(), fraction), limits);
    }

    /**
     * Returns a copy with another bound on pending requests.
     *
     * @param max between 1 and 1,000,000
     * @return the copy
     * @throws IllegalArgumentException if out of range
     */
    public RaftOptions withMaxPendingRequests(int max) {
        return new RaftOptions(this, timing, new Limits(checkInt(max, "maxPendingRequests", 1, 1_000_000),
                limits.commandBytes(), limits.inflightAppends(), limits.appendBytes(), limits.pendingBytes()));
    }

    /**
     * Returns how many bytes of commands may be pending on one node before new ones are refused with
     * {@link OverloadedException}; a command counts from {@code submit} until raftlib is done with it, like
     * {@link #maxPendingRequests()}. One command is always admitted when none is pending, whatever its size.
     */
    public long maxPendingBytes() {
        return limits.pendingBytes();
    }

    /**
     * Returns a copy with another bound on the bytes of pending commands: what a node holds of commands submitted
     * to it and not yet answered, so size it well below the heap (large commands at the count bound alone could
     * hold {@code maxPendingRequests} times {@code maxCommandBytes}).
     *
     * @param bytes between 1 KiB and 1 TiB
     * @return the copy
     * @throws IllegalArgumentException if out of range
     */
    public RaftOptions withMaxPendingBytes(long bytes) {
        if (bytes < 1024 || bytes > 1L << 40) {
            throw new IllegalArgumentException("maxPendingBytes must be between 1 KiB and 1 TiB: " + bytes);
        }
        return new RaftOptions(this, timing, new Limits(limits.pending(), limits.commandBytes(),
                limits.inflightAppends(), limits.appendBytes(), bytes));
    }

    /**
     * Returns a copy with another command size limit.
     *
     * @param bytes between 1 and 64 MiB
     * @return the copy
     * @throws IllegalArgumentException if out of range
     */
    public RaftOptions withMaxCommandBytes(int bytes) {
        return new RaftOptions(this, timing, new Limits(limits.pending(),
                checkInt(bytes, "maxCommandBytes", 1, 64 << 20), limits.inflightAppends(), limits.appendBytes(),
                limits.pendingBytes()));
    }

    /**
     * Returns a copy with other replication flow limits.
     *
     * @param inflightAppends AppendEntries in flight per follower, between 1 and 65,536
     * @param appendBytes soft limit on entry bytes per AppendEntries, between 1 KiB and 64 MiB
     * @return the copy
     * @throws IllegalArgumentException if out of range
     */
    public RaftOptions withReplicationFlow(int inflightAppends, int appendBytes) {
        return new RaftOptions(this, timing, new Limits(limits.pending(), limits.commandBytes(),
                checkInt(inflightAppends, "maxInflightAppends", 1, 1 << 16),
                checkInt(appendBytes, "maxAppendBytes", 1 << 10, 64 << 20), limits.pendingBytes()));
    }

    /**
     * Returns after how many applied entries since the last snapshot a node takes the next one (when it has a
     * {@link SnapshotStore} and its state machine supports snapshots).
     */
    public long snapshotEveryEntries() {
        return snapshots.everyEntries();
    }

    /** Returns after how many bytes of applied commands since the last snapshot a node takes the next one. */
    public long snapshotEveryBytes() {
        return snapshots.everyBytes();
    }

    /**
     * Returns how many entries before a new snapshot's index the log keeps, so that a follower that lags by less
     * catches up from the log instead of a snapshot.
     */
    public long snapshotKeepEntries() {
        return snapshots.keepEntries();
    }

    /** Returns the size of the chunks a snapshot is sent in (InstallSnapshot, Raft §7). */
    public int snapshotChunkBytes() {
        return snapshots.chunkBytes();
    }

    /** Returns how many snapshot chunks a leader sends to one follower before it waits for an acknowledgement. */
    public int snapshotChunksInFlight() {
        return snapshots.chunksInFlight();
    }

    /**
     * Returns a copy with another snapshot policy: a snapshot after {@code everyEntries} applied entries or
     * {@code everyBytes} bytes of applied commands since the last one, whichever comes first, and compaction that
     * keeps {@code keepEntries} entries before the snapshot's index.
     *
     * @param everyEntries at least 1
     * @param everyBytes at least 1
     * @param keepEntries at least 0
     * @return the copy
     * @throws IllegalArgumentException if out of range
     */
    public RaftOptions withSnapshotPolicy(long everyEntries, long everyBytes, long keepEntries) {
        if (everyEntries < 1 || everyBytes < 1 || keepEntries < 0) {
            throw new IllegalArgumentException("snapshot policy needs everyEntries >= 1 (" + everyEntries
                    + "), everyBytes >= 1 (" + everyBytes + ") and keepEntries >= 0 (" + keepEntries + ")");
        }
        return new RaftOptions(timing, limits, new Snapshots(everyEntries, everyBytes, keepEntries,
                snapshots.chunkBytes(), snapshots.chunksInFlight()), health, clients);
    }

    /**
     * Returns a copy with another snapshot transfer: chunks of {@code chunkBytes}, at most {@code chunksInFlight}
     * unacknowledged per follower.
     *
     * @param chunkBytes between 1 KiB and 64 MiB
     * @param chunksInFlight between 1 and 1,024
     * @return the copy
     * @throws IllegalArgumentException if out of range
     */
    public RaftOptions withSnapshotTransfer(int chunkBytes, int chunksInFlight) {
        return new RaftOptions(timing, limits, new Snapshots(snapshots.everyEntries(), snapshots.everyBytes(),
                snapshots.keepEntries(), checkInt(chunkBytes, "snapshotChunkBytes", 1 << 10, 64 << 20),
                checkInt(chunksInFlight, "snapshotChunksInFlight", 1, 1024)), health, clients);
    }

    /**
     * Returns how long one write and sync of the log storage may take before the node reports a slow disk (a WARN in
     * its log and a {@link RaftEvent.SlowDisk} event).
     */
    public Duration slowDiskThreshold() {
        return health.slowDisk();
    }

    /**
     * Returns how many entries this node's applied index may trail its commit index while {@link RaftNode#health()}
     * still calls it ready.
     */
    public long readyMaxApplyLag() {
        return health.readyMaxApplyLag();
    }

    /**
     * Returns a copy with another slow-disk threshold.
     *
     * @param threshold between 1 ms and 1 hour
     * @return the copy
     * @throws IllegalArgumentException if out of range
     * @throws NullPointerException if null
     */
    public RaftOptions withSlowDiskThreshold(Duration threshold) {
        return new RaftOptions(timing, limits, snapshots, new Probes(checkDuration(threshold, "slowDiskThreshold",
                Duration.ofMillis(1), Duration.ofHours(1)), health.readyMaxApplyLag(), health.readyMaxApplyStall()),
                clients);
    }

    /**
     * Returns a copy with another readiness bound: how many entries the applied index may trail the commit index
     * while the node is ready ({@link RaftNode#health()}).
     *
     * @param maxApplyLag at least 0
     * @return the copy
     * @throws IllegalArgumentException if negative
     */
    public RaftOptions withReadyMaxApplyLag(long maxApplyLag) {
        if (maxApplyLag < 0) {
            throw new IllegalArgumentException("readyMaxApplyLag must be at least 0: " + maxApplyLag);
        }
        return new RaftOptions(timing, limits, snapshots, new Probes(health.slowDisk(), maxApplyLag,
                health.readyMaxApplyStall()), clients);
    }

    /**
     * Returns how long this node's apply thread may work on one task without applying an entry or answering a query
     * (its state machine's {@code apply}, {@code query}, {@code restore} or snapshot capture, a {@link RaftListener},
     * or a callback of a request's future, all run on that thread) while {@link RaftNode#health()} still calls it
     * ready.
     */
    public Duration readyMaxApplyStall() {
        return health.readyMaxApplyStall();
    }

    /**
     * Returns a copy with another bound on how long the apply thread may make no progress while the node is ready
     * ({@link RaftNode#health()}): a state machine stuck in a call, or slower than this per call, reads not ready.
     *
     * @param stall between 1 ms and 1 day
     * @return the copy
     * @throws IllegalArgumentException if out of range
     * @throws NullPointerException if null
     */
    public RaftOptions withReadyMaxApplyStall(Duration stall) {
        return new RaftOptions(timing, limits, snapshots, new Probes(health.slowDisk(), health.readyMaxApplyLag(),
                checkDuration(stall, "readyMaxApplyStall", Duration.ofMillis(1), Duration.ofDays(1))), clients);
    }

    private RaftOptions(RaftOptions base, Timing timing, Limits limits) {
        this(timing, limits, base.snapshots, base.health, base.clients);
    }

    /**
     * Returns whether {@link RaftNode#submit} and {@link RaftNode#query} on a follower forward to the leader over the
     * Raft transport (default true); when off they fail there with {@link NotLeaderException}.
     */
    public boolean forwarding() {
        return clients.forwarding();
    }

    /**
     * Returns how long a follower waits for the outcome of a command it forwarded (the leader's answer, then its own
     * apply of the entry) before failing it with {@link IndeterminateResultException}; one still without the leader's
     * answer fails so as soon as the follower learns of a newer term. It also bounds a read on a follower: one the
     * leader confirmed but this follower has not applied up to within this time of the call fails with
     * {@link FollowerBehindException}.
     */
    public Duration forwardTimeout() {
        return clients.forwardTimeout();
    }

    /**
     * Returns how many entries a follower may be behind the read index the leader returns before a
     * {@link ReadMode#LINEARIZABLE} or {@link ReadMode#LEASE} read there fails fast (with
     * {@link FollowerBehindException}) instead of waiting to catch up.
     */
    public long maxReadIndexLag() {
        return clients.maxReadIndexLag();
    }

    /**
     * Returns how long a client session (exactly-once commands, Raft thesis §6.3) may stay idle, in log time (the
     * leaders' clocks as stamped into session entries), before every node forgets it. {@link RaftNode#openSession()}
     * writes this node's value into the session's registration, so every node expires the session at the same log
     * time; {@link ClientSession#submit} retries a command for at most this long.
     */
    public Duration sessionTimeout() {
        return clients.sessionTimeout();
    }

    /**
     * Returns a copy with forwarding from followers on or off, and its timeout.
     *
     * @param enabled whether followers forward commands and linearizable reads to the leader
     * @param timeout how long a forwarded command may wait for its outcome, between 10 ms and 1 hour
     * @return the copy
     * @throws IllegalArgumentException if {@code timeout} is out of range
     * @throws NullPointerException if {@code timeout} is null
     */
    public RaftOptions withForwarding(boolean enabled, Duration timeout) {
        return new RaftOptions(timing, limits, snapshots, health, new Clients(enabled,
                checkDuration(timeout, "forwardTimeout", Duration.ofMillis(10), Duration.ofHours(1)),
                clients.maxReadIndexLag(), clients.sessionTimeout()));
    }

    /**
     * Returns a copy with another bound on how far behind a follower serving a linearizable read may be.
     *
     * @param maxLag entries, at least 0 ({@link Long#MAX_VALUE} for no bound)
     * @return the copy
     * @throws IllegalArgumentException if negative
     */
    public RaftOptions withMaxReadIndexLag(long maxLag) {
        if (maxLag < 0) {
            throw new IllegalArgumentException("maxReadIndexLag must be at least 0: " + maxLag);
        }
        return new RaftOptions(timing, limits, snapshots, health, new Clients(clients.forwarding(),
                clients.forwardTimeout(), maxLag, clients.sessionTimeout()));
    }

    /**
     * Returns a copy with another session timeout.
     *
     * @param timeout log time a session may stay idle, between 1 second and 30 days
     * @return the copy
     * @throws IllegalArgumentException if out of range
     * @throws NullPointerException if null
     */
    public RaftOptions withSessionTimeout(Duration timeout) {
        return new RaftOptions(timing, limits, snapshots, health, new Clients(clients.forwarding(),
                clients.forwardTimeout(), clients.maxReadIndexLag(),
                checkDuration(timeout, "sessionTimeout", Duration.ofSeconds(1), Duration.ofDays(30))));
    }

    private static Duration checkDuration(Duration d, String name, Duration min, Duration max) {
        Objects.requireNonNull(d, name);
        if (d.compareTo(min) < 0 || d.compareTo(max) > 0) {
            throw new IllegalArgumentException(name + " must be between " + min + " and " + max + ": " + d);
        }
        return d;
    }

    private static int checkInt(int value, String name, int min, int max) {
        if (value < min || value > max) {
            throw new IllegalArgumentException(name + " must be between " + min + " and " + max + ": " + value);
        }
        return value;
    }

    @Override
    public String toString() {
        return "RaftOptions[tickInterval=" + tickInterval() + ", electionTimeout=" + electionTimeout()
                + ", heartbeatInterval=" + heartbeatInterval() + ", preVote=" + preVote() + ", checkQuorum="
                + checkQuorum() + ", maxPendingRequests=" + maxPendingRequests() + ", maxPendingBytes="
                + maxPendingBytes() + ", maxCommandBytes="
                + maxCommandBytes() + ", maxInflightAppends=" + maxInflightAppends() + ", maxAppendBytes="
                + maxAppendBytes() + ", snapshotEveryEntries=" + snapshotEveryEntries() + ", snapshotEveryBytes="
                + snapshotEveryBytes() + ", snapshotKeepEntries=" + snapshotKeepEntries() + ", snapshotChunkBytes="
                + snapshotChunkBytes() + ", snapshotChunksInFlight=" + snapshotChunksInFlight() + ", slowDiskThreshold="
                + slowDiskThreshold() + ", readyMaxApplyLag=" + readyMaxApplyLag() + ", readyMaxApplyStall="
                + readyMaxApplyStall() + ", forwarding=" + forwarding()
                + ", forwardTimeout=" + forwardTimeout() + ", maxReadIndexLag=" + maxReadIndexLag()
                + ", sessionTimeout=" + sessionTimeout() + "]";
    }
}
