package org.raftlib.internal.runtime;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.UnaryOperator;
import java.util.random.RandomGenerator;
import java.util.stream.Collectors;
import java.util.Map;
import java.util.Optional;
import org.raftlib.Bytes;
import org.raftlib.EntryType;
import org.raftlib.ClusterConfig;
import org.raftlib.HardState;
import org.raftlib.Health;
import org.raftlib.IndeterminateResultException;
import org.raftlib.LogStorage;
import org.raftlib.LogTail;
import org.raftlib.Member;
import org.raftlib.NodeId;
import org.raftlib.NodeState;
import org.raftlib.OverloadedException;
import org.raftlib.RaftEvent;
import org.raftlib.RaftException;
import org.raftlib.RaftListener;
import org.raftlib.RaftMetrics;
import org.raftlib.RaftOptions;
import org.raftlib.RaftRole;
import org.raftlib.RaftStatus;
import org.raftlib.SnapshotMeta;
import org.raftlib.SnapshotStore;
import org.raftlib.ReadMode;
import org.raftlib.StateMachine;
import org.raftlib.Transport;
import org.raftlib.internal.core.CoreConfig;
import org.raftlib.internal.core.RaftCore;
import org.raftlib.internal.core.SnapshotPoint;
import org.raftlib.internal.session.SessionMachine;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Internal: the threads and queues behind one {@link org.raftlib.RaftNode}. Thread-safe; every request is posted to
 * the node loop, and every future completes on the apply thread.
 */
public final class NodeRuntime {

    private static final Logger LOG = LoggerFactory.getLogger(NodeRuntime.class);
    private static final long JOIN_MILLIS = 10_000;

    private final NodeId id;
    private final RaftOptions options;
    private final LogStorage logStorage;
    private final SnapshotStore snapshotStore;
    private final SessionMachine stateMachine;
    private final SnapshotThreads snapshotThreads;
    private final SnapshotTaker snapshotTaker;
    private final NodeParts parts;
    private final NodeResources resources;
    private final PendingLimit pending;
    private final Events events;
    private final CoreConfig coreConfig;
    private final ClusterConfig initialConfig;
    private final Thread loopThread;
    /** Set once start() has started the loop: until then status() answers from storage. */
    private volatile boolean loopStarted;
    private final Thread storageThread;
    private final Thread applyThread;
    private final CountDownLatch exited = new CountDownLatch(1);
    private volatile NodeLoop loop;
    private volatile RaftStatus finalStatus;

    /**
     * A node's durable storage.
     *
     * @param log the log and hard state
     * @param snapshots the snapshot store, or null for a node without snapshots
     */
    public record Stores(LogStorage log, SnapshotStore snapshots) {
    }

    /**
     * What a node knows of its cluster at start.
     *
     * @param members the members with their addresses, this node included; the voters of a new cluster
     * @param join whether this node joins an existing cluster: it votes in no configuration until the leader's log
     *     (or snapshot) gives it one, and never campaigns before that
     */
    public record Bootstrap(List<Member> members, boolean join) {
    }

    /**
     * A node's optional parts.
     *
     * @param random the core's randomness
     * @param metrics where measurements go; {@link RaftMetrics#NOOP} for none
     */
    public record Extras(RandomGenerator random, RaftMetrics metrics) {
    }

