package org.raftlib.sim;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.raftlib.LogEntry;
import org.raftlib.NodeId;
import org.raftlib.core.CoreConfig;
import org.raftlib.core.RaftCore;
import org.raftlib.core.Ready;
import org.raftlib.runtime.ReadyWriter;

/**
 * One simulated node: a {@link RaftCore}, its {@link SimStorage} written by the runtime's own {@link ReadyWriter},
 * the writes whose sync has not completed (partly lost on a crash), the shadow of its log, and its state machine's
 * progress.
 */
final class SimNode {

    private final NodeId id;
    private final CoreConfig config;
    private final SimStorage storage;
    private final ShadowLog shadow = new ShadowLog();
    private final ArrayDeque<PendingWrite> pendingWrites = new ArrayDeque<>();
    private final Map<Long, Long> proposals = new HashMap<>();
    private RaftCore core;
    private int epoch;
    private long lastApplied;
    private long lastCommit;
    private long lastWriteDone;

    /** A batch written to storage, durable once the syncs before {@code barrier} complete. */
    private record PendingWrite(Ready ready, long barrier) {
    }

    SimNode(NodeId id, CoreConfig config, SimStorage.FileSystem fileSystem) {
        this.id = id;
        this.config = config;
        this.storage = new SimStorage(fileSystem);
        start();
    }

    private void start() {
        core = RaftCore.restore(config, storage, storage.hardState());
        shadow.reset(storage.all());
        lastApplied = 0;
        lastCommit = 0;
        proposals.clear();
    }

    /** Crashes: keeps of the unsynced writes what the file system may; the node is down until {@link #restart()}. */
    void crash(SplittableRandom random) {
        core = null;
        epoch++;
        pendingWrites.clear();
        storage.crash(random);
    }

    boolean hasPendingWrites() {
        return !pendingWrites.isEmpty();
    }

    SimStorage storage() {
        return storage;
    }

    void restart() {
        start();
    }

    boolean isUp() {
        return core != null;
    }

    NodeId id() {
        return id;
    }

    RaftCore core() {
        return core;
    }

    int epoch() {
        return epoch;
    }

    ShadowLog shadow() {
        return shadow;
    }

    long lastApplied() {
        return lastApplied;
    }

    long lastCommit() {
        return lastCommit;
    }

    void lastCommit(long commit) {
        lastCommit = commit;
    }

    void applied(LogEntry e) {
        lastApplied = e.index();
    }

    /**
     * Writes {@code rd} to storage as the runtime's storage worker does; returns the time its sync completes, never
     * before an earlier one (storage is FIFO).
     */
    long queueWrite(Ready rd, long completesAt) {
        try {
            ReadyWriter.write(List.of(rd), storage);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        pendingWrites.add(new PendingWrite(rd, storage.syncsIssued()));
        lastWriteDone = Math.max(lastWriteDone, completesAt);
        return lastWriteDone;
    }

    /** Completes the oldest pending write: its sync returns, and it is durable. */
    Ready completeWrite() {
        PendingWrite w = pendingWrites.remove();
        storage.completeSyncs(w.barrier());
        return w.ready();
    }

    void rememberProposal(long index, long term) {
        proposals.put(index, term);
    }

    /** Returns whether the entry applied at {@code e.index()} is the one this node proposed there. */
    boolean isOwnProposal(LogEntry e) {
        Long term = proposals.remove(e.index());
        return term != null && term == e.term();
    }
}
