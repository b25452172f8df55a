package org.raftlib.internal.runtime;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.raftlib.ClusterConfig;
import org.raftlib.EntryType;
import org.raftlib.FollowerBehindException;
import org.raftlib.IndeterminateResultException;
import org.raftlib.LogEntry;
import org.raftlib.NodeId;
import org.raftlib.RaftEvent;
import org.raftlib.RaftException;
import org.raftlib.SnapshotMeta;
import org.raftlib.SnapshotStore;
import org.raftlib.StateMachine;
import org.raftlib.internal.core.IndexedConfig;
import org.raftlib.internal.session.SessionMachine;
import org.raftlib.internal.session.SessionTable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the {@link StateMachine} on its own thread: applies committed entries in log order, completes the proposers'
 * futures with the results, serves reads once the state has caught up with their read index, and runs listener
 * callbacks. Every client future completes on this thread, so no user code ever runs on the node loop. Session
 * entries go through the session table ({@link SessionMachine}), which deduplicates them before the state machine.
 *
 * <p>An exception from {@link StateMachine#apply} fails the node: the other replicas applied the command, so this
 * one can no longer follow them.
 */
final class ApplyWorker implements Runnable {

    private static final Logger LOG = LoggerFactory.getLogger(ApplyWorker.class);
    private static final Object STOP = new Object();
    private static final Object SERVING_READS = new Object();
    private static final long IDLE = Long.MIN_VALUE;
    private static final byte[] EMPTY = new byte[0];
    /** How often waiting reads are checked against their deadlines. */
    private static final long READ_DEADLINE_CHECK_NANOS = 100_000_000;

    private final String nodeId;
    private final SessionMachine stateMachine;
    private final Inbox inbox;
    private final NodeFailure failure;
    private final WakeableQueue<Object> queue = new WakeableQueue<>();
    /** Tasks taken from the queue and not finished; what a failure leaves here is failed by the shutdown. */
    private final ArrayDeque<Object> taken = new ArrayDeque<>();
    private final PriorityQueue<ReadAt> waitingReads =
            new PriorityQueue<>((a, b) -> Long.compare(a.index(), b.index()));
    private volatile boolean stopRequested;
    private volatile RaftException stopError;
    private volatile RaftException unappliedError;
    private long applied;
    /** {@link #applied} for other threads ({@link org.raftlib.RaftNode#health()}, status), set after each entry. */
    private volatile long appliedPublished;
    /** When the thread last started a task or applied an entry; {@link #IDLE} while it waits for tasks. */
    private volatile long progressNanos = IDLE;
    /** The task the thread works on, for {@link #busy()}; null while it waits for tasks. */
    private volatile Object working;
    private long appliedTerm;
    private long nextExpiryCheck;
    private Events events;
    private SnapshotTaker snapshots;
    private SnapshotStore store;
    /** The state machine methods that returned null; apply thread only. */
    private final Set<String> nullWarned = new HashSet<>();

    ApplyWorker(String nodeId, SessionMachine stateMachine, Inbox inbox, NodeFailure failure) {
        this.nodeId = nodeId;
        this.stateMachine = stateMachine;
        this.inbox = inbox;
        this.failure = failure;
    }

    /**
     * Wires snapshots in, before the thread starts: {@code store} to restore from (null: none), {@code taker} to take
     * them, and the snapshot the state machine was restored from at start ({@code index} 0: none).
     */
    void useSnapshots(SnapshotStore snapshotStore, SnapshotTaker taker, Optional<SnapshotMeta> restoredFrom,
            ClusterConfig bootstrap) {
        this.store = snapshotStore;
        this.snapshots = taker;
        this.applied = restoredFrom.map(SnapshotMeta::index).orElse(0L);
        this.appliedPublished = applied;
        this.appliedTerm = restoredFrom.map(SnapshotMeta::term).orElse(0L);
        taker.restoredTo(applied, restoredFrom.map(SnapshotTaker::configOf).orElse(new IndexedConfig(bootstrap, 0)));
    }

    /** Reports snapshots taken and installed to {@code sink}; called before the thread starts. */
    void reportSnapshots(Events sink) {
        this.events = sink;
    }

    /**
     * {@link org.raftlib.RaftNode#takeSnapshot()}; with {@code replacing} > 0, also when nothing was applied since the
     * newest snapshot, if that is the one at {@code replacing} (it cannot be read).
     */
    record TakeSnapshot(CompletableFuture<Long> future, long replacing) {

        TakeSnapshot(CompletableFuture<Long> future) {
            this(future, 0);
        }
    }

    /** Replace the state with the snapshot of {@code meta}, which a follower installed (Raft §7). */
    record Restore(SnapshotMeta meta) {
    }

    /** Committed entries and, for those proposed here, the futures to complete (null where none). */
    record ApplyBatch(List<LogEntry> entries, CompletableFuture<byte[]>[] futures) {
    }

    /**
     * A read to serve once {@code index} is applied ({@code index} 0: serve now), failed with
     * {@link FollowerBehindException} if that has not happened by {@code deadlineNanos} ({@link System#nanoTime()}).
     */
    record ReadAt(long index, byte[] request, CompletableFuture<byte[]> future, long deadlineNanos) {

        /** No deadline: a read on the leader, or one that waits for nothing. */
        static final long NO_DEADLINE = Long.MAX_VALUE;

        ReadAt(long index, byte[] request, CompletableFuture<byte[]> future) {
            this(index, request, future, NO_DEADLINE);
        }
    }

    /** Completes {@code future} exceptionally on this thread. */
    record Fail(CompletableFuture<?> future, Throwable error) {
    }

    void submit(Object task) {
        queue.offer(task);
    }

    /**
     * Stops the worker; on its own thread it then completes every future it still holds: reads with {@code error},
     * commands that committed but have no result here (not applied yet, or their apply threw) with an
     * {@link IndeterminateResultException} saying they committed. A worker stuck in the state machine does so when
     * the state machine returns; no other thread touches its queues.
     *
     * @param error why the node stops
     * @param failed whether it failed (then {@code error} is the cause of the commands' exception) or was closed
     */
    void requestStop(RaftException error, boolean failed) {
        stopError = error;
        unappliedError = failed
                ? new IndeterminateResultException(nodeId + " failed after the command committed, before its result"
                        + " was known here (the cause says why: the state machine threw applying it or an earlier"
                        + " entry, or the node failed otherwise): it takes effect, the other replicas apply it, but"
                        + " its result is unknown", error)
                : new IndeterminateResultException(nodeId + " was closed after the command committed, before it was"
                        + " applied here: it takes effect, the other replicas apply it, but its result is unknown");
        stopRequested = true;
        queue.offer(STOP);
    }

    @Override
    public void run() {
        try {
            applyUntilStopped();
        } catch (Throwable e) {                              // a checked exception a state machine threw undeclared too
            failure.fail(e);
        }
        try {
            while (!stopRequested) {                          // after a failure: hold tasks until the node stops
                queue.takeAll(taken, Integer.MAX_VALUE);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        failRemaining();
    }

    private void applyUntilStopped() {
        try {
            while (!stopRequested) {
                if (waitingReads.isEmpty()) {
                    queue.takeAll(taken, 1024);
                } else {                                     // wake up to fail the reads whose time is up
                    queue.takeAll(taken, 1024, READ_DEADLINE_CHECK_NANOS);
                    expireReads(System.nanoTime());
                }
                long before = applied;
                while (!taken.isEmpty() && !stopRequested) {
                    Object task = taken.peekFirst();
                    working(task);
                    run(task);
                    taken.pollFirst();
                }
                if (applied > before) {
                    appliedPublished = applied;
                    working(SERVING_READS);
                    serveReads();
                    inbox.postQuietly(new Event.Applied(applied));    // only frees apply flow control
                }
                working(null);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void working(Object task) {
        working = task;
        progressNanos = task == null ? IDLE : System.nanoTime();
    }

    /**
     * What the apply thread works on, and since when it made no progress.
     *
     * @param sinceNanos when it started the task or last applied an entry ({@link System#nanoTime()})
     * @param doing the task, in words
     */
    record Busy(long sinceNanos, String doing) {
    }

    /** Returns what the thread works on, or null while it waits for tasks; from any thread. */
    Busy busy() {
        Object task = working;
        long since = progressNanos;
        if (task == null || since == IDLE) {
            return null;
        }
        String doing;
        if (task instanceof ApplyBatch) {
            doing = "applying index " + (appliedPublished + 1);
        } else if (task instanceof Restore r) {
            doing = "restoring the snapshot at index " + r.meta().index();
        } else if (task instanceof TakeSnapshot || task instanceof SnapshotTaker.Done) {
            doing = "capturing a snapshot";
        } else if (task instanceof ReadAt || task == SERVING_READS) {
            doing = "serving a query";
        } else {
            doing = "completing a request";
        }
        return new Busy(since, doing);
    }

    private void run(Object task) {
        if (task instanceof ApplyBatch b) {
            apply(b);
        } else if (task instanceof ReadAt r) {
            if (r.index() <= applied) {
                query(r);
            } else {
                waitingReads.add(r);
            }
        } else if (task instanceof Fail f) {
            f.future().completeExceptionally(f.error());
        } else if (task instanceof TakeSnapshot t) {
            snapshots.request(t.future(), stateMachine, applied, appliedTerm, t.replacing());
        } else if (task instanceof SnapshotTaker.Done d) {
            snapshots.onDone(d, stateMachine, applied, appliedTerm);
            if (d.meta() != null && events != null) {
                events.emit(new RaftEvent.SnapshotTaken(d.meta()));
            }
        } else if (task instanceof Restore r) {
            restore(r.meta());
        } else if (task instanceof Runnable callback) {
            runCallback(callback);
        }
    }

    private void apply(ApplyBatch batch) {
        List<LogEntry> entries = batch.entries();
        for (int i = 0; i < entries.size(); i++) {
            if (stopRequested) {                             // a call that close() gave up on returned: apply no more
                failUnapplied(batch, i);
                return;
            }
            LogEntry e = entries.get(i);
            if (e.index() != applied + 1) {
                throw new IllegalStateException(nodeId + ": apply of index " + e.index() + " after " + applied);
            }
            CompletableFuture<byte[]> f = batch.futures() == null ? null : batch.futures()[i];
            byte[] result = null;
            SessionTable.Outcome outcome = null;
            if (e.type() == EntryType.COMMAND) {
                result = applyCommand(e.index(), e.data().toByteArray());
                snapshots.applied(e.data().length());
            } else if (e.type() == EntryType.SESSION) {
                outcome = applySession(e);
                snapshots.applied(e.data().length());
            } else if (e.type() == EntryType.CONFIGURATION) {
                snapshots.configApplied(new IndexedConfig(ClusterConfig.decode(e.data().toByteArray()), e.index()));
            }
            applied = e.index();                             // published before the future completes: a caller
            appliedTerm = e.term();                          // woken by its result reads it in status()
            appliedPublished = applied;
            progressNanos = System.nanoTime();
            if (f != null && outcome != null) {
                complete(f, outcome);
            } else if (f != null && result != null) {
                f.complete(result);
            }
        }
        snapshots.maybeTake(stateMachine, applied, appliedTerm);
        if (LOG.isTraceEnabled()) {
            LOG.trace("{} applied up to {}", nodeId, applied);
        }
    }

    private byte[] applyCommand(long index, byte[] command) {
        byte[] result;
        try {
            result = stateMachine.apply(index, command);
        } catch (Exception ex) {                              // a checked one thrown undeclared (Kotlin, Lombok) too
            throw new IllegalStateException(nodeId + ": the state machine threw while applying index " + index
                    + "; stopping, because the other replicas applied it", ex);
        }
        return result != null ? result : nullResult("apply");
    }

    /**
     * A null result, which the contract forbids, is taken as an empty one (the command was applied; failing its future
     * would say otherwise), with a WARN the first time for each method.
     */
    private byte[] nullResult(String method) {
        if (nullWarned.add(method)) {
            LOG.warn("{} the state machine's {}() returned null, which it must not; taken as an empty result (logged"
                    + " once)", nodeId, method);
        }
        return EMPTY;
    }

    /** A session entry: deduplicated by the table; a malformed one changes nothing and fails its proposer. */
    private SessionTable.Outcome applySession(LogEntry e) {
        SessionTable.Outcome o = stateMachine.applySession(e.index(), e.data(), this::applyCommand);
        if (o.status() == SessionTable.Status.MALFORMED) {
            LOG.warn("{} ignores a malformed session entry: {}", nodeId, o.message());
        }
        return o;
    }

    private static void complete(CompletableFuture<byte[]> f, SessionTable.Outcome o) {
        if (o.failed()) {
            f.completeExceptionally(o.error());
        } else {
            f.complete(o.result());
        }
    }

    /** Replaces the state with a snapshot's; reads the stream to its end, so its checksum is checked. */
    private void restore(SnapshotMeta meta) {
        long start = System.nanoTime();
        try {
            SnapshotRecovery.restore(nodeId, stateMachine, store, meta);
        } catch (IOException e) {
            throw new UncheckedIOException(nodeId + ": cannot restore the state machine from the snapshot at "
                    + meta.index(), e);
        } catch (Exception e) {                               // the state machine's own failure, checked ones too
            throw new IllegalStateException(nodeId + ": the state machine threw restoring the snapshot at "
                    + meta.term() + "/" + meta.index() + " installed from the leader; stopping", e);
        }
        applied = meta.index();
        appliedTerm = meta.term();
        snapshots.restoredTo(meta.index(), SnapshotTaker.configOf(meta));
        LOG.info("{} restored the state machine from the snapshot at {}/{} in {} ms", nodeId, meta.term(),
                meta.index(), (System.nanoTime() - start) / 1_000_000);
        if (events != null) {
            events.emit(new RaftEvent.SnapshotInstalled(meta));
        }
    }

    private void serveReads() {
        while (!waitingReads.isEmpty() && waitingReads.peek().index() <= applied) {
            query(waitingReads.poll());
        }
    }

    /** Fails the waiting reads whose deadline passed: their follower did not catch up with the read index. */
    private void expireReads(long nowNanos) {
        if (nowNanos - nextExpiryCheck < 0) {
            return;
        }
        nextExpiryCheck = nowNanos + READ_DEADLINE_CHECK_NANOS;
        waitingReads.removeIf(r -> {
            if (r.deadlineNanos() == ReadAt.NO_DEADLINE || nowNanos - r.deadlineNanos() < 0) {
                return false;
            }
            r.future().completeExceptionally(FollowerBehindException.timedOut(NodeId.of(nodeId), r.index(), applied));
            return true;
        });
    }

    private void query(ReadAt r) {
        if (PendingFuture.abandoned(r.future())) {
            r.future().cancel(false);                        // its caller gave up: no query, slot given back
            return;
        }
        byte[] result;
        try {
            result = stateMachine.query(r.request());
        } catch (Exception ex) {
            r.future().completeExceptionally(ex);      // a read changes nothing: the caller gets the error
            return;
        }
        progressNanos = System.nanoTime();                   // a queue of quick queries is progress, not a stall
        r.future().complete(result != null ? result : nullResult("query"));
    }

    private void runCallback(Runnable callback) {
        try {
            callback.run();
        } catch (Exception ex) {
            LOG.warn("{} a listener threw; ignored", nodeId, ex);
        }
    }

    long applied() {
        return applied;
    }

    /** Returns the applied index as of the last entry applied; from any thread. */
    long appliedIndex() {
        return appliedPublished;
    }

    /** Fails the futures of the batch's commands from {@code from} on: committed, not applied here. */
    private void failUnapplied(ApplyBatch b, int from) {
        for (int i = from; b.futures() != null && i < b.futures().length; i++) {
            if (b.futures()[i] != null) {
                b.futures()[i].completeExceptionally(unappliedError);
            }
        }
    }

    private void failRemaining() {
        RaftException error = stopError;
        List<Object> left = new ArrayList<>(taken);
        taken.clear();
        queue.drainTo(left);
        for (Object task : left) {
            if (task instanceof ApplyBatch b) {
                failUnapplied(b, 0);
            } else if (task instanceof ReadAt r) {
                r.future().completeExceptionally(error);
            } else if (task instanceof Fail f) {
                f.future().completeExceptionally(f.error());
            } else if (task instanceof TakeSnapshot t) {
                t.future().completeExceptionally(error);
            }
        }
        if (snapshots != null) {
            snapshots.failWaiting(error);
        }
        waitingReads.forEach(r -> r.future().completeExceptionally(error));
        waitingReads.clear();
    }
}