    /**
     * Assembles a node; nothing runs until {@link #start()}.
     *
     * @param id this node
     * @param bootstrap the members this node knows at start, and whether it joins an existing cluster
     * @param stateMachine the user's state machine
     * @param stores the log and the snapshot store
     * @param transport the transport
     * @param options checked options
     * @param extras the core's randomness and the metrics
     */
    public NodeRuntime(NodeId id, Bootstrap bootstrap, StateMachine stateMachine, Stores stores,
            Transport transport, RaftOptions options, Extras extras) {
        this.id = id;
        this.options = options;
        this.logStorage = stores.log();
        this.snapshotStore = stores.snapshots();
        this.stateMachine = new SessionMachine(stateMachine);
        Lifecycle lifecycle = new Lifecycle(id);
        Inbox inbox = new Inbox();
        NodeFailure failure = cause -> {
            if (lifecycle.fail(cause)) {
                inbox.post(new Event.Stop());
            }
        };
        RuntimeMetrics metrics = new RuntimeMetrics(extras.metrics(), options.maxPendingRequests());
        Transport userTransport = transport;
        transport = MeteredTransport.wrap(transport, metrics);             // counts messages, if measuring
        this.resources = new NodeResources(id, userTransport, transport, logStorage, snapshotStore, stateMachine);
        StorageWorker storage = new StorageWorker(id.value(), logStorage, transport, inbox, failure, metrics);
        ApplyWorker apply = new ApplyWorker(id.value(), this.stateMachine, inbox, failure);
        List<RaftListener> listeners = new CopyOnWriteArrayList<>();
        this.events = new Events(id.value(), listeners, apply::submit);
        storage.reportSlowWrites(options.slowDiskThreshold(), events);
        apply.reportSnapshots(events);
        List<Member> members = bootstrap.members();
        Set<NodeId> voters = bootstrap.join() ? Set.of()
                : members.stream().map(Member::id).collect(Collectors.toSet());
        this.initialConfig = bootstrap.join() ? ClusterConfig.EMPTY : ClusterConfig.ofVoters(members);
        this.snapshotThreads = new SnapshotThreads(id.value());
        this.snapshotTaker = new SnapshotTaker(id.value(), snapshotStore, initialConfig,
                new SnapshotTaker.Policy(options.snapshotEveryEntries(), options.snapshotEveryBytes()),
                snapshotThreads.writer(), inbox, apply::submit);
        snapshotTaker.useMetrics(metrics);
        SnapshotTransfers transfers = new SnapshotTransfers(new SnapshotSender.Context(id, 0, snapshotStore,
                transport, inbox, options.snapshotChunkBytes(), options.snapshotChunksInFlight(), metrics),
                snapshotThreads.io(), options.electionTimeout().multipliedBy(2).toNanos(), Optional.empty());
        long tick = options.tickInterval().toNanos();
        this.coreConfig = CoreConfig.of(id, voters, extras.random())
                .withTicks(ticks(options.electionTimeout(), tick), ticks(options.heartbeatInterval(), tick))
                .withElectionSafeguards(options.preVote(), options.checkQuorum())
                .withLease(options.checkQuorum() ? CoreConfig.leaseTicksFor(ticks(options.electionTimeout(), tick),
                        options.maxClockDrift()) : 0)
                .withFlow(new CoreConfig.FlowControl(options.maxInflightAppends(), options.maxAppendBytes(),
                        CoreConfig.FlowControl.DEFAULT.maxApplyBytes()));
        this.parts = new NodeParts(id, List.copyOf(members), bootstrap.join(), transport, inbox, storage, apply,
                lifecycle, listeners, coreConfig.electionTicks(), transfers, options.snapshotKeepEntries(), metrics,
                options);
        this.pending = new PendingLimit(options.maxPendingRequests(), options.maxPendingBytes());
        this.loopThread = new Thread(this::runLoop, "raft-loop-" + id);
        this.storageThread = new Thread(storage, "raft-storage-" + id);
        this.applyThread = new Thread(apply, "raft-apply-" + id);
        applyThread.setDaemon(true);      // stuck in the state machine past a close, it does not hold the JVM open
    }

    /** Converts a duration to whole ticks, at least one. */
    public static int ticks(Duration d, long tickNanos) {
        return (int) Math.max(1, d.toNanos() / tickNanos);
    }

