package org.raftlib.sim;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import org.raftlib.LogEntry;
import org.raftlib.NodeId;
import org.raftlib.core.CoreConfig;
import org.raftlib.core.RaftCore;
import org.raftlib.core.Ready;

/**
 * One simulated node: a {@link RaftCore}, its durable {@link SimDisk}, the writes handed to storage and not yet
 * completed (lost on a crash), the shadow of its log, and its state machine's progress.
 */
final class SimNode {

    private final NodeId id;
    private final CoreConfig config;
    private final SimDisk disk = new SimDisk();
    private final ShadowLog shadow = new ShadowLog();
    private final ArrayDeque<Ready> pendingWrites = new ArrayDeque<>();
    private final Map<Long, Long> proposals = new HashMap<>();
    private RaftCore core;
    private int epoch;
    private long lastApplied;
    private long lastCommit;
    private long lastWriteDone;

    SimNode(NodeId id, CoreConfig config) {
        this.id = id;
        this.config = config;
        start();
    }

    private void start() {
        core = RaftCore.restore(config, disk.log(), disk.hardState());
        shadow.reset(disk.log().all());
        lastApplied = 0;
        lastCommit = 0;
        proposals.clear();
    }

    /** Loses everything not yet written to disk; the node is down until {@link #restart()}. */
    void crash() {
        core = null;
        epoch++;
        pendingWrites.clear();
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

    /** Queues a write; returns the time it completes, never before an earlier write (storage is FIFO). */
    long queueWrite(Ready rd, long completesAt) {
        pendingWrites.add(rd);
        lastWriteDone = Math.max(lastWriteDone, completesAt);
        return lastWriteDone;
    }

    /** Completes the oldest pending write: it becomes durable. */
    Ready completeWrite() {
        Ready rd = pendingWrites.remove();
        disk.write(rd);
        return rd;
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
