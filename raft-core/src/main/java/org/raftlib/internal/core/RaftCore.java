package org.raftlib.internal.core;

import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import org.raftlib.Bytes;
import org.raftlib.ClusterConfig;
import org.raftlib.EntryType;
import org.raftlib.HardState;
import org.raftlib.LogEntry;
import org.raftlib.Member;
import org.raftlib.NodeId;
import org.raftlib.RaftRole;
import org.raftlib.internal.core.progress.ProgressTracker;
import org.raftlib.message.RaftMessage;
import org.raftlib.message.ReadIndexRequest;
import org.slf4j.Logger;

/**
 * The Raft protocol for one node, as a deterministic state machine.
 *
 * <p>Not thread-safe: confined to the node loop. Performs no I/O and reads no clock; time advances only through
 * {@link #tick()}, and all randomness comes from the generator in {@link CoreConfig}. Every effect leaves through
 * {@link #ready()}; the runtime reports back with {@link #onPersisted(Ready)} and {@link #onApplied(long)}.
 *
 * <p>Figure 2's "Rules for All Servers" about terms live in {@link #step} and nowhere else.
 */
public final class RaftCore {

    /** Bytes of recent durable entries kept for replication and apply; small on purpose (see design notes). */
    private static final long ENTRY_CACHE_BYTES = 1 << 20;

    private final CoreConfig config;
    private final RaftLog log;
    private final ProgressTracker tracker;
    private final Outbox outbox = new Outbox();
    private final Reads reads = new Reads(this);
    private Role role;
    private long term;
    private NodeId votedFor;
    private NodeId leader;
    private HardState handedOutHardState;
    private boolean broadcastPending;
    private int votesHeldBack;
    private final SnapshotWork snapshots;
    final Membership membership;                 // CoreInspection reads it

    private RaftCore(CoreConfig config, LogView storage, HardState hardState, SnapshotPoint snapshot,
            IndexedConfig baseConfig) {
        this.config = config;
        this.log = new RaftLog(storage, hardState.commit(), snapshot, baseConfig,
                2 * config.flow().maxApplyBytes(), Math.max(ENTRY_CACHE_BYTES, config.flow().maxBytesPerMessage()));
        this.tracker = new ProgressTracker(config.id(), config.voters());
        this.snapshots = new SnapshotWork(log);
        this.membership = new Membership(this);
        this.term = Math.max(hardState.term(), log.lastTerm());   // a storage may keep entries without their term
        this.votedFor = term == hardState.term() ? hardState.votedFor().orElse(null) : null;
        this.handedOutHardState = hardState;
        this.role = new Follower(this);
        this.votesHeldBack = config.leaseTicks() > 0 ? config.electionTicks() : 0;   // see TermRules
    }

    /**
     * Creates a core from what a node persisted; it starts as a follower.
     *
     * @param config the configuration
     * @param storage the durable log
     * @param hardState the durable hard state
     * @return the core
     * @throws NullPointerException if an argument is null
     */
    public static RaftCore restore(CoreConfig config, LogView storage, HardState hardState) {
        return restore(config, storage, hardState, Optional.empty(), Optional.empty());
    }

    /**
     * Creates a core from what a node persisted, whose state machine was restored from {@code snapshot} holding the
     * configuration {@code snapshotConfig}. The configuration in force is the last one in the log after the snapshot,
     * else the snapshot's, else the bootstrap voters of {@code config} (none: a node joining an existing cluster).
     *
     * @param config the configuration; its voters bootstrap a new cluster
     * @param storage the durable log; it must hold the snapshot's index (or have it as the entry before its first)
     * @param hardState the durable hard state
     * @param snapshot the snapshot the state machine was restored from, if any
     * @param snapshotConfig the cluster configuration stored with that snapshot and its entry's index, if known
     * @return the core
     * @throws NullPointerException if an argument is null
     * @throws IllegalArgumentException if the log does not continue the snapshot
     * @throws IllegalStateException if the log holds a malformed configuration entry
     */
    public static RaftCore restore(CoreConfig config, LogView storage, HardState hardState,
            Optional<SnapshotPoint> snapshot, Optional<IndexedConfig> snapshotConfig) {
        Objects.requireNonNull(config, "config");
        Objects.requireNonNull(storage, "storage");
        Objects.requireNonNull(hardState, "hardState");
        IndexedConfig base = snapshotConfig.orElseGet(() -> new IndexedConfig(ClusterConfig.ofVoters(
                config.voters().stream().map(v -> new Member(v, "")).toList()), 0));
        RaftCore core = new RaftCore(config, storage, hardState, snapshot.orElse(null), base);
        core.membership.refresh();
        config.logger().info("{} [term {}] started as follower{}, last index {}, commit {}", config.id(), core.term,
                snapshot.map(p -> " from the snapshot at " + p.index()).orElse(""), core.log.lastIndex(),
                core.log.committed());
        return core;
    }

