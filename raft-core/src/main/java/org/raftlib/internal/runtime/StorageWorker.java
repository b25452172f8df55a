package org.raftlib.internal.runtime;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.raftlib.LogStorage;
import org.raftlib.RaftEvent;
import org.raftlib.RaftOptions;
import org.raftlib.Transport;
import org.raftlib.internal.core.Ready;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Persists the core's {@link Ready} batches in the order handed out, with group commit: every batch waiting when
 * the worker turns to the queue is written, then one {@link LogStorage#sync()} covers them all. The durable batches
 * go back to the loop, which only then releases their acknowledgements.
 *
 * <p>The only thread that writes to the {@link LogStorage}. A write or sync failure fails the node; the worker never
 * retries or continues on a disk it cannot trust.
 */
final class StorageWorker implements Runnable {

    private static final Logger LOG = LoggerFactory.getLogger(StorageWorker.class);
    private static final Object STOP = new Object();
    private static final int MAX_GROUP = 4096;
    private static final long INLINE_SYNC_LIMIT_NANOS = 2_000_000;
    private static final long SLOW_WARN_INTERVAL_NANOS = 10_000_000_000L;

    private final String nodeId;
    private final LogStorage storage;
    private final Transport transport;
    private final Inbox inbox;
    private final NodeFailure failure;
    private final RuntimeMetrics metrics;
    private final WakeableQueue<Object> queue = new WakeableQueue<>();
    private volatile boolean stopRequested;
    /** Set before the threads start: {@link #reportSlowWrites}. */
    private Duration slowThreshold = RaftOptions.DEFAULT_SLOW_DISK_THRESHOLD;
    private long slowNanos = slowThreshold.toNanos();
    private Events events;
    /** Moving average of recent write+sync times, from either thread; decides whether the loop may sync inline. */
    private volatile long recentSyncNanos;
    /** Written by whichever thread syncs; a lost update only repeats or skips one WARN. */
    private volatile long lastSlowWarnNanos = System.nanoTime() - SLOW_WARN_INTERVAL_NANOS;

    StorageWorker(String nodeId, LogStorage storage, Transport transport, Inbox inbox, NodeFailure failure) {
        this(nodeId, storage, transport, inbox, failure, RuntimeMetrics.NONE);
    }

    StorageWorker(String nodeId, LogStorage storage, Transport transport, Inbox inbox, NodeFailure failure,
            RuntimeMetrics metrics) {
        this.nodeId = nodeId;
        this.storage = storage;
        this.transport = transport;
        this.inbox = inbox;
        this.failure = failure;
        this.metrics = metrics;
    }

    /**
     * Reports every write and sync that takes at least {@code threshold} to {@code sink} as a
     * {@link RaftEvent.SlowDisk}, besides the rate-limited WARN; called before the threads start.
     */
    void reportSlowWrites(Duration threshold, Events sink) {
        this.slowThreshold = threshold;
        this.slowNanos = threshold.toNanos();
        this.events = sink;
    }

    /**
     * Queues {@code ready} for the next group.
     *
     * @param ready the batch
     * @param wakeLoop whether the loop must act as soon as it is durable: a leader's or candidate's own write counts
     *     towards a commit or an election; a follower's only updates bookkeeping once its acknowledgements left
     */
    void submit(Ready ready, boolean wakeLoop) {
        queue.offer(wakeLoop ? new Waking(ready) : ready);
    }

    /** A batch whose completion wakes the loop. */
    private record Waking(Ready ready) {
    }

    /** Asks the worker to stop after the group it is writing; unwritten batches are dropped (nothing was acked). */
    void requestStop() {
        stopRequested = true;
        queue.offer(STOP);
    }

    @Override
    public void run() {
        List<Object> group = new ArrayList<>();
        try {
            while (!stopRequested) {
                queue.takeAll(group, MAX_GROUP);
                List<Ready> batches = new ArrayList<>(group.size());
                boolean wake = false;
                for (Object o : group) {
                    if (o instanceof Ready r) {
                        batches.add(r);
                    } else if (o instanceof Waking w) {
                        batches.add(w.ready());
                        wake = true;
                    }
                }
                group.clear();
                if (!batches.isEmpty() && !stopRequested) {
                    persist(batches);
                    Acknowledgements.send(batches, transport);
                    if (wake) {
                        inbox.post(new Event.Persisted(batches));
                    } else {
                        inbox.postQuietly(new Event.Persisted(batches));
                    }
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception | Error e) {                       // an undeclared checked exception from a storage too
            failure.fail(new IOException(nodeId + ": storage failed", e));
        }
    }

    /**
     * Whether a follower's loop may write {@code ready} itself instead of handing it over: only while nothing is
     * queued here (so writes stay in order and one thread writes at a time) and recent syncs were fast. An inline
     * sync saves a thread hand-off on the follower's half of every commit round trip. Leaders and candidates always
     * use this worker, so a leader keeps heartbeating (and committing with its followers' copies) while its own disk
     * stalls; a slow disk sends a follower's writes back here too.
     */
    boolean mayPersistInline(int inFlight) {
        return inFlight == 0 && recentSyncNanos < INLINE_SYNC_LIMIT_NANOS;
    }

    /** Writes and syncs {@code ready} on the calling thread (the loop), after {@link #mayPersistInline}. */
    void persistInline(Ready ready) throws IOException {
        persist(List.of(ready));
    }

    /**
     * STYLE §11: WARN when one write+sync takes the slow-disk threshold or longer, at most every 10 s; and an event
     * for every such write.
     */
    private void reportIfSlow(long took, int entries) {
        if (took < slowNanos) {
            return;
        }
        if (events != null) {
            events.emit(new RaftEvent.SlowDisk(Duration.ofNanos(took), entries, slowThreshold));
        }
        long now = System.nanoTime();
        if (now - lastSlowWarnNanos >= SLOW_WARN_INTERVAL_NANOS) {
            lastSlowWarnNanos = now;
            LOG.warn("{} slow disk: one write and sync of {} entries took {} ms (commits wait for it)", nodeId,
                    entries, took / 1_000_000);
        }
    }

    private void persist(List<Ready> batches) throws IOException {
        long start = System.nanoTime();
        int entries = ReadyWriter.write(batches, storage);
        long took = System.nanoTime() - start;
        if (anySync(batches)) {
            recentSyncNanos = recentSyncNanos - (recentSyncNanos >> 3) + (took >> 3);
            metrics.storageWrite(batches, entries, took);
        }
        reportIfSlow(took, entries);
        if (LOG.isTraceEnabled()) {
            LOG.trace("{} persisted {} batches, {} entries in {} us", nodeId, batches.size(), entries, took / 1000);
        }
    }

    private static boolean anySync(List<Ready> batches) {
        for (Ready r : batches) {
            if (r.needsSync()) {
                return true;
            }
        }
        return false;
    }
}
