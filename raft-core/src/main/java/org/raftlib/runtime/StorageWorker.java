package org.raftlib.runtime;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.raftlib.LogStorage;
import org.raftlib.Transport;
import org.raftlib.core.Ready;
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
    private static final long SLOW_SYNC_NANOS = 500_000_000;
    private static final long SLOW_WARN_INTERVAL_NANOS = 10_000_000_000L;

    private final String nodeId;
    private final LogStorage storage;
    private final Transport transport;
    private final Inbox inbox;
    private final NodeFailure failure;
    private final WakeableQueue<Object> queue = new WakeableQueue<>();
    private volatile boolean stopRequested;
    /** Moving average of recent write+sync times, from either thread; decides whether the loop may sync inline. */
    private volatile long recentSyncNanos;
    /** Written by whichever thread syncs; a lost update only repeats or skips one WARN. */
    private volatile long lastSlowWarnNanos = System.nanoTime() - SLOW_WARN_INTERVAL_NANOS;

    StorageWorker(String nodeId, LogStorage storage, Transport transport, Inbox inbox, NodeFailure failure) {
        this.nodeId = nodeId;
        this.storage = storage;
        this.transport = transport;
        this.inbox = inbox;
        this.failure = failure;
    }

    void submit(Ready ready) {
        queue.offer(ready);
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
                for (Object o : group) {
                    if (o instanceof Ready r) {
                        batches.add(r);
                    }
                }
                group.clear();
                if (!batches.isEmpty() && !stopRequested) {
                    persist(batches);
                    Acknowledgements.send(batches, transport);
                    postPersisted(batches);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException | RuntimeException e) {
            failure.fail(new IOException(nodeId + ": storage failed", e));
        }
    }

    /**
     * Hands durable batches back to the loop. It must wake for a leader's or candidate's own writes (they count
     * towards a commit or an election); a follower's batches, whose acknowledgements already left, only update its
     * bookkeeping and apply, which can wait for the loop's next wake-up (the next message or tick).
     */
    private void postPersisted(List<Ready> batches) {
        for (Ready r : batches) {
            if (r.afterSync().isEmpty()) {
                inbox.post(new Event.Persisted(batches));
                return;
            }
        }
        inbox.postQuietly(new Event.Persisted(batches));
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

    /** STYLE §11: WARN when one write+sync takes longer than {@link #SLOW_SYNC_NANOS}, at most every 10 s. */
    private void warnIfSlow(long took, int entries) {
        if (took < SLOW_SYNC_NANOS) {
            return;
        }
        long now = System.nanoTime();
        if (now - lastSlowWarnNanos >= SLOW_WARN_INTERVAL_NANOS) {
            lastSlowWarnNanos = now;
            LOG.warn("{} slow disk: one write and sync of {} entries took {} ms (commits wait for it)", nodeId,
                    entries, took / 1_000_000);
        }
    }

    private void persist(List<Ready> batches) throws IOException {
        boolean dirty = false;
        long start = System.nanoTime();
        int entries = 0;
        for (Ready r : batches) {
            if (r.truncateFrom().isPresent()) {
                storage.truncateSuffix(r.truncateFrom().getAsLong());
                dirty = true;
            }
            if (!r.entries().isEmpty()) {
                storage.append(r.entries());
                entries += r.entries().size();
                dirty = true;
            }
            if (r.hardState().isPresent()) {
                storage.saveHardState(r.hardState().get());
                dirty = true;
            }
        }
        if (dirty) {
            storage.sync();
            long took = System.nanoTime() - start;
            recentSyncNanos = recentSyncNanos - (recentSyncNanos >> 3) + (took >> 3);
            warnIfSlow(took, entries);
        }
        if (LOG.isTraceEnabled()) {
            LOG.trace("{} persisted {} batches, {} entries in {} us", nodeId, batches.size(), entries,
                    (System.nanoTime() - start) / 1000);
        }
    }
}