    /** Advances the logical clock by one tick (timers count ticks): {@code tick(1)}. */
    public void tick() {
        tick(1);
    }

    /**
     * Advances the logical clock after {@code elapsed} tick intervals passed (more than one after a stall): timers
     * advance by one tick, a leader's lease clock by all of them, so that a stalled leader's lease ends on time.
     *
     * @param elapsed tick intervals since the last call, at least 1
     */
    public void tick(int elapsed) {
        votesHeldBack = Math.max(0, votesHeldBack - 1);
        reads.tick();
        if (role instanceof Leader l) {
            l.elapseLease(elapsed - 1);
        }
        role.tick();
    }

    /** With leases: whether this node started less than T ticks ago; see {@link TermRules#onHigherTerm}. */
    boolean holdsBackVotes() {
        return votesHeldBack > 0;
    }

    /**
     * Handles one message from a peer. Stale, misaddressed or irrelevant messages are dropped, never thrown.
     *
     * @param m the message
     */
    public void step(RaftMessage m) {
        if (!m.to().equals(config.id())) {
            config.logger().debug("{} [term {}] dropped misaddressed message: {}", config.id(), term,
                    MessageFormat.describe(m));
            return;
        }
        if (reads.handled(m)) {                               // client requests: no term rules (see Reads)
            return;
        }
        if (m.term() > term) {
            if (!TermRules.onHigherTerm(this, m)) {
                return;
            }
        } else if (m.term() < term) {
            TermRules.onLowerTerm(this, m);
            return;
        }
        role.dispatch(m);
        membership.refresh();
    }

    /** Appends {@code command} if this node leads: {@code propose(EntryType.COMMAND, command)}. */
    public Proposal propose(Bytes command) {
        return propose(EntryType.COMMAND, command);
    }

    /**
     * Appends an entry for the state machine if this node leads; otherwise says who might.
     *
     * @param type {@link EntryType#COMMAND} or {@link EntryType#SESSION}
     * @param data the entry's data; owned by the log afterwards
     * @return where it was appended, or why not
     * @throws IllegalArgumentException if {@code type} is neither
     */
    public Proposal propose(EntryType type, Bytes data) {
        Objects.requireNonNull(data, "data");
        if (type != EntryType.COMMAND && type != EntryType.SESSION) {
            throw new IllegalArgumentException("not a state machine entry type: " + type);
        }
        if (accepting() == null) {
            return refusal();
        }
        long index = log.lastIndex() + 1;
        log.append(List.of(new LogEntry(term, index, type, data)));
        broadcastPending = true;
        return Proposal.accepted(index, term);
    }

    /**
     * Registers a linearizable read (ReadIndex, Raft thesis §6.4). On the leader, the read is confirmed once a quorum
     * has acknowledged a heartbeat sent after this call, and then appears in {@link Ready#readStates()}; if this node
     * stops leading first, its id appears in {@link Ready#abortedReads()} instead. A single voter confirms at once.
     * Reads confirm in the order they were registered. On a follower that knows a leader, the read is forwarded to it
     * ({@link ReadIndexRequest}): its {@link ReadState} carries the read index the leader returns, and it is aborted
     * if the leader refuses or does not answer within an election timeout.
     *
     * @param requestId the runtime's id for the read: unique on this node, also across restarts (start from a random
     *     base), so that a late answer to a forwarded read of an earlier run cannot match it
     * @return ACCEPTED with {@code index} the read index (the applied index to wait for; final, the confirmed
     *     {@link ReadState} carries the same) and {@code term} this leader's term; FORWARDED with the leader as hint;
     *     NOT_LEADER with a leader hint (no leader known, or a candidate); or TRANSFERRING with the transfer target
     *     while leadership is being handed over
     */
    public Proposal readIndex(long requestId) {
        return reads.read(requestId, false);
    }

    /**
     * A read under this leader's lease (thesis §6.4.1; see {@link Lease}): while the lease holds, confirmed at once,
     * without a round (in the next {@link Ready#readStates()}); otherwise registered as by {@link #readIndex}. On a
     * follower, forwarded as by {@link #readIndex}, and the leader answers under its lease if it holds.
     *
     * @param requestId the runtime's id for the read, unique on this node
     * @return as {@link #readIndex}
     */
    public Proposal leaseRead(long requestId) {
        return reads.read(requestId, true);
    }