    /**
     * Binds the log storage to this node, recovers the core from storage, starts the transport and the threads.
     *
     * @throws IOException if the log storage belongs to another node, or the transport cannot listen
     * @throws IllegalStateException if already started or closed, or closed by its state machine's restore
     */
    public synchronized void start() throws IOException {            // a close() meanwhile waits for it
        if (!parts.lifecycle().start()) {
            throw new IllegalStateException(id + " cannot start: it is " + parts.lifecycle().state());
        }
        Optional<ScheduledExecutorService> executor;
        String inForce;
        try {
            resources.claim();
            logStorage.bind(id);                      // before anything reads it: refuses another member's storage
            Optional<SnapshotMeta> snapshot = SnapshotRecovery.recover(id, logStorage, snapshotStore, stateMachine);
            if (!parts.lifecycle().isRunning()) {             // close() from the state machine's restore
                throw new IllegalStateException(id + " was closed during start(), while its state machine restored"
                        + " its snapshot");
            }
            snapshot.ifPresent(parts.transfers()::onDurable);
            parts.apply().useSnapshots(snapshotStore, snapshotTaker, snapshot, initialConfig);
            RaftCore core = RaftCore.restore(coreConfig, new StorageLogView(logStorage), logStorage.hardState(),
                    snapshot.map(m -> new SnapshotPoint(m.index(), m.term())), snapshot.map(SnapshotTaker::configOf));
            GivenMembers.mismatch(id, parts.members(), core.configuration(), core.configurationIndex())
                    .ifPresent(LOG::warn);
            inForce = core.configuration().ids().isEmpty() ? "to join: no configuration yet"
                    : "with the configuration " + core.configuration() + " (index " + core.configurationIndex() + ")";
            loop = new NodeLoop(parts, core, options.tickInterval().toNanos());
            Member self = parts.members().stream().filter(m -> m.id().equals(id)).findFirst().orElseThrow();
            parts.transport().updatePeers(parts.members().stream().filter(m -> !m.id().equals(id)).toList());
            parts.transport().start(self, parts.inbox()::post);
            executor = parts.transport().loopExecutor();
        } catch (IOException | RuntimeException e) {
            parts.lifecycle().failStart(e);
            finalStatus = offlineStatus();
            closeResources();
            exited.countDown();
            throw e;
        }
        storageThread.start();
        applyThread.start();
        if (executor.isPresent()) {
            loop.runOn(executor.get(), this::shutdown);
        } else {
            loopThread.start();
        }
        loopStarted = true;
        LOG.info("{} started {}", id, inForce);
    }

    private void runLoop() {
        try {
            loop.run();
        } finally {
            shutdown();
        }
    }

    /** Runs on the loop thread once the loop has exited, for a close or a failure. */
    private void shutdown() {
        try {
            stopEverything();
        } finally {
            exited.countDown();
        }
    }

    private void stopEverything() {
        Lifecycle lifecycle = parts.lifecycle();
        if (lifecycle.isRunning()) {
            lifecycle.fail(new IllegalStateException(id + ": the node loop exited unexpectedly"));
        }
        parts.transport().close();
        RaftException error = lifecycle.notRunning();
        RaftException writes = lifecycle.state() == NodeState.FAILED       // appended: the others may commit it
                ? new IndeterminateResultException(id + " failed before the command was known committed", error)
                : new IndeterminateResultException(id + " was closed before the command was known committed");
        loop.failRemaining(error, writes);                   // before the apply worker's final drain
        loop.stopTransfers();
        parts.storage().requestStop();
        parts.apply().requestStop(error, lifecycle.state() == NodeState.FAILED);
        join(storageThread);
        join(applyThread);
        snapshotThreads.stop(JOIN_MILLIS);
        finalStatus = loop.status(lifecycle.state());
        closeResources();
        if (lifecycle.state() == NodeState.FAILED) {
            Throwable cause = lifecycle.failure();
            events.deliverNow(new RaftEvent.NodeFailed(cause != null ? cause : new IllegalStateException(id
                    + " failed")));
        }
        LOG.info("{} stopped ({})", id, lifecycle.state());
    }

