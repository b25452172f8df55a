package org.raftlib.internal.runtime;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Optional;
import org.raftlib.LogStorage;
import org.raftlib.NodeId;
import org.raftlib.SnapshotMeta;
import org.raftlib.SnapshotStore;
import org.raftlib.StateMachine;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Brings a starting node's state machine and log in line with its newest snapshot (Raft thesis §5.1, durability rule
 * 5): restores the state machine from the newest snapshot that verifies, and makes sure the log continues it. A log
 * that does not hold the snapshot's last entry (a crash after an installed snapshot became durable, before the log
 * was reset) is reset to the snapshot, which is what the install would have done; a log compacted beyond every
 * snapshot that verifies cannot rebuild the state and refuses to start.
 */
final class SnapshotRecovery {

    private static final Logger LOG = LoggerFactory.getLogger(SnapshotRecovery.class);

    private SnapshotRecovery() {
    }

    /**
     * Restores {@code machine} and aligns {@code log}; returns the snapshot restored from, if any.
     *
     * @throws IOException if the snapshot cannot be read, or the log cannot be rebuilt from what is on disk
     */
    static Optional<SnapshotMeta> recover(NodeId id, LogStorage log, SnapshotStore store, StateMachine machine)
            throws IOException {
        Optional<SnapshotMeta> latest = store == null ? Optional.empty() : store.latest();
        long first = log.firstIndex();
        if (latest.isEmpty()) {
            if (first > 1) {
                throw new IOException(id + ": the log starts at index " + first + " (compacted), but there is no "
                        + "valid snapshot" + (store == null ? " store" : "") + " to rebuild the entries before it ("
                        + log + (store == null ? "" : ", " + store) + "): give the node the snapshot store it used "
                        + "before, or replace the member (see the README)");
            }
            return latest;
        }
        SnapshotMeta meta = latest.get();
        if (first - 1 > meta.index()) {
            throw new IOException(id + ": the log was compacted up to " + (first - 1) + ", past the newest valid "
                    + "snapshot at " + meta.index() + "; the entries in between are lost (" + log + ", " + store
                    + "; a newer snapshot is missing, or damaged: the store then logs a WARN naming it): replace the"
                    + " member (see the README)");
        }
        if (log.lastIndex() < meta.index() || log.term(meta.index()) != meta.term()) {
            String held = log.lastIndex() < first ? "(empty)" : "[" + first + ", " + log.lastIndex() + "]";
            LOG.warn("{} resets its log {} to the snapshot at {}/{} in {}: an install interrupted by a crash "
                    + "(or a snapshot copied in from elsewhere)", id, held, meta.term(), meta.index(), store);
            log.reset(meta.index(), meta.term());
        }
        long start = System.nanoTime();
        restore(id.toString(), machine, store, meta);
        LOG.info("{} restored the state machine from the snapshot at {}/{} ({} bytes) in {} ms", id, meta.term(),
                meta.index(), meta.sizeBytes(), (System.nanoTime() - start) / 1_000_000);
        return latest;
    }

    /**
     * Replaces {@code machine}'s state with the snapshot {@code meta}, then reads the stream to its end, so that its
     * checksum is checked; a {@code restore} that left bytes unread gets a WARN (its format and the snapshot's
     * disagree, or it stops early).
     */
    static void restore(String id, StateMachine machine, SnapshotStore store, SnapshotMeta meta) throws IOException {
        try (InputStream in = store.read(meta)) {
            machine.restore(CloseShields.of(in));             // it may close it: the rest is read below
            long unread = in.transferTo(OutputStream.nullOutputStream());
            if (unread > 0) {
                LOG.warn("{} the state machine's restore left {} of the {} bytes of the snapshot at {}/{} unread: does "
                        + "it read what its snapshot writes?", id, unread, meta.sizeBytes(), meta.term(), meta.index());
            }
        }
    }
}
