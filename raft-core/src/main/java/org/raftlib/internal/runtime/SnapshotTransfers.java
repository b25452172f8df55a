package org.raftlib.internal.runtime;

import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.raftlib.NodeId;
import org.raftlib.RaftRole;
import org.raftlib.SnapshotMeta;
import org.raftlib.SnapshotStore;
import org.raftlib.Transport;
import org.raftlib.internal.core.RaftCore;
import org.raftlib.internal.core.SnapshotPoint;
import org.raftlib.message.InstallSnapshot;
import org.raftlib.message.InstallSnapshotResponse;
import org.raftlib.message.RaftMessage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The loop's side of snapshot transfers (Raft §7): starts a {@link SnapshotSender} for each follower the core asks
 * for, routes InstallSnapshot chunks to the {@link SnapshotReceiver} and responses to the senders, checks the senders'
 * progress every tick, and stops them when this node stops leading. Sender and receiver run on the transfer thread;
 * this class is confined to the loop. Chunks wait for the transfer thread in a queue of bounded bytes
 * ({@link #MIN_QUEUED_CHUNK_BYTES}, or twice what this node's own options put in flight if more): a chunk beyond it is
 * dropped, and its leader resends from the offset this node answers with.
 */
final class SnapshotTransfers {

    private static final Logger LOG = LoggerFactory.getLogger(SnapshotTransfers.class);
    private static final int KNOWN_SNAPSHOTS = 8;
    /** The least {@link #maxQueuedChunkBytes}: what a leader of the default options has in flight, many times over. */
    static final long MIN_QUEUED_CHUNK_BYTES = 64L << 20;

    private final SnapshotSender.Context context;
    private final ExecutorService io;
    private final SnapshotReceiver receiver;
    private final long stallNanos;
    private final Map<NodeId, SnapshotSender> senders = new HashMap<>();
    /** The durable snapshots heard of, newest last (a few: the store keeps few); the core sends one of them. */
    private final TreeMap<Long, SnapshotMeta> durable = new TreeMap<>();
    private SnapshotMeta latest;
    /** The index of the unreadable snapshot being replaced, 0 if none (cleared on the apply thread). */
    private final AtomicLong replacing = new AtomicLong();
    private long senderTerm;
    /** Bytes of chunks handed to the transfer thread and not yet taken by the receiver. */
    private final AtomicLong queuedChunkBytes = new AtomicLong();
    /**
     * The most {@link #queuedChunkBytes} may reach: a chunk beyond it is dropped (its leader resends from the offset
     * this node asks for), so neither a disk slower than the leader nor a peer that floods chunks grows the queue
     * without bound.
     */
    private final long maxQueuedChunkBytes;

    /**
     * @param context what senders need (its term is replaced by the leader's term at each start)
     * @param io the transfer thread
     * @param stallNanos how long a sender waits for progress before it resends
     * @param latest the newest snapshot at start, if any
     */
    SnapshotTransfers(SnapshotSender.Context context, ExecutorService io, long stallNanos,
            Optional<SnapshotMeta> latest) {
        this.context = context;
        this.io = io;
        this.stallNanos = stallNanos;
        this.maxQueuedChunkBytes = Math.max(MIN_QUEUED_CHUNK_BYTES, 2L * context.chunkBytes() * context.window());
        latest.ifPresent(this::onDurable);
        this.receiver = context.store() == null ? null
                : new SnapshotReceiver(context.self(), context.store(), context.transport(), context.inbox(),
                        context.metrics());
    }

    /** Returns the newest durable snapshot this node holds. */
    Optional<SnapshotMeta> latest() {
        return Optional.ofNullable(latest);
    }

    /** The last snapshot this node failed to receive since it last received one, or null. Any thread. */
    SnapshotReceiver.Failure receiveFailure() {
        return receiver == null ? null : receiver.failure();
    }

    /** A snapshot became durable here (taken or received). */
    void onDurable(SnapshotMeta meta) {
        if (latest == null || meta.index() > latest.index()) {
            latest = meta;
        }
        durable.put(meta.index(), meta);
        while (durable.size() > KNOWN_SNAPSHOTS) {
            durable.pollFirstEntry();
        }
    }

    /** Routes a snapshot message the core has stepped. */
    void onMessage(RaftCore core, RaftMessage m) {
        if (m instanceof InstallSnapshot chunk) {
            onChunk(core, chunk);
        } else if (m instanceof InstallSnapshotResponse r && core.currentRole() == RaftRole.LEADER
                && r.term() == core.currentTerm()) {
            SnapshotSender s = senders.get(r.from());
            if (s != null) {
                run(() -> s.onResponse(r));
            }
        }
    }

    private void onChunk(RaftCore core, InstallSnapshot m) {
        boolean fromLeader = core.currentRole() == RaftRole.FOLLOWER && core.currentTerm() == m.term()
                && core.currentLeader().filter(m.from()::equals).isPresent();
        if (!fromLeader) {
            return;
        }
        if (receiver == null) {
            LOG.warn("{} cannot install the snapshot {} sends: no snapshot store configured", context.self(),
                    m.from());
            return;
        }
        if (m.lastIncludedIndex() <= core.commitIndex()) {      // holds it already: done
            context.transport().send(new InstallSnapshotResponse(context.self(), m.from(), m.term(),
                    m.lastIncludedIndex(), Long.MAX_VALUE, true));
            return;
        }
        int n = m.data().length();
        if (queuedChunkBytes.get() + n > maxQueuedChunkBytes) {
            LOG.debug("{} dropped a snapshot chunk from {} at offset {}: {} bytes of chunks wait to be written",
                    context.self(), m.from(), m.offset(), queuedChunkBytes.get());
            return;
        }
        queuedChunkBytes.addAndGet(n);
        if (!run(() -> {
            queuedChunkBytes.addAndGet(-n);
            receiver.onChunk(m);
        })) {
            queuedChunkBytes.addAndGet(-n);
        }
    }

    /** Bytes of chunks waiting for the transfer thread. */
    long queuedChunkBytes() {
        return queuedChunkBytes.get();
    }

    /** Starts the sends the core asked for. */
    void start(SnapshotPoint.Send send, long term) {
        SnapshotMeta meta = durable.get(send.point().index());
        if (meta == null || meta.term() != send.point().term()) {
            LOG.warn("{} has no snapshot at {} to send to {}", context.self(), send.point().index(), send.to());
            context.inbox().post(new Event.SnapshotSent(send.to(), send.point().index(), false));
            return;
        }
        SnapshotSender old = senders.remove(send.to());
        if (old != null) {
            run(old::abort);
        }
        senderTerm = term;
        SnapshotSender s = new SnapshotSender(new SnapshotSender.Context(context.self(), term, context.store(),
                context.transport(), context.inbox(), context.chunkBytes(), context.window(), context.metrics()),
                send.to(), meta);
        senders.put(send.to(), s);
        run(s::start);
    }

    /**
     * A sender could not read this node's snapshot at {@code u.index()} (a damaged file, say). If it is the newest,
     * takes a new snapshot to replace it (at the same index if nothing was applied since), so the followers that need
     * one get it after the senders' backoff instead of never; one replacement at a time.
     */
    void replaceUnreadable(Event.SnapshotUnreadable u, Consumer<ApplyWorker.TakeSnapshot> apply) {
        if (latest == null || latest.index() != u.index() || !replacing.compareAndSet(0, u.index())) {
            return;                                          // a newer one exists, or a replacement is under way
        }
        LOG.error("{} cannot read its newest snapshot at {} ({}); taking a new one to replace it", context.self(),
                u.index(), u.error().toString());
        CompletableFuture<Long> done = new CompletableFuture<>();
        done.whenComplete((index, e) -> {
            replacing.set(0);
            if (e != null) {
                LOG.error("{} could not replace its unreadable snapshot at {}: {}", context.self(), u.index(),
                        e.toString());
            } else {
                LOG.info("{} replaced its unreadable snapshot at {} with one at {}", context.self(), u.index(), index);
            }
        });
        apply.accept(new ApplyWorker.TakeSnapshot(done, u.index()));
    }

    /** A sender reported its end. */
    void onSent(NodeId peer, long index) {
        SnapshotSender s = senders.get(peer);
        if (s != null && s.meta().index() == index) {
            senders.remove(peer);
        }
    }

    /**
     * Every tick: resend where a follower went silent; stop every send when this node no longer leads; drop a
     * transfer to this node that nothing resumed for longer than any sender keeps trying ({@link #receiveIdleNanos}).
     */
    void tick(RaftCore core) {
        if (!senders.isEmpty() && (core.currentRole() != RaftRole.LEADER || core.currentTerm() != senderTerm)) {
            senders.values().forEach(s -> run(s::abort));
            senders.clear();
        }
        senders.values().forEach(s -> run(() -> s.checkProgress(stallNanos)));
        long last = receiver == null ? 0 : receiver.lastChunkNanos();
        if (last != 0 && System.nanoTime() - last >= receiveIdleNanos()) {
            run(() -> receiver.abandonIfIdle(receiveIdleNanos()));
        }
    }

    /** A sender gives up after {@link SnapshotSender#MAX_STALLS} stall timeouts without progress; two more here. */
    private long receiveIdleNanos() {
        return (SnapshotSender.MAX_STALLS + 2) * stallNanos;
    }

    /** Stops everything (the node stops). */
    void shutdown() {
        senders.values().forEach(s -> run(s::abort));
        senders.clear();
        if (receiver != null) {
            run(receiver::abandon);
        }
    }

    /** Hands {@code task} to the transfer thread; false if it has stopped. */
    private boolean run(Runnable task) {
        try {
            io.execute(task);
            return true;
        } catch (RejectedExecutionException e) {
            LOG.debug("{} snapshot transfer thread stopped; dropped a task", context.self());
            return false;
        }
    }
}
