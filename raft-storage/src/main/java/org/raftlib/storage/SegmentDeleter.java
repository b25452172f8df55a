package org.raftlib.storage;

import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Deletes compacted segments in the background, oldest first, each deletion made durable (directory fsync) before
 * the next, so a crash leaves a shorter prefix deleted and never a gap. Unlinking a 64 MiB preallocated file and the
 * fsyncs after it took up to about 150 ms on the benchmark machine; done on the storage worker's thread, that stalled
 * every write behind it. A deletion lost in a crash only leaves entries a snapshot already covers, which the next
 * compaction deletes again.
 */
final class SegmentDeleter {

    private static final Logger LOG = LoggerFactory.getLogger(SegmentDeleter.class);

    private final Path dir;
    private final FileOps ops;
    private final ExecutorService thread = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "raft-segment-deleter");
        t.setDaemon(true);
        return t;
    });

    SegmentDeleter(Path dir, FileOps ops) {
        this.dir = dir;
        this.ops = ops;
    }

    /** Deletes {@code segment}, already removed from the log, after every segment handed over before it. */
    void delete(Segment segment) {
        try {
            thread.execute(() -> {
                try {
                    segment.delete(ops);
                    AtomicFiles.fsyncDirectory(dir, ops);
                } catch (IOException | RuntimeException e) {
                    LOG.warn("could not delete compacted segment {}; its disk space is not given back until the "
                            + "next compaction or restart", segment, e);
                }
            });
        } catch (RejectedExecutionException e) {
            LOG.debug("storage closing; compacted segment {} stays until the next open", segment);
        }
    }

    /** Finishes the deletions handed over, waiting up to 10 seconds. */
    void close() {
        thread.shutdown();
        try {
            if (!thread.awaitTermination(10, TimeUnit.SECONDS)) {
                LOG.warn("compacted segments of {} were still being deleted after 10 s", dir);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