    /**
     * Waits for the loop to shut the node down (not on the loop, apply, storage or snapshot threads: it waits for
     * them); an interrupt does not cut the wait short, so a caller can reopen the directory at once (the flag is
     * kept).
     */
    private void awaitExit() {
        Thread current = Thread.currentThread();
        if (loop == null || loop.onLoopThread() || current == applyThread || current == storageThread
                || snapshotThreads.owns(current)) {
            return;
        }
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(JOIN_MILLIS);
        boolean interrupted = false;
        while (true) {
            try {
                if (!exited.await(deadline - System.nanoTime(), TimeUnit.NANOSECONDS)) {
                    LOG.warn("{} did not stop within {} ms: its loop waits for {}", id, JOIN_MILLIS,
                            StuckThreads.alive(List.of(applyThread, storageThread, loopThread)));
                }
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            current.interrupt();
        }
    }

    private void join(Thread t) {
        if (t == Thread.currentThread() || !t.isAlive()) {
            return;
        }
        try {
            t.join(JOIN_MILLIS);
            if (t.isAlive()) {
                LOG.warn("{} thread {} did not stop within {} ms{}{}", id, t.getName(), JOIN_MILLIS,
                        StuckThreads.where(t), t.isDaemon() ? "; left running (a daemon thread)" : "");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void closeResources() {
        resources.closeTransport();
        snapshotThreads.stop(JOIN_MILLIS);
        resources.closeStores();
    }

    /**
     * Takes a snapshot now; see {@link org.raftlib.RaftNode#takeSnapshot()}.
     *
     * @return the future
     */
    public CompletableFuture<Long> takeSnapshot() {
        CompletableFuture<Long> f = new CompletableFuture<>();
        if (!parts.lifecycle().isRunning()) {
            f.completeExceptionally(parts.lifecycle().notRunning());
            return f;
        }
        parts.apply().submit(new ApplyWorker.TakeSnapshot(f));
        if (!parts.lifecycle().isRunning() && exited.getCount() == 0) {
            f.completeExceptionally(parts.lifecycle().notRunning());
        }
        return f;
    }

    /**
     * Proposes a command; see {@link org.raftlib.RaftNode#submit}.
     *
     * @param command the command, already checked
     * @return the future
     */
    public CompletableFuture<byte[]> submit(byte[] command) {
        return submit(EntryType.COMMAND, Bytes.copyOf(command));
    }

    /**
     * Proposes an entry for the state machine: a command, or a session entry.
     *
     * @param type {@link EntryType#COMMAND} or {@link EntryType#SESSION}
     * @param data the entry's data, already checked and owned by the callee
     * @return the future
     */
    public CompletableFuture<byte[]> submit(EntryType type, Bytes data) {
        CompletableFuture<byte[]> f = acquire(data.length());
        if (!f.isDone()) {
            Event.Submit e = new Event.Submit(type, data, f);
            parts.inbox().post(e);
            if (mayHaveMissedFinalDrain() && e.claim()) {
                f.completeExceptionally(parts.lifecycle().notRunning());   // the loop never proposed it
            }
        }
        return PendingFuture.callerOf(f);
    }

    /**
     * Reads; see {@link org.raftlib.RaftNode#query}.
     *
     * @param request the request, already checked
     * @param mode the read mode
     * @return the future
     */
    public CompletableFuture<byte[]> query(byte[] request, ReadMode mode) {
        CompletableFuture<byte[]> f = acquire(request.length);
        if (f.isDone()) {
            return f;
        }
        byte[] copy = request.clone();
        NodeLoop l = loop;
        long leased = mode == ReadMode.LEASE && l != null ? l.leaseGate().readIndexAt(System.nanoTime()) : -1;
        if (mode == ReadMode.STALE || leased >= 0) {             // under the lease: straight to the apply thread
            parts.apply().submit(new ApplyWorker.ReadAt(Math.max(0, leased), copy, f));
            recheck(f);
        } else {
            post(new Event.Read(copy, mode == ReadMode.LEASE, f), f);
        }
        return PendingFuture.callerOf(f);
    }

    /**
     * A bounded-staleness read; see {@link org.raftlib.RaftNode#queryBounded}.
     *
     * @param request the request, already checked
     * @param maxStalenessNanos the bound, at least 0
     * @return the future
     */
    public CompletableFuture<byte[]> queryBounded(byte[] request, long maxStalenessNanos) {
        CompletableFuture<byte[]> f = acquire(request.length);
        if (!f.isDone()) {
            post(new Event.Read(request.clone(), false, maxStalenessNanos, f), f);
        }
        return PendingFuture.callerOf(f);
    }

    /**
     * Transfers leadership; see {@link org.raftlib.RaftNode#transferLeadership}.
     *
     * @param target a member
     * @return the future
     */
    public CompletableFuture<Void> transferLeadership(NodeId target) {
        CompletableFuture<Void> f = new CompletableFuture<>();
        if (!parts.lifecycle().isRunning()) {
            f.completeExceptionally(parts.lifecycle().notRunning());
            return f;
        }
        post(new Event.Transfer(target, f), f);
        return f;
    }

    /**
     * Changes the membership; see {@link org.raftlib.RaftNode#changeMembership}.
     *
     * @param change maps the configuration in force to the one wanted
     * @return the future
     */
    public CompletableFuture<ClusterConfig> changeMembership(UnaryOperator<ClusterConfig> change) {
        CompletableFuture<ClusterConfig> f = new CompletableFuture<>();
        if (!parts.lifecycle().isRunning()) {
            f.completeExceptionally(parts.lifecycle().notRunning());
            return f;
        }
        post(new Event.ChangeMembership(change, f), f);
        return f;
    }

    private <T> CompletableFuture<T> acquire(long bytes) {
        if (!parts.lifecycle().isRunning()) {
            return CompletableFuture.failedFuture(parts.lifecycle().notRunning());
        }
        CompletableFuture<T> f = pending.tryAcquire(bytes);
        if (f == null) {
            return CompletableFuture.failedFuture(new OverloadedException(id + " has " + (pending.inUse()
                    >= pending.max() ? pending.max() + " requests pending (maxPendingRequests)" : pending.bytesInUse()
                    + " bytes of commands pending, at most " + pending.maxBytes() + " (maxPendingBytes)")
                    + "; retry later"));
        }
        return f;
    }

    private void post(Event e, CompletableFuture<?> f) {
        parts.inbox().post(e);
        recheck(f);
    }

    /**
     * A request posted while the node stopped may miss the final drain: fail it here; completing twice is harmless.
     * Commands are not failed this way: {@link #submit} claims them first, since the loop may have proposed one.
     */
    private void recheck(CompletableFuture<?> f) {
        if (mayHaveMissedFinalDrain()) {
            f.completeExceptionally(parts.lifecycle().notRunning());
        }
    }

    private boolean mayHaveMissedFinalDrain() {
        return !parts.lifecycle().isRunning() && (loop == null || loop.isDrained() || exited.getCount() == 0);
    }

    /**
     * Returns a status snapshot; see {@link org.raftlib.RaftNode#status()}.
     *
     * @return the status
     * @throws RaftException if the running loop does not answer within 5 seconds, or the caller is interrupted
     */
    public RaftStatus status() {
        if (parts.lifecycle().isRunning() && !loopStarted) {
            return offlineStatus();                          // start() is recovering: no loop to ask yet
        }
        if (parts.lifecycle().isRunning()) {
            CompletableFuture<RaftStatus> f = new CompletableFuture<>();
            parts.inbox().post(new Event.StatusQuery(f));
            try {
                return f.get(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new RaftException(id + ": interrupted while waiting for the status", e);
            } catch (ExecutionException | TimeoutException e) {
                if (parts.lifecycle().isRunning()) {
                    throw new RaftException(id + ": the node loop did not answer a status request", e);
                }
            }
        }
        awaitExit();
        RaftStatus s = finalStatus;
        return s != null ? s : offlineStatus();
    }

    /**
     * Returns the end of the log and the election timer; see {@link org.raftlib.RaftNode#logTail(int)}.
     *
     * @param max how many entries at most
     * @return the log tail
     * @throws RaftException if the node is not running, its loop does not answer within 5 seconds, or the caller is
     *     interrupted
     */
    public LogTail logTail(int max) {
        if (!parts.lifecycle().isRunning()) {
            throw parts.lifecycle().notRunning();
        }
        CompletableFuture<LogTail> f = new CompletableFuture<>();
        post(new Event.LogTailQuery(max, f), f);
        try {
            return f.get(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RaftException(id + ": interrupted while waiting for the log tail", e);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof RaftException r ? r : new RaftException(id + ": " + e.getCause(), e);
        } catch (TimeoutException e) {
            throw new RaftException(id + ": the node loop did not answer a log tail request", e);
        }
    }

    /** A status from storage alone, for a node whose loop never ran; zeros if the storage cannot say. */
    private RaftStatus offlineStatus() {
        long term = 0;
        long last = 0;
        long commit = 0;
        try {
            HardState hs = logStorage.hardState();
            term = hs.term();
            last = logStorage.lastIndex();
            commit = Math.min(hs.commit(), last);
        } catch (RuntimeException e) {
            LOG.debug("{} cannot read its storage for a status", id, e);
        }
        long first = 1;
        try {
            first = logStorage.firstIndex();
        } catch (RuntimeException e) {
            LOG.debug("{} cannot read its storage for a status", id, e);
        }
        return new RaftStatus(id, parts.lifecycle().state(), RaftRole.FOLLOWER, term, Optional.empty(), last, commit,
                0, first, parts.transfers().latest(), initialConfig.members(), initialConfig, 0, Map.of());
    }

    /** Returns the node's health without waiting on its threads; see {@link org.raftlib.RaftNode#health()}. */
    public Health health() {
        NodeLoop l = loop;
        if (l != null && parts.lifecycle().isRunning()) {
            l.checkExecutor();
        }
        NodeHealth.Published seen = l == null ? null : new NodeHealth.Published(l.observers().knownLeader(),
                l.observers().knownTerm(), l.observers().knownCommit(), parts.apply().appliedIndex(),
                l.observers().removedAt(), parts.transfers().receiveFailure(), parts.apply().busy());
        return NodeHealth.of(id, parts.lifecycle().state(), parts.lifecycle().failure(), seen,
                options.readyMaxApplyLag(), options.readyMaxApplyStall().toNanos(), System.nanoTime());
    }

    /** Registers {@code listener}; see {@link org.raftlib.RaftNode#addListener}. */
    public void addListener(RaftListener listener) {
        parts.listeners().add(listener);
    }

    /** Removes {@code listener}; see {@link org.raftlib.RaftNode#removeListener}. */
    public void removeListener(RaftListener listener) {
        parts.listeners().remove(listener);
    }

    /** Stops the node and releases its threads, transport and storage; see {@link org.raftlib.RaftNode#close()}. */
    public void close() {
        Lifecycle lifecycle = parts.lifecycle();
        boolean started;
        boolean closedNow;
        synchronized (this) {                                        // not while start() runs: it would close
            started = loop != null;                                  // the storage and transport under it
            closedNow = lifecycle.close();
        }
        if (closedNow && !started) {
            finalStatus = offlineStatus();
            closeResources();
            LOG.info("{} closed before it started", id);
            return;
        }
        parts.inbox().post(new Event.Stop());
        awaitExit();
    }

    /** Returns this node's id. */
    public NodeId id() {
        return id;
    }
}
