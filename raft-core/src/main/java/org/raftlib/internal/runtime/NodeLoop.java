package org.raftlib.internal.runtime;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.raftlib.Bytes;
import org.raftlib.EntryType;
import org.raftlib.IndeterminateResultException;
import org.raftlib.LogEntry;
import org.raftlib.LogTail;
import org.raftlib.NodeId;
import org.raftlib.NodeState;
import org.raftlib.NotMemberException;
import org.raftlib.RaftException;
import org.raftlib.RaftOptions;
import org.raftlib.RaftRole;
import org.raftlib.RaftStatus;
import org.raftlib.SnapshotMeta;
import org.raftlib.Transport;
import org.raftlib.internal.core.CoreInspection;
import org.raftlib.internal.core.CoreStatus;
import org.raftlib.internal.core.Proposal;
import org.raftlib.internal.core.RaftCore;
import org.raftlib.internal.core.Ready;
import org.raftlib.internal.core.SnapshotPoint;
import org.raftlib.internal.session.SessionEntries;
import org.raftlib.message.ForwardProposal;
import org.raftlib.message.ForwardProposalResponse;
import org.raftlib.message.InstallSnapshot;
import org.raftlib.message.InstallSnapshotResponse;
import org.raftlib.message.RaftMessage;
import org.raftlib.message.ReadIndexRequest;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's event loop: the only thread that touches its {@link RaftCore}, either a thread of its own or the
 * transport's delivery thread ({@link Transport#loopExecutor()}). It feeds the core timer ticks, inbound
 * messages, proposals and acknowledgements from the workers, and executes each {@link Ready}: messages go to the
 * transport at once (so a leader replicates while its own write is in flight, thesis §10.2.1), writes go to the
 * storage worker, and committed entries to the apply worker.
 */
final class NodeLoop implements Runnable {

    private static final Logger LOG = LoggerFactory.getLogger(NodeLoop.class);
    private static final int MAX_EVENTS_PER_TURN = 4096;

    private final NodeId id;
    private final RaftCore core;
    private final Transport transport;
    private final Inbox inbox;
    private final StorageWorker storage;
    private final ApplyWorker apply;
    private final Lifecycle lifecycle;
    private final long tickNanos;
    private final Requests requests;
    private final Forwarded forwarded;
    private final boolean forwarding;
    private final int maxUncommitted;
    private final int maxCommandBytes;
    private final LeaseGate gate;
    private final ForwardedAnswers answers = new ForwardedAnswers();
    /** Refusals of forwarded commands: a peer sends them at will, so one WARN per reason a second. */
    private final WarnLimiter warnings = new WarnLimiter();
    /** The scheduled time of the core's last tick (see {@link LeaseGate#publish}). */
    private long lastTickNanos;
    private final Observers observers;
    private final MembershipChanges changes;
    private final SnapshotTransfers transfers;
    private final long compactionKeep;
    private final RuntimeMetrics metrics;
    /** Snapshots received and installed by the core, waiting for their Ready to restore the state machine. */
    private final Map<Long, SnapshotMeta> restores = new HashMap<>();
    private final AtomicBoolean scheduled = new AtomicBoolean();
    private final AtomicBoolean exited = new AtomicBoolean();
    private final AtomicBoolean refused = new AtomicBoolean();
    private volatile Thread runner;
    private volatile boolean finalDrain;
    private volatile ScheduledExecutorService executor;      // read by health() on any thread
    private ScheduledFuture<?> ticker;
    private Runnable onExit;
    private int storageInFlight;
    private long nextTick;
    private boolean stop;
    private Object inHand;

    NodeLoop(NodeParts parts, RaftCore core, long tickNanos) {
        this.id = parts.id();
        this.core = core;
        this.transport = parts.transport();
        this.inbox = parts.inbox();
        this.storage = parts.storage();
        this.apply = parts.apply();
        this.lifecycle = parts.lifecycle();
        this.tickNanos = tickNanos;
        RaftOptions options = parts.options();
        this.forwarded = new Forwarded(id, apply, transport, options.forwardTimeout().toNanos());
        this.requests = new Requests(id, apply, forwarded, options.maxReadIndexLag(), options.forwarding(),
                options.forwardTimeout().toNanos());
        this.forwarding = options.forwarding();
        this.maxUncommitted = options.maxPendingRequests();
        this.maxCommandBytes = options.maxCommandBytes();
        this.gate = new LeaseGate(tickNanos);
        this.observers = new Observers(core, parts, tickNanos);
        this.changes = new MembershipChanges(core, parts);
        this.transfers = parts.transfers();
        this.compactionKeep = parts.compactionKeep();
        this.metrics = parts.metrics();
        core.compact(core.status().snapshotIndex() - compactionKeep);   // as after taking it: the log reads the same
    }

