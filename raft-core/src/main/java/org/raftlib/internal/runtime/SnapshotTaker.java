package org.raftlib.internal.runtime;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.nio.channels.ClosedByInterruptException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Consumer;
import org.raftlib.ClusterConfig;
import org.raftlib.RaftException;
import org.raftlib.SnapshotMeta;
import org.raftlib.SnapshotStore;
import org.raftlib.StateMachine;
import org.raftlib.StateSnapshot;
import org.raftlib.internal.core.IndexedConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Takes the node's snapshots (Raft thesis §5.1): decides on the apply thread when one is due (by entries or bytes
 * applied since the last, or on request), captures the state machine there ({@link StateMachine#snapshot()}), and
 * writes the capture to the {@link SnapshotStore} on a thread of its own while applies continue. Once a snapshot is
 * durable, the loop hears of it ({@link Event.SnapshotTaken}) and compacts the log it covers.
 *
 * <p>Every method but the writer task runs on the apply thread. One snapshot is written at a time.
 */
final class SnapshotTaker {

    private static final Logger LOG = LoggerFactory.getLogger(SnapshotTaker.class);

    /** When a snapshot is due: after this many applied entries or command bytes since the last one. */
    record Policy(long everyEntries, long everyBytes) {
    }

    /** Tells the apply thread that a write ended: {@code meta} when it is durable, else {@code error}. */
    record Done(SnapshotMeta meta, Throwable error) {
    }

    /** A {@link org.raftlib.RaftNode#takeSnapshot()} made when {@code atLeast} was applied. */
    private record Request(CompletableFuture<Long> future, long atLeast) {
    }

    private final String nodeId;
    private final SnapshotStore store;
    /** The cluster configuration as of the applied index, with its entry's index: the snapshot's metadata. */
    private IndexedConfig config;
    private final long everyEntries;
    private final long everyBytes;
    private final ExecutorService writer;
    private final Inbox inbox;
    private final Consumer<Object> toApplyThread;
    /** Requests waiting for a durable snapshot: each for one covering what was applied when it was made. */
    private final List<Request> waiting = new ArrayList<>();
    /**
     * The newest snapshot taken or attempted: the policy counts from it, so a write that failed is tried again after
     * another interval, not at every apply.
     */
    private long attemptedIndex;
    /** The newest snapshot known durable: what a request completes with when nothing was applied since. */
    private long durableIndex;
    private long bytesSince;
    private boolean busy;
    private boolean unsupported;
    /** Set before the node's threads start (so the writer thread sees it), never changed. */
    private RuntimeMetrics metrics = RuntimeMetrics.NONE;

    SnapshotTaker(String nodeId, SnapshotStore store, ClusterConfig bootstrap, Policy policy, ExecutorService writer,
            Inbox inbox, Consumer<Object> toApplyThread) {
        this.nodeId = nodeId;
        this.store = store;
        this.config = new IndexedConfig(bootstrap, 0);
        this.everyEntries = policy.everyEntries();
        this.everyBytes = policy.everyBytes();
        this.writer = writer;
        this.inbox = inbox;
        this.toApplyThread = toApplyThread;
    }

    /** Returns the configuration {@code meta} carries, with its entry's index. */
    static IndexedConfig configOf(SnapshotMeta meta) {
        return new IndexedConfig(meta.config(), meta.configIndex());
    }

    /** Sets where the snapshots' durations and sizes go; before the node starts. */
    void useMetrics(RuntimeMetrics m) {
        this.metrics = m;
    }

    /** A configuration entry was applied: snapshots from now on carry it. */
    void configApplied(IndexedConfig applied) {
        config = applied;
    }

    /** The state machine was restored from (or starts after) the snapshot at {@code index}. */
    void restoredTo(long index, IndexedConfig snapshotConfig) {
        attemptedIndex = index;
        durableIndex = index;
        config = snapshotConfig;
        bytesSince = 0;
    }

    /** Counts an applied command's bytes towards the policy. */
    void applied(int commandBytes) {
        bytesSince += commandBytes;
    }

    /** Takes a snapshot if the policy says one is due. */
    void maybeTake(StateMachine machine, long applied, long appliedTerm) {
        if (store != null && !busy && !unsupported && applied > attemptedIndex
                && (applied - attemptedIndex >= everyEntries || bytesSince >= everyBytes)) {
            take(machine, applied, appliedTerm);
        }
    }

    /**
     * {@link org.raftlib.RaftNode#takeSnapshot()}: takes one now, or completes with the newest if nothing is new and
     * the newest is not the one at {@code replacing} (which cannot be read: a new one at the same index replaces it).
     */
    void request(CompletableFuture<Long> future, StateMachine machine, long applied, long appliedTerm,
            long replacing) {
        if (store == null || unsupported) {
            future.completeExceptionally(new UnsupportedOperationException(nodeId + (store == null
                    ? " has no snapshot store" : ": the state machine does not support snapshots")));
            return;
        }
        if (applied == durableIndex && applied > 0 && !busy && replacing != durableIndex) {
            future.complete(durableIndex);
            return;
        }
        if (applied == 0) {
            future.completeExceptionally(new IllegalStateException(nodeId + " has applied nothing to snapshot"));
            return;
        }
        waiting.add(new Request(future, applied));
        if (!busy) {
            take(machine, applied, appliedTerm);
        }
    }

    private void take(StateMachine machine, long applied, long appliedTerm) {
        StateSnapshot capture = machine.snapshot();
        if (capture == null) {
            unsupported = true;
            LOG.info("{} state machine does not support snapshots: the log is never compacted", nodeId);
            failWaiting(new UnsupportedOperationException(nodeId + ": the state machine does not support snapshots"));
            return;
        }
        busy = true;
        attemptedIndex = applied;
        bytesSince = 0;
        SnapshotMeta meta = new SnapshotMeta(applied, appliedTerm, config.config(), config.index(), 0, 0);
        try {
            writer.execute(() -> write(capture, meta));
        } catch (RejectedExecutionException e) {
            capture.release();
            busy = false;
            failWaiting(new RaftException(nodeId + " is stopping"));
        }
    }

    /** On the writer thread. */
    private void write(StateSnapshot capture, SnapshotMeta meta) {
        long start = System.nanoTime();
        try (SnapshotStore.Writer w = store.write(meta)) {
            OutputStream out = new BufferedOutputStream(w.stream(), 1 << 16);
            capture.writeTo(CloseShields.of(out));            // it may close it: committed below
            out.flush();
            SnapshotMeta stored = w.commit();
            metrics.snapshotTaken(System.nanoTime() - start, stored.sizeBytes());
            LOG.info("{} took a snapshot at {}/{} ({} bytes) in {} ms", nodeId, stored.term(), stored.index(),
                    stored.sizeBytes(), (System.nanoTime() - start) / 1_000_000);
            inbox.post(new Event.SnapshotTaken(stored));
            toApplyThread.accept(new Done(stored, null));
        } catch (Throwable e) {      // an Error or an undeclared checked exception too: requests must not wait forever
            if (interruptedByClose(e)) {
                LOG.info("{} stopped writing the snapshot at {}: the node is closing ({})", nodeId, meta.index(),
                        e.toString());
            } else {
                metrics.snapshotFailed();
                LOG.warn("{} could not write the snapshot at {}; will try again later", nodeId, meta.index(), e);
            }
            toApplyThread.accept(new Done(null, e));
        } finally {
            capture.release();
        }
    }

    /** Whether {@code e} is how a write ends when close() interrupts the writer thread (the only one that does). */
    private static boolean interruptedByClose(Throwable e) {
        if (Thread.currentThread().isInterrupted()) {
            return true;
        }
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof InterruptedException || t instanceof InterruptedIOException
                    || t instanceof ClosedByInterruptException) {
                return true;
            }
        }
        return false;
    }

    /**
     * On the apply thread: a write ended. Completes the requests it covers (made when at most its index was applied);
     * takes the next one at once for those made later, while it was being written. Requests made while writes keep
     * ending are each served by the next snapshot, so a request completes after at most two writes however busy
     * the node is.
     */
    void onDone(Done done, StateMachine machine, long applied, long appliedTerm) {
        busy = false;
        if (done.error() != null) {
            failWaiting(new RaftException(nodeId + " could not write the snapshot: " + done.error(), done.error()));
            return;
        }
        long index = done.meta().index();
        durableIndex = index;
        List<Request> covered = new ArrayList<>();
        waiting.removeIf(r -> r.atLeast() <= index && covered.add(r));
        covered.forEach(r -> r.future().complete(index));
        if (!waiting.isEmpty()) {
            take(machine, applied, appliedTerm);               // they were made after this one's capture
            return;
        }
        maybeTake(machine, applied, appliedTerm);               // what was applied while this one was written
    }

    /** Fails the requests still waiting (the node stops). */
    void failWaiting(Exception error) {
        List<Request> failed = new ArrayList<>(waiting);
        waiting.clear();
        failed.forEach(r -> r.future().completeExceptionally(error));
    }
}