    /** This node as a leader that takes requests now, or null (not leading, or handing leadership over). */
    Leader accepting() {
        return role instanceof Leader l && l.transferee() == null ? l : null;
    }

    /** Why {@link #accepting()} is null: NOT_LEADER with a leader hint, or TRANSFERRING with the target. */
    Proposal refusal() {
        return role instanceof Leader l ? Proposal.refused(Proposal.Outcome.TRANSFERRING, Optional.of(l.transferee()))
                : Proposal.refused(Proposal.Outcome.NOT_LEADER, Optional.ofNullable(leader));
    }

    /**
     * Starts a membership change to {@code target} if this node leads (thesis ch. 4): one voter directly, more through
     * the joint configuration (left by itself once committed); in force on each node once its entry is appended.
     *
     * @param target the configuration wanted: voters, learners and their addresses; not joint
     * @param maxLag how many entries behind the leader's last index a member that becomes a voter may be
     * @return ACCEPTED with its index; NOT_LEADER; TRANSFERRING; CHANGE_IN_PROGRESS (another in flight, or no entry of
     *     this term committed); NOT_CAUGHT_UP (a new voter unheard for an election timeout, more than {@code maxLag}
     *     behind, or without this leader's last index of one election timeout ago); NO_LIVE_QUORUM (see Membership)
     * @throws IllegalArgumentException if {@code target} is joint or has no voters
     */
    public Proposal proposeConfigChange(ClusterConfig target, long maxLag) {
        Objects.requireNonNull(target, "target");
        Leader l = accepting();
        if (l == null) {
            return refusal();
        }
        Proposal p = membership.propose(l, target, maxLag);
        broadcastPending |= p.isAccepted();
        return p;
    }

    /** Returns the configuration in force on this node: the last one in its log, committed or not. */
    public ClusterConfig configuration() {
        return membership.current();
    }

    /** Returns the index of the entry holding the configuration in force (0: the bootstrap configuration). */
    public long configurationIndex() {
        return membership.currentIndex();
    }

    /** Returns the highest index this node knows committed (cheaper than {@link #status()}). */
    public long commitIndex() {
        return log.committed();
    }

    /** Starts an election now, as if the election timer had fired (no-op on a leader or a non-voter). */
    public void campaign() {
        if (!(role instanceof Leader) && isPromotable()) {
            startElection(false, "asked to campaign");
        }
    }

    /**
     * Hands leadership to {@code target} once it has caught up (thesis §3.10). Proposals are refused meanwhile; the
     * transfer is abandoned after an election timeout.
     *
     * @param target a voter other than this node
     * @return {@code false} if this node does not lead
     * @throws IllegalArgumentException if {@code target} is this node or not a voter
     */
    public boolean transferLeadership(NodeId target) {
        if (!tracker.otherVoters().contains(target)) {
            throw new IllegalArgumentException("cannot transfer leadership to " + target);
        }
        if (!(role instanceof Leader l)) {
            return false;
        }
        l.transferLeadership(target);
        return true;
    }

    /**
     * A snapshot covering the log up to {@code point} is durable in the snapshot store: followers that need compacted
     * entries get this one from now on.
     *
     * @param point what the snapshot covers
     */
    public void onSnapshotTaken(SnapshotPoint point) {
        log.snapshotTaken(point.index(), point.term());
    }

    /**
     * Lets storage discard the entries up to {@code upTo} (thesis §5.1: compaction after a snapshot), as far as the
     * newest snapshot covers them and they are applied and durable: the rest follows as those advance.
     *
     * @param upTo the last index that may go
     * @return whether a compaction was handed out
     */
    public boolean compact(long upTo) {
        return snapshots.compact(upTo);
    }

    /**
     * Raft §7, receiver: the runtime durably stored the current leader's snapshot at {@code point}. One the commit
     * index covers changes nothing; one whose last entry this log holds commits up to it; otherwise the log is reset
     * to it (the next Ready's {@code install}; restore the state machine), and its configuration is in force. {@code
     * reply} (acknowledging the last chunk) leaves once that is durable.
     *
     * @param leader the node that sent the snapshot
     * @param point what the snapshot covers
     * @param snapshotConfig the snapshot's configuration; null if unknown (the one in force at its index stays)
     * @param reply the acknowledgement to send once the install is durable
     * @return whether the log was reset to the snapshot
     */
    public boolean installSnapshot(NodeId leader, SnapshotPoint point, IndexedConfig snapshotConfig,
            RaftMessage reply) {
        if (role instanceof Follower f && leader.equals(this.leader)) {
            boolean reset = f.installSnapshot(point, snapshotConfig, reply);
            membership.refresh();
            return reset;
        }
        config.logger().info("{} [term {}] dropped the snapshot at {} from {}: no longer following it", config.id(),
                term, point.index(), leader);
        return false;
    }