    /** Runs the loop on the calling thread, a thread of its own, until it stops. */
    @Override
    public void run() {
        runner = Thread.currentThread();
        nextTick = System.nanoTime() + tickNanos;
        lastTickNanos = nextTick - tickNanos;
        try {
            while (!stop && lifecycle.isRunning()) {
                turn(inbox.poll(nextTick - System.nanoTime()));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Throwable e) {                              // an undeclared checked exception from an SPI too
            lifecycle.fail(e);
        }
    }

    /**
     * Runs the loop as tasks on {@code executor} (a transport's delivery thread, see
     * {@link Transport#loopExecutor()}): a turn after every post and at every tick. Once the loop stops,
     * {@code onExit} runs on the executor (or, if the executor refuses tasks first, on a thread of its own once the
     * executor has terminated).
     */
    void runOn(ScheduledExecutorService executor, Runnable onExit) {
        this.executor = executor;
        this.onExit = onExit;
        nextTick = System.nanoTime() + tickNanos;
        lastTickNanos = nextTick - tickNanos;
        inbox.driveWith(this::schedule);
        try {
            ticker = executor.scheduleAtFixedRate(this::executorTurn, tickNanos, tickNanos, TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException e) {
            refused(e);
            return;
        }
        schedule();
    }

    /**
     * Schedules a turn on the executor unless one is pending; called by every post. A pending turn that a shutdown
     * dropped ({@code shutdownNow}) would leave every later post waiting for it: the shutdown fails the node then.
     */
    private void schedule() {
        if (scheduled.compareAndSet(false, true)) {
            try {
                executor.execute(this::executorTurn);
            } catch (RejectedExecutionException e) {
                refused(e);
            }
        } else {
            checkExecutor();
        }
    }

    private void executorTurn() {
        scheduled.set(false);
        if (exited.get()) {
            return;
        }
        runner = Thread.currentThread();
        try {
            if (turn(inbox.pollNow())) {
                schedule();                                  // more events than one turn takes: yield to the I/O
            }
            if (!stop && lifecycle.isRunning()) {
                return;
            }
        } catch (Throwable e) {                              // an undeclared checked exception from an SPI too
            lifecycle.fail(e);
        }
        exit();
    }

    /**
     * Fails the node if its loop runs on an executor that has shut down (its transport was closed under it): posts
     * find that out when they are refused, but a node nothing posts to (no peer reaches it) would otherwise read as
     * running. Any thread; never waits.
     */
    void checkExecutor() {
        ScheduledExecutorService e = executor;
        if (e != null && e.isShutdown()) {
            refused(new RejectedExecutionException("the loop's executor has shut down"));
        }
    }

    /** The executor refused a task: only a closed transport does, so the node cannot go on. */
    private void refused(RejectedExecutionException e) {
        if (exited.get() || !refused.compareAndSet(false, true)) {
            return;                                          // stopping and closed its transport, or already seen
        }
        lifecycle.fail(new IllegalStateException(id + ": the transport stopped running the node loop", e));
        Thread t = new Thread(() -> {
            try {
                executor.awaitTermination(10, TimeUnit.SECONDS);
            } catch (InterruptedException ie) {
                Thread.currentThread().interrupt();
            }
            exit();
        }, "raft-stop-" + id);
        t.setDaemon(true);
        t.start();
    }

    private void exit() {
        if (!exited.compareAndSet(false, true)) {
            return;
        }
        if (ticker != null) {
            ticker.cancel(false);
        }
        runner = Thread.currentThread();
        onExit.run();
    }

    /** Returns whether the caller runs this loop (its own thread, or the executor's thread during a turn). */
    boolean onLoopThread() {
        return runner == Thread.currentThread();
    }

    /**
     * Handles {@code first} (if not null) and what else is queued, up to a bound, ticks the core if a tick is due,
     * and executes the core's ready state. Returns whether it left events queued.
     */
    private boolean turn(Object first) {
        Object item = first;
        int handled = 0;
        while (item != null) {
            inHand = item;
            handle(item);
            inHand = null;
            if (stop || ++handled >= MAX_EVENTS_PER_TURN) {
                break;
            }
            item = inbox.pollNow();
        }
        tickIfDue();
        changes.observe();                                   // new members' addresses before messages go to them
        if (core.hasReady()) {
            execute(core.ready());                           // publishes the lease first
        } else {
            gate.publish(core, lastTickNanos);
        }
        changes.observe();
        return handled >= MAX_EVENTS_PER_TURN;
    }

    /**
     * Ticks the core if a tick is due. After a stall (a GC pause, a starved CPU) the timers advance one tick, but the
     * leader's lease clock advances by every tick that passed, so a lease never outlives the real time it covers.
     */
    private void tickIfDue() {
        long now = System.nanoTime();
        if (now - nextTick >= 0) {
            long elapsed = 1 + (now - nextTick) / tickNanos;
            lastTickNanos = nextTick + (elapsed - 1) * tickNanos;
            core.tick((int) Math.min(elapsed, Integer.MAX_VALUE));
            observeCore();
            observers.onTick();
            changes.onTick();
            transfers.tick(core);
            forwarded.expire(now);
            if (core.currentRole() == RaftRole.LEADER) {
                answers.retainMembers(peer -> CoreInspection.leaderTracks(core, peer));
            }
            nextTick = elapsed > 1 ? now + tickNanos : nextTick + tickNanos;
        }
    }

    /**
     * Whether handling {@code item} may answer a read from this leader's lease: a lease read here, or a follower's
     * (an outside probe saw one queued during a stall answered from the lease held before it, by the turn that then
     * ticked, and return a value older than a write acknowledged before the read began).
     */
    private static boolean usesLease(Object item) {
        return item instanceof Event.Read r && r.lease() || item instanceof ReadIndexRequest q && q.lease();
    }

    private void handle(Object item) {
        if (usesLease(item)) {
            tickIfDue();                                     // the lease clock must be current when it is used
        }
        if (item instanceof RaftMessage m) {
            observers.heard(m);
            if (m instanceof ForwardProposal f) {
                onForwardedProposal(f);
            } else if (m instanceof ForwardProposalResponse r) {
                forwarded.onResponse(r);
            } else {
                core.step(m);
            }
            if (m instanceof InstallSnapshot || m instanceof InstallSnapshotResponse) {
                transfers.onMessage(core, m);
            }
        } else if (item instanceof Event.Submit s) {
            propose(s);
        } else if (item instanceof Event.Read r) {
            requests.read(core, r, System.nanoTime(), observers.removedAt());
        } else if (item instanceof Event.Persisted p) {
            onPersisted(p.batches());
        } else if (item instanceof Event.Applied a) {
            core.onApplied(a.index());
            requests.onApplied(a.index());
        } else if (item instanceof Event.Transfer t) {
            observers.transfer(t);
        } else if (item instanceof Event.ChangeMembership c) {
            changes.request(c, observers.removedAt());
        } else if (item instanceof Event.StatusQuery q) {
            q.future().complete(observers.status(lifecycle.state()));
        } else if (item instanceof Event.LogTailQuery q) {
            q.future().complete(logTail(q.max()));
        } else if (item instanceof Event.SnapshotTaken t) {
            transfers.onDurable(t.meta());
            core.onSnapshotTaken(point(t.meta()));
            core.compact(t.meta().index() - compactionKeep);
        } else if (item instanceof Event.SnapshotReceived r) {
            transfers.onDurable(r.meta());
            if (core.installSnapshot(r.leader(), point(r.meta()), SnapshotTaker.configOf(r.meta()), r.reply())) {
                restores.put(r.meta().index(), r.meta());
            }
            core.onSnapshotTaken(point(r.meta()));
        } else if (item instanceof Event.SnapshotSent s) {
            transfers.onSent(s.peer(), s.index());
            core.onSnapshotSent(s.peer(), s.index(), s.success());
        } else if (item instanceof Event.SnapshotUnreadable u) {
            transfers.replaceUnreadable(u, apply::submit);
        } else if (item instanceof Event.Stop) {
            stop = true;
        } else {
            throw new IllegalStateException("unknown event " + item);
        }
        observeCore();
    }

    private void propose(Event.Submit s) {
        if (!s.claim()) {
            return;                                          // failed by a closing submitter
        }
        if (PendingFuture.abandoned(s.future())) {
            s.future().cancel(false);                        // its caller gave up: never proposed, slot given back
            return;
        }
        Bytes data;
        try {
            data = stamped(s.type(), s.command());
        } catch (IllegalArgumentException e) {
            apply.submit(new ApplyWorker.Fail(s.future(), e));
            return;
        }
        Proposal p = core.propose(s.type(), data);
        if (p.isAccepted()) {
            requests.addWrite(p.index(), p.term(), s.future());
            metrics.proposed(p.index(), p.term());
        } else if (observers.removedAt() >= 0) {              // forwarded, it would be refused: not a member
            apply.submit(new ApplyWorker.Fail(s.future(), new NotMemberException(id, observers.removedAt())));
        } else if (forwarding && p.outcome() == Proposal.Outcome.NOT_LEADER && p.leaderHint().isPresent()) {
            forwarded.forward(p.leaderHint().get(), core.currentTerm(), s.type(), s.command(), s.future(),
                    System.nanoTime());
        } else {
            apply.submit(new ApplyWorker.Fail(s.future(), Requests.refused(id, p)));
        }
    }

    /**
     * A follower's command: appended as if submitted here, unless this node does not lead, the sender is not a member
     * (removed, or not yet added: it would never learn the outcome), the command is larger than
     * {@link RaftOptions#maxCommandBytes()} (once appended, no AppendEntries might carry it: the log would stall for
     * good), or this node holds {@link RaftOptions#maxPendingRequests()} uncommitted entries; the answer says where.
     */
    private void onForwardedProposal(ForwardProposal m) {
        ForwardProposalResponse previous = answers.previous(m);
        if (previous != null) {
            transport.send(previous);                        // a duplicate delivery: the same answer, no second append
            return;
        }
        ForwardProposalResponse.Outcome outcome = ForwardProposalResponse.Outcome.NOT_LEADER;
        Proposal p = null;
        if (core.currentRole() == RaftRole.LEADER && !CoreInspection.leaderTracks(core, m.from())) {
            LOG.debug("{} refused a command forwarded by {}, which is not a member", id, m.from());
        } else if (m.data().length() > maxCommandBytes) {
            outcome = ForwardProposalResponse.Outcome.TOO_LARGE;
            warnings.warn(LOG, "too-large", "{} refused a command of {} bytes forwarded by {}: above maxCommandBytes"
                    + " ({})", id, m.data().length(), m.from(), maxCommandBytes);
        } else if (core.currentRole() == RaftRole.LEADER
                && CoreInspection.uncommittedEntries(core) >= maxUncommitted) {
            outcome = ForwardProposalResponse.Outcome.OVERLOADED;
        } else {
            try {
                p = core.propose(m.entryType(), stamped(m.entryType(), m.data()));
            } catch (IllegalArgumentException e) {
                warnings.warn(LOG, "malformed-session", "{} refused a malformed session entry forwarded by {}: {}",
                        id, m.from(), e.getMessage());
                p = null;                                    // answered as not appended
            }
            if (p != null && p.isAccepted()) {
                outcome = ForwardProposalResponse.Outcome.APPENDED;
                metrics.proposed(p.index(), p.term());
            }
        }
        boolean appended = outcome == ForwardProposalResponse.Outcome.APPENDED;
        ForwardProposalResponse answer = new ForwardProposalResponse(id, m.from(), core.currentTerm(), m.requestId(),
                outcome, appended ? p.index() : 0, appended ? p.term() : 0);
        answers.remember(answer);
        transport.send(answer);
    }

    /** Session entries carry the leader's clock (the session table's log time); it is stamped as they are appended. */
    private static Bytes stamped(EntryType type, Bytes data) {
        return type == EntryType.SESSION ? SessionEntries.stamp(data, System.currentTimeMillis()) : data;
    }

    /** Role, term and leader changes: fail writes of a lost leadership, tell listeners, settle transfers. */
    private void observeCore() {
        RaftRole role = core.currentRole();
        long term = core.currentTerm();
        if (role != RaftRole.LEADER || term != requests.writesTerm()) {
            requests.failWrites(term, t -> new IndeterminateResultException(id + " lost leadership in term " + t
                    + " before the command was known committed; it may or may not commit"));
        }
        forwarded.onTerm(term);
        observers.observe(role, term);
        if (metrics.enabled()) {
            metrics.observe(role, term, core.currentLeader());
        }
    }

    private void execute(Ready ready) {
        metrics.readyTaken();
        gate.publish(core, lastTickNanos);                   // before new commits reach the apply thread or a peer
        for (RaftMessage m : ready.messages()) {
            transport.send(m);
        }
        if (storageInFlight == 0 && !ready.needsSync()) {
            Acknowledgements.send(List.of(ready), transport);
            core.onPersisted(ready);
        } else if (core.currentRole() == RaftRole.FOLLOWER && storage.mayPersistInline(storageInFlight)) {
            persistInline(ready);
        } else {
            storageInFlight++;
            storage.submit(ready, core.currentRole() != RaftRole.FOLLOWER);
        }
        ready.install().ifPresent(p -> {
            forwarded.onInstall(p.index());
            apply.submit(new ApplyWorker.Restore(restores.remove(p.index())));
        });
        ready.snapshotSends().forEach(send -> transfers.start(send, core.currentTerm()));
        List<LogEntry> committed = ready.committed();
        if (!committed.isEmpty()) {
            metrics.committed(committed);
            apply.submit(new ApplyWorker.ApplyBatch(committed, requests.takeCommitted(committed)));
        }
        if (!ready.readStates().isEmpty() || !ready.abortedReads().isEmpty()) {
            requests.settleReads(ready.readStates(), ready.abortedReads(), core.currentLeader(),
                    core.currentRole());
        }
    }

    private void persistInline(Ready ready) {
        try {
            storage.persistInline(ready);
        } catch (IOException e) {
            throw new UncheckedIOException(id + ": storage failed", e);
        }
        Acknowledgements.send(List.of(ready), transport);
        core.onPersisted(ready);
    }

    private void onPersisted(List<Ready> batches) {
        storageInFlight -= batches.size();
        for (Ready r : batches) {
            core.onPersisted(r);                              // the storage worker sent their acknowledgements
            metrics.durable(r);
        }
    }

    private static SnapshotPoint point(SnapshotMeta meta) {
        return new SnapshotPoint(meta.index(), meta.term());
    }

    /** Stops snapshot transfers; called once the loop has exited. */
    void stopTransfers() {
        transfers.shutdown();
    }

    /** The terms of the last {@code max} entries and the election timer, in ticks turned into time. */
    private LogTail logTail(int max) {
        long[] terms = CoreInspection.recentTerms(core, max);
        CoreStatus s = core.status();
        return new LogTail(s.lastIndex() - terms.length + 1, s.lastIndex(), s.commitIndex(), terms,
                Duration.ofNanos(CoreInspection.electionElapsedTicks(core) * tickNanos),
                Duration.ofNanos(CoreInspection.electionTimeoutTicks(core) * tickNanos));
    }

    RaftStatus status(NodeState state) {
        return observers.status(state);
    }

    /** Returns the leader's lease as published for lease reads off the loop. */
    LeaseGate leaseGate() {
        return gate;
    }

    /** Returns what the loop publishes for other threads: known leader, commit index, term. */
    Observers observers() {
        return observers;
    }

    /** After the thread stopped: completes every future the loop still holds and every request still queued. */
    void failRemaining(RaftException error, RaftException writesError) {
        finalDrain = true;                                   // before draining: see isDrained()
        gate.close();
        requests.failWrites(Long.MAX_VALUE, t -> writesError);
        requests.failReads(error);
        forwarded.failAll(writesError);
        observers.failTransfer(error);
        changes.failPending(error);
        Object first = inHand;
        inHand = null;
        for (Object item = first != null ? first : inbox.pollNow(); item != null; item = inbox.pollNow()) {
            if (item instanceof Event.Submit s) {
                if (s.claim()) {
                    s.future().completeExceptionally(error);
                }
            } else if (item instanceof Event.Read r) {
                r.future().completeExceptionally(error);
            } else if (item instanceof Event.Transfer t) {
                t.future().completeExceptionally(error);
            } else if (item instanceof Event.ChangeMembership c) {
                c.future().completeExceptionally(error);
            } else if (item instanceof Event.StatusQuery q) {
                q.future().complete(observers.status(lifecycle.state()));
            } else if (item instanceof Event.LogTailQuery q) {
                q.future().completeExceptionally(error);
            }
        }
    }

    /**
     * Returns whether {@link #failRemaining} has begun draining the inbox. A request posted by a thread that then
     * sees {@code false} is drained by it; one that sees {@code true} may have missed it and fails itself.
     */
    boolean isDrained() {
        return finalDrain;
    }
}
