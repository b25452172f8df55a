package org.raftlib.internal.runtime;

import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A node's two snapshot threads: the writer, which runs the state machine's {@code StateSnapshot.writeTo}, and the
 * transfer thread, which streams snapshots to and from peers. Closing a node waits for them, so a caller on one of
 * them ({@link #owns}) must not wait for the close. Daemon threads: one stuck in application code that a close gave
 * up on does not keep the JVM from exiting. Thread-safe.
 */
final class SnapshotThreads {

    private static final Logger LOG = LoggerFactory.getLogger(SnapshotThreads.class);

    private final String nodeId;
    private final Set<Thread> threads = ConcurrentHashMap.newKeySet();
    private final ExecutorService writer;
    private final ExecutorService io;
    /** The executors a stop gave up waiting for: later stops (a close after the loop's own) do not wait again. */
    private final Set<ExecutorService> gaveUp = ConcurrentHashMap.newKeySet();

    SnapshotThreads(String nodeId) {
        this.nodeId = nodeId;
        this.writer = Executors.newSingleThreadExecutor(r -> thread(r, "raft-snapshot-" + nodeId));
        this.io = Executors.newSingleThreadExecutor(r -> thread(r, "raft-snapshot-io-" + nodeId));
    }

    private Thread thread(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        threads.add(t);
        return t;
    }

    /** The thread that writes snapshots the state machine captured. */
    ExecutorService writer() {
        return writer;
    }

    /** The thread that streams snapshots to and from peers. */
    ExecutorService io() {
        return io;
    }

    /** Whether {@code t} is one of these threads. */
    boolean owns(Thread t) {
        return threads.contains(t);
    }

    /** Interrupts both threads' work and waits up to {@code joinMillis} for each to stop (once: see gaveUp). */
    void stop(long joinMillis) {
        for (ExecutorService e : List.of(writer, io)) {
            e.shutdownNow();
            try {
                if (!gaveUp.contains(e) && !e.awaitTermination(joinMillis, TimeUnit.MILLISECONDS)) {
                    gaveUp.add(e);
                    String name = e == writer ? "raft-snapshot-" + nodeId : "raft-snapshot-io-" + nodeId;
                    LOG.warn("{} thread {} did not stop within {} ms; left running (a daemon thread){}", nodeId, name,
                            joinMillis, threads.stream().filter(t -> t.getName().equals(name)).findFirst()
                                    .map(StuckThreads::where).orElse(""));
                }
            } catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
