package org.raftlib.sim;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import org.raftlib.ClusterConfig;
import org.raftlib.EntryType;
import org.raftlib.LogEntry;
import org.raftlib.Member;
import org.raftlib.NodeId;
import org.raftlib.internal.core.CoreConfig;
import org.raftlib.internal.core.IndexedConfig;
import org.raftlib.internal.core.RaftCore;
import org.raftlib.internal.core.Ready;
import org.raftlib.internal.core.SnapshotPoint;
import org.raftlib.internal.runtime.ReadyWriter;
import org.raftlib.sim.lin.AppendLog.Digest;

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
    private final Map<Long, long[]> proposals = new HashMap<>();     // index -> {term, command}
    private RaftCore core;
    private int epoch;
    private long lastApplied;
    private long lastCommit;
    private long lastWriteDone;
    private boolean snapshotting;
    /** The configuration a node starts with when neither its log nor a snapshot holds one. */
    private final ClusterConfig bootstrap;
    /** The configuration as of the applied index: what a snapshot taken now carries. */
    private IndexedConfig appliedConfig;
    /** The state machine: per key of the {@link ClientHistory}, the digest of the commands applied, in order. */
    private Digest[] machine;
    /** The newest snapshot this node holds (the store keeps older ones too: see {@link #snapshotAt}). */
    private Snapshot snapshot;
    /** Every snapshot taken or received, by index: durable, as in the store. */
    private final Map<Long, Snapshot> held = new HashMap<>();

    /**
     * A snapshot this node holds: durable, kept across crashes; {@code chain} is the shadow log's chain there and
     * {@code machine} the state machine's state (never modified).
     */
    record Snapshot(SnapshotPoint point, long chain, IndexedConfig config, Digest[] machine) {
    }

    /** A batch written to storage, durable once the syncs before {@code barrier} complete. */
    private record PendingWrite(Ready ready, long barrier) {
    }

    SimNode(NodeId id, CoreConfig config, SimStorage.FileSystem fileSystem) {
        this.id = id;
        this.config = config;
        this.bootstrap = ClusterConfig.ofVoters(config.voters().stream().map(v -> new Member(v, "")).toList());
        this.storage = new SimStorage(fileSystem);
        start();
    }

    private void start() {
        if (storage.base() > 0) {                  // compacted with no snapshot: the runtime refuses to start
            storage.reset(0, 0);
        }
        core = RaftCore.restore(config, storage, storage.hardState());
        shadow.reset(storage.all());
        appliedConfig = new IndexedConfig(bootstrap, 0);
        machine = new Digest[ClientHistory.KEYS];
        Arrays.fill(machine, Digest.EMPTY);
        lastApplied = 0;
        lastCommit = 0;
        proposals.clear();
    }

    /**
     * Restarts from the durable snapshot, as the runtime's recovery does: the log is reset to it if it does not hold
     * its last entry, the state machine is "restored" (the applied index jumps to it), and the shadow log's prefix is
     * the committed one.
     */
    private void startFromSnapshot(long[] committedTerms, long[] committedChains) {
        long index = snapshot.point().index();
        if (storage.lastIndex() < index || storage.firstIndex() - 1 > index
                || storage.term(index) != snapshot.point().term()) {
            storage.reset(index, snapshot.point().term());
        }
        core = RaftCore.restore(config, storage, storage.hardState(), Optional.of(snapshot.point()),
                Optional.of(snapshot.config()));
        appliedConfig = snapshot.config();
        machine = snapshot.machine().clone();
        shadow.resetToSnapshot(index, committedTerms, committedChains,
                storage.entries(index + 1, storage.lastIndex() + 1, Long.MAX_VALUE));
        lastApplied = index;
        lastCommit = 0;
        proposals.clear();
    }

    Snapshot snapshot() {
        return snapshot;
    }

    /**
     * Captures what is applied, as the state machine's snapshot hook does on the apply thread; the snapshot is
     * durable only once {@link #snapshotStored} is called (a crash in between loses it, as it loses a temporary file).
     */
    Snapshot captureSnapshot() {
        snapshotting = true;
        return new Snapshot(new SnapshotPoint(lastApplied, shadow.term(lastApplied)), shadow.chain(lastApplied),
                appliedConfig, machine.clone());
    }

    /** Returns whether a snapshot is being written (the runtime takes one at a time). */
    boolean isSnapshotting() {
        return snapshotting;
    }

    /** The captured snapshot {@code s} is durable in the store. */
    void snapshotStored(Snapshot s) {
        snapshotting = false;
        held.put(s.point().index(), s);
        if (snapshot == null || s.point().index() > snapshot.point().index()) {
            snapshot = s;
        }
    }

    /** Returns the snapshot this node holds at {@code index}, taken or received, or null. */
    Snapshot snapshotAt(long index) {
        return held.get(index);
    }

    /**
     * A snapshot received from a leader is durable here (before the core hears of it). The newest one held may
     * be another, received earlier but never installed (the core had stopped following its sender).
     */
    void receivedSnapshot(Snapshot s) {
        held.put(s.point().index(), s);
        if (snapshot == null || s.point().index() > snapshot.point().index()) {
            snapshot = s;
        }
    }

    /**
     * Returns the configuration the node's log justifies, with the index of its entry: that of the last
     * configuration entry in it, else the bootstrap one (index 0) if the log was never reset or compacted and the
     * node holds no snapshot, else its snapshot's if the log continues that snapshot from no later than its index;
     * null when that is unknown.
     */
    IndexedConfig configFromLog() {
        List<LogEntry> all = storage.all();
        for (int i = all.size() - 1; i >= 0; i--) {
            if (all.get(i).type() == EntryType.CONFIGURATION) {
                return new IndexedConfig(ClusterConfig.decode(all.get(i).data().toByteArray()), all.get(i).index());
            }
        }
        if (snapshot == null) {
            return storage.base() == 0 ? new IndexedConfig(bootstrap, 0) : null;
        }
        long index = snapshot.point().index();
        return storage.base() <= index && index <= storage.lastIndex() ? snapshot.config() : null;
    }

    /** Returns how far the durable log was compacted past the newest durable snapshot (0: not at all). */
    long compactedPastSnapshot() {
        long covered = snapshot == null ? 0 : snapshot.point().index();
        return Math.max(0, storage.base() - covered);
    }

    /** The state machine was restored from the snapshot at {@code index}. */
    void restoredTo(long index) {
        lastApplied = index;
        appliedConfig = held.get(index).config();
        machine = held.get(index).machine().clone();
    }

    /** Crashes: keeps of the unsynced writes what the file system may; the node is down until {@link #restart()}. */
    void crash(SplittableRandom random) {
        core = null;
        epoch++;
        snapshotting = false;
        pendingWrites.clear();
        storage.crash(random);
    }

    boolean hasPendingWrites() {
        return !pendingWrites.isEmpty();
    }

    SimStorage storage() {
        return storage;
    }

    void restart(long[] committedTerms, long[] committedChains) {
        if (snapshot == null) {
            start();
        } else {
            startFromSnapshot(committedTerms, committedChains);
        }
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
        if (e.type() == EntryType.CONFIGURATION) {
            appliedConfig = new IndexedConfig(ClusterConfig.decode(e.data().toByteArray()), e.index());
        }
        long command = ClientHistory.command(e);
        if (command >= 0) {
            int key = ClientHistory.key(command);
            machine[key] = ClientHistory.MODEL.add(machine[key], command);
        }
    }

    /** What a read of {@code key} returns here now. */
    Digest read(int key) {
        return machine[key];
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

    void rememberProposal(long index, long term, long command) {
        proposals.put(index, new long[] {term, command});
    }

    /**
     * Returns {term, command} of this node's proposal at the index of {@code e}, which it applies now, and forgets it;
     * null if it proposed nothing there (since it started).
     */
    long[] takeProposal(LogEntry e) {
        return proposals.remove(e.index());
    }
}
