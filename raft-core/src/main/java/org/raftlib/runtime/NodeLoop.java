package org.raftlib.runtime;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.LongFunction;
import org.raftlib.IndeterminateResultException;
import org.raftlib.LogEntry;
import org.raftlib.NodeId;
import org.raftlib.NodeState;
import org.raftlib.NotLeaderException;
import org.raftlib.RaftException;
import org.raftlib.RaftRole;
import org.raftlib.RaftStatus;
import org.raftlib.Transport;
import org.raftlib.core.Proposal;
import org.raftlib.core.RaftCore;
import org.raftlib.core.ReadState;
import org.raftlib.core.Ready;
import org.raftlib.message.RaftMessage;

/**
 * The node's event loop: the only thread that touches its {@link RaftCore}. It feeds the core timer ticks, inbound
 * messages, proposals and acknowledgements from the workers, and executes each {@link Ready}: messages go to the
 * transport at once (so a leader replicates while its own write is in flight, thesis §10.2.1), writes go to the
 * storage worker, and committed entries to the apply worker.
 */
final class NodeLoop implements Runnable {

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
    private final Observers observers;
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
        this.requests = new Requests(id, apply);
        this.observers = new Observers(core, parts);
    }

    @Override
    public void run() {
        nextTick = System.nanoTime() + tickNanos;
        try {
            while (!stop && lifecycle.isRunning()) {
                turn();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException | Error e) {
            lifecycle.fail(e);
        }
    }

    private void turn() throws InterruptedException {
        Object item = inbox.poll(nextTick - System.nanoTime());
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
        long now = System.nanoTime();
        if (now - nextTick >= 0) {
            core.tick();
            observeCore();
            observers.onTick();
            nextTick = now - nextTick > tickNanos ? now + tickNanos : nextTick + tickNanos;
        }
        if (core.hasReady()) {
            execute(core.ready());
        }
    }

    private void handle(Object item) {
        if (item instanceof RaftMessage m) {
            core.step(m);
        } else if (item instanceof Event.Submit s) {
            propose(s);
        } else if (item instanceof Event.Read r) {
            requests.read(core, r);
        } else if (item instanceof Event.Persisted p) {
            onPersisted(p.batches());
        } else if (item instanceof Event.Applied a) {
            core.onApplied(a.index());
        } else if (item instanceof Event.Transfer t) {
            observers.transfer(t);
        } else if (item instanceof Event.StatusQuery q) {
            q.future().complete(observers.status(lifecycle.state()));
        } else if (item instanceof Event.Stop) {
            stop = true;
        } else {
            throw new IllegalStateException("unknown event " + item);
        }
        observeCore();
    }

    private void propose(Event.Submit s) {
        if (s.future().isDone()) {
            return;                                          // cancelled by the caller before it was appended
        }
        Proposal p = core.propose(s.command());
        if (p.isAccepted()) {
            requests.addWrite(p.index(), p.term(), s.future());
        } else {
            apply.submit(new ApplyWorker.Fail(s.future(), new NotLeaderException(id, p.leaderHint())));
        }
    }

    /** Role, term and leader changes: fail writes of a lost leadership, tell listeners, settle transfers. */
    private void observeCore() {
        RaftRole role = core.currentRole();
        long term = core.currentTerm();
        if (role != RaftRole.LEADER || term != requests.writesTerm()) {
            requests.failWrites(term, t -> new IndeterminateResultException(id + " lost leadership in term " + t
                    + " before the command was known committed; it may or may not commit"));
        }
        observers.observe(role, term);
    }

    private void execute(Ready ready) {
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
            storage.submit(ready);
        }
        List<LogEntry> committed = ready.committed();
        if (!committed.isEmpty()) {
            apply.submit(new ApplyWorker.ApplyBatch(committed, requests.takeCommitted(committed)));
        }
        if (!ready.readStates().isEmpty() || !ready.abortedReads().isEmpty()) {
            requests.settleReads(ready.readStates(), ready.abortedReads(), core.currentLeader());
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
        }
    }

    RaftStatus status(NodeState state) {
        return observers.status(state);
    }

    /** After the thread stopped: completes every future the loop still holds and every request still queued. */
    void failRemaining(RaftException error, RaftException writesError) {
        requests.failWrites(Long.MAX_VALUE, t -> writesError);
        requests.failReads(error);
        observers.failTransfer(error);
        Object first = inHand;
        inHand = null;
        for (Object item = first != null ? first : inbox.pollNow(); item != null; item = inbox.pollNow()) {
            if (item instanceof Event.Submit s) {
                s.future().completeExceptionally(error);
            } else if (item instanceof Event.Read r) {
                r.future().completeExceptionally(error);
            } else if (item instanceof Event.Transfer t) {
                t.future().completeExceptionally(error);
            } else if (item instanceof Event.StatusQuery q) {
                q.future().complete(observers.status(lifecycle.state()));
            }
        }
    }

    /** Proposals of this node's current leadership that await commit, in index order. */
    static final class Requests {

        private final NodeId id;
        private final ApplyWorker apply;
        private final ArrayDeque<PendingWrite> writes = new ArrayDeque<>();
        private final Map<Long, Event.Read> reads = new HashMap<>();
        private long writesTerm;
        private long lastReadId;

        Requests(NodeId id, ApplyWorker apply) {
            this.id = id;
            this.apply = apply;
        }

        private record PendingWrite(long index, long term, CompletableFuture<byte[]> future) {
        }

        long writesTerm() {
            return writes.isEmpty() ? -1 : writesTerm;
        }

        void addWrite(long index, long term, CompletableFuture<byte[]> future) {
            writesTerm = term;
            writes.addLast(new PendingWrite(index, term, future));
        }

        void failWrites(long term, LongFunction<RaftException> error) {
            if (writes.isEmpty()) {
                return;
            }
            RaftException e = error.apply(term);
            for (PendingWrite w : writes) {
                apply.submit(new ApplyWorker.Fail(w.future(), e));
            }
            writes.clear();
        }

        /** Registers a linearizable read with the core (ReadIndex), or refuses it when this node does not lead. */
        void read(RaftCore core, Event.Read r) {
            if (r.future().isDone()) {
                return;
            }
            long readId = ++lastReadId;
            Proposal p = core.readIndex(readId);
            if (p.isAccepted()) {
                reads.put(readId, r);
            } else {
                apply.submit(new ApplyWorker.Fail(r.future(), new NotLeaderException(id, p.leaderHint())));
            }
        }

        /** Confirmed reads wait on the apply thread for their index; aborted ones fail (a read changed nothing). */
        void settleReads(List<ReadState> confirmed, List<Long> aborted, Optional<NodeId> leader) {
            for (ReadState rs : confirmed) {
                Event.Read r = reads.remove(rs.requestId());
                if (r != null) {
                    apply.submit(new ApplyWorker.ReadAt(rs.index(), r.request(), r.future()));
                }
            }
            for (long readId : aborted) {
                Event.Read r = reads.remove(readId);
                if (r != null) {
                    apply.submit(new ApplyWorker.Fail(r.future(), new NotLeaderException(id, leader)));
                }
            }
        }

        void failReads(RaftException error) {
            reads.values().forEach(r -> r.future().completeExceptionally(error));
            reads.clear();
        }

        @SuppressWarnings("unchecked")
        CompletableFuture<byte[]>[] takeCommitted(List<LogEntry> committed) {
            if (writes.isEmpty() || writes.peekFirst().index() > committed.get(committed.size() - 1).index()) {
                return null;
            }
            CompletableFuture<byte[]>[] futures = new CompletableFuture[committed.size()];
            long first = committed.get(0).index();
            while (!writes.isEmpty() && writes.peekFirst().index() <= first + committed.size() - 1) {
                PendingWrite w = writes.pollFirst();
                int i = (int) (w.index() - first);
                if (i >= 0 && committed.get(i).term() == w.term()) {
                    futures[i] = w.future();
                } else {
                    apply.submit(new ApplyWorker.Fail(w.future(), new IndeterminateResultException(id
                            + " lost its entry at index " + w.index() + " to another leader's")));
                }
            }
            return futures;
        }
    }
}
