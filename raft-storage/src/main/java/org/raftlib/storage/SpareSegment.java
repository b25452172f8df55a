package org.raftlib.storage;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes the next segment's file ahead of time, on a thread of its own, so that a roll renames a ready, zero-filled
 * file instead of writing {@code segmentSizeBytes} of zeros while appends wait (about 50 ms per 64 MiB, and several
 * times that when the disk is busy with the log's own syncs). Started when the log opens and again after every
 * roll, like etcd's WAL file pipeline, so it is usually written while the log is quiet and long before it is needed.
 * One spare at a time, named {@value #NAME}; a spare left by a crash or a close is not part of the log and is
 * replaced. Used by the storage's writing thread (and its closing thread), besides the preparing thread itself.
 */
final class SpareSegment {

    static final String NAME = "segment.spare";

    private static final Logger LOG = LoggerFactory.getLogger(SpareSegment.class);
    private static final long JOIN_MILLIS = 30_000;

    private final Path path;
    private final FileLogOptions options;
    private final FileOps ops;
    private volatile Thread preparing;
    private volatile boolean ready;
    private volatile boolean stopped;
    private volatile IOException failure;

    SpareSegment(Path dir, FileLogOptions options, FileOps ops) {
        this.path = dir.resolve(NAME);
        this.options = options;
        this.ops = ops;
    }

    /** Starts writing a spare unless one is ready or being written, or the storage is closing. */
    void prepare() {
        if (ready || preparing != null || stopped) {
            return;
        }
        failure = null;
        Thread t = new Thread(this::write, "raft-spare-segment");
        t.setDaemon(true);
        preparing = t;
        t.start();
    }

    private void write() {
        try {
            ready = Segment.createSpare(path, options, ops, () -> stopped);
        } catch (IOException | RuntimeException e) {
            failure = e instanceof IOException io ? io : new IOException(e);
            try {
                ops.deleteIfExists(path);                    // a full disk gets its space back at once
            } catch (IOException | RuntimeException ignored) {
                // Documented ignore path: the leftover is deleted at the next open.
            }
        }
    }

    /**
     * Waits for the spare being written, if any, and hands it over: the caller renames it. Empty if there is none or
     * writing it failed (logged at WARN; the caller then creates the segment itself).
     */
    Optional<Path> take() {
        awaitPreparing();
        if (!ready) {
            IOException f = failure;
            if (f != null) {
                LOG.warn("could not prepare a spare log segment {}; creating the next one in place", path, f);
                failure = null;
            }
            return Optional.empty();
        }
        ready = false;
        return Optional.of(path);
    }

    /**
     * Stops a spare being written and waits for its thread (at close), so that no thread writes in the directory
     * after its lock is gone. The partial file is deleted at the next open.
     */
    void stop() {
        stopped = true;
        awaitPreparing();
    }

    private void awaitPreparing() {
        Thread t = preparing;
        if (t == null) {
            return;
        }
        try {
            t.join(JOIN_MILLIS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (!t.isAlive()) {
            preparing = null;
        }
    }

    /** Deletes a spare left by an earlier run (its content is unknown after a crash). */
    static void deleteLeftover(Path dir, FileOps ops) throws IOException {
        ops.deleteIfExists(dir.resolve(NAME));
    }
}