    /** The follower side of {@link #installSnapshot}: resets the log to the snapshot unless it holds it. */
    boolean resetToSnapshot(SnapshotPoint point, IndexedConfig snapshotConfig) {
        boolean reset = snapshots.install(point, snapshotConfig);
        if (reset) {
            config.logger().info("{} [term {}] installs the snapshot at {}/{} from {}", config.id(), term,
                    point.term(), point.index(), leader);
        }
        return reset;
    }

    /**
     * The runtime finished streaming the snapshot at {@code index} to {@code peer}: on success the follower installed
     * it, and replication resumes after it; on failure the leader probes again (and sends a snapshot again if the
     * follower still needs one).
     *
     * @param peer the follower
     * @param index the snapshot's index
     * @param success whether the follower confirmed the install
     */
    public void onSnapshotSent(NodeId peer, long index, boolean success) {
        if (role instanceof Leader l) {
            l.onSnapshotSent(peer, index, success);
        }
    }

    void requestSnapshotSend(NodeId peer) {                  // a leader asks the runtime to stream its snapshot
        snapshots.requestSend(peer);
    }

    /** Returns whether {@link #ready()} has work. */
    public boolean hasReady() {
        return broadcastPending || !outbox.isEmpty() || currentHardState() != handedOutHardState
                || snapshots.hasWork()
                || reads.hasResults()
                || reads.roundDue()
                || log.hasEntriesToPersist() || log.hasCommittedToApply();
    }

    /** Hands out all work produced since the last call; it is then in flight until acknowledged. */
    public Ready ready() {
        if (broadcastPending && role instanceof Leader l) {
            l.broadcastAppend(true);
        }
        broadcastPending = false;
        if (role instanceof Leader l && reads.roundDue()) {
            l.broadcastHeartbeat();
        }
        HardState hs = currentHardState();
        Optional<HardState> newHardState = hs.equals(handedOutHardState) ? Optional.empty() : Optional.of(hs);
        handedOutHardState = hs;
        RaftLog.PersistWork work = log.takeForPersistence();
        OptionalLong truncateFrom = work.truncateFrom() > 0 ? OptionalLong.of(work.truncateFrom())
                : OptionalLong.empty();
        return new Ready(newHardState, snapshots.takeInstall(), truncateFrom, work.entries(),
                snapshots.takeCompactTo(), outbox.takeNow(), outbox.takeAfterSync(),
                log.takeCommittedForApply(config.flow().maxApplyBytes()), reads.takeConfirmed(),
                reads.takeAborted(), snapshots.takeSends());
    }

    /**
     * Everything {@code ready} asked to persist is durable, and so is everything of earlier batches. Call once per
     * batch, in the order they were handed out.
     *
     * @param ready a batch from {@link #ready()}
     */
    public void onPersisted(Ready ready) {
        if (!ready.entries().isEmpty()) {
            LogEntry last = ready.entries().get(ready.entries().size() - 1);
            log.onPersisted(ready.truncateFrom().orElse(-1), last.index(), last.term());
        }
        if (role instanceof Leader) {
            tracker.setSelfMatchIndex(log.durableIndex());
            maybeCommit();
        }
        ready.hardState().ifPresent(hs -> {
            if (role instanceof Candidate c && !c.isPreVote() && hs.term() == term
                    && hs.votedFor().filter(config.id()::equals).isPresent()) {
                c.voteForSelf();
            }
        });
    }

    /**
     * The state machine has applied the committed entries up to {@code index}.
     *
     * @param index the last applied index
     * @throws IllegalStateException if {@code index} was never handed out for apply
     */
    public void onApplied(long index) {
        log.appliedTo(index);
        snapshots.tryCompact();
    }

    /** Returns this node's role. */
    public RaftRole currentRole() {
        return role.kind();
    }

    /** Returns this node's current term. */
    public long currentTerm() {
        return term;
    }

    /** Returns the leader this node knows of in its current term. */
    public Optional<NodeId> currentLeader() {
        return Optional.ofNullable(leader);
    }

    /** Returns a snapshot of this node's state. */
    public CoreStatus status() {
        return CoreStatus.of(this, log, membership);
    }

    // ---- transitions, used by the roles ----
    void startElection(boolean transfer, String why) {
        if (config.preVote() && !transfer) {
            becomePreCandidate(why);
        } else {
            becomeCandidate(transfer);
        }
    }

    void becomeFollower(long newTerm, NodeId newLeader) {
        RaftRole was = role.kind();
        stopLeading();
        if (newTerm > term) {
            term = newTerm;
            votedFor = null;
        }
        leader = newLeader;
        role = new Follower(this);
        if (was != RaftRole.FOLLOWER) {
            config.logger().info("{} [term {}] became follower", config.id(), term);
        }
    }

    void becomePreCandidate(String why) {
        boolean again = role.kind() == RaftRole.PRE_CANDIDATE;  // logged once, not every timeout without a quorum
        stopLeading();
        leader = null;
        Candidate c = new Candidate(this, true);
        role = c;
        tracker.resetVotes();
        if (!again) {
            config.logger().info("{} [term {}] became pre-candidate: {}", config.id(), term, why);
        }
        c.requestVotes(term + 1, false);
        c.voteForSelf();
    }

    void becomeCandidate(boolean transfer) {
        stopLeading();
        term++;
        votedFor = config.id();
        leader = null;
        Candidate c = new Candidate(this, false);
        role = c;
        tracker.resetVotes();
        config.logger().info("{} [term {}] became candidate", config.id(), term);
        c.requestVotes(term, transfer);
    }

    /** Raft §8: a new leader appends an entry of its term (a no-op, see Membership) and announces itself at once. */
    void becomeLeader() {
        leader = config.id();
        Leader l = new Leader(this, log.lastIndex() + 1);
        role = l;
        tracker.resetProgress(membership.replicationTargets(), log.lastIndex() + 1, config.flow().maxInflightMessages(),
                config.flow().maxInflightBytes());
        tracker.setSelfMatchIndex(log.durableIndex());
        config.logger().info("{} [term {}] became leader", config.id(), term);
        log.append(List.of(membership.firstEntryOfTerm(term, log.lastIndex() + 1)));
        l.broadcastAppend(true);
    }

    /** Thesis §6.4: a leader that steps down can no longer confirm its pending reads; they are aborted. */
    private void stopLeading() {
        if (role instanceof Leader l) {
            reads.abort(l);
        }
    }

    /** Thesis §6.4: confirms the pending reads whose round a quorum has echoed. */
    void confirmReads() {
        reads.confirm();
    }

    /**
     * Figure 2 / §5.4.2: commit the largest index a quorum holds, if it is from the current term. Followers learn it
     * with the next AppendEntries or heartbeat (see design notes).
     */
    void maybeCommit() {
        long index = tracker.committedIndex();
        if (index > log.committed() && log.term(index) == term) {
            log.commitTo(index);
            membership.afterCommit();
        }
    }

    boolean isPromotable() {
        return membership.mayCampaign();
    }

    void broadcastSoon() {
        broadcastPending = true;
    }

    void send(RaftMessage m) {
        outbox.add(m);
    }

    /**
     * The hard state to persist. Its commit index is a lower bound for a restart, and never more than the durable
     * prefix of the current log: the storage may make the hard state durable before (or without) the entries and the
     * truncation handed out with it, and a commit index covering them would make a restarted node apply the old,
     * never committed entries still on its disk at those indexes.
     */
    private HardState currentHardState() {
        if (handedOutHardState.term() == term && Objects.equals(handedOutHardState.votedFor().orElse(null), votedFor)) {
            return handedOutHardState;
        }
        return new HardState(term, Optional.ofNullable(votedFor), Math.min(log.committed(), log.durableIndex()));
    }

    Role role() {
        return role;
    }

    NodeId votedFor() {
        return votedFor;
    }

    /** Records a granted vote (persisted with the next hard state). */
    void voteFor(NodeId candidate) {
        votedFor = candidate;
    }

    /** A message from {@code id} as leader of the current term arrived; null: the leader is no longer heard from. */
    void followLeader(NodeId id) {
        leader = id;
    }

    NodeId id() {
        return config.id();
    }

    long term() {
        return term;
    }

    CoreConfig config() {
        return config;
    }

    Logger logger() {
        return config.logger();
    }

    RaftLog log() {
        return log;
    }

    ProgressTracker tracker() {
        return tracker;
    }
}
