package org.raftlib.internal.core;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import org.raftlib.NodeId;

/**
 * A leader's reads waiting for leadership confirmation (Raft thesis §6.4). Each read belongs to a confirmation round
 * {@code seq}; a read registered while no round is open opens round {@code ++seq}, and reads registered before that
 * round's heartbeat leaves share it. Every AppendEntries the leader sends carries the current {@code seq}, so an
 * acknowledgement echoing {@code s} was sent after every read of round {@code s} was registered: once a quorum has
 * echoed at least {@code s}, the node still led at that moment and those reads are linearizable.
 *
 * <p>Reads confirm in order of registration. Per-leader state: a new leader starts with an empty queue and round 0.
 */
final class ReadIndexQueue {

    /**
     * A read waiting for its round.
     *
     * @param origin the follower that forwarded it ({@link org.raftlib.message.ReadIndexRequest}), or null for a
     *     read of this node
     * @param requestId the id its node gave it
     * @param index the read index
     * @param seq its confirmation round
     */
    record PendingRead(NodeId origin, long requestId, long index, long seq) {
    }

    private final ArrayDeque<PendingRead> pending = new ArrayDeque<>();
    private long seq;
    private boolean roundOpen;
    private long broadcastSeq;

    /** Returns the current confirmation round, which every AppendEntries carries. */
    long seq() {
        return seq;
    }

    /**
     * Opens a new round unless one is open and not yet broadcast.
     *
     * @return whether a new round was opened
     */
    boolean openRound() {
        if (roundOpen) {
            return false;
        }
        seq++;
        roundOpen = true;
        return true;
    }

    /**
     * Registers a read in the open round (see {@link #openRound()}, which this calls).
     *
     * @param origin the follower that forwarded the read, or null for this node's own
     * @param requestId the id its node gave the read
     * @param index the read index
     */
    void add(NodeId origin, long requestId, long index) {
        openRound();
        pending.add(new PendingRead(origin, requestId, index, seq));
    }

    /** Returns whether reads wait for confirmation. */
    boolean hasPending() {
        return !pending.isEmpty();
    }

    /** A heartbeat carrying the current round went to every follower; later reads need a new round. */
    void onBroadcast() {
        roundOpen = false;
        broadcastSeq = seq;
    }

    /**
     * Returns whether the open round should go out now: only once no earlier round is in flight (the last one
     * broadcast is echoed by a quorum), so that under load the reads arriving during one round's round trip share
     * the next round instead of each opening one (fewer heartbeats per read). A round never waits longer than the
     * in-flight one, or than the next heartbeat, which carries the current round anyway.
     *
     * @param quorumSeq the highest round echoed by a quorum
     * @return whether to broadcast a heartbeat for the open round
     */
    boolean roundDue(long quorumSeq) {
        return roundOpen && broadcastSeq <= quorumSeq;
    }

    /**
     * Confirms, in order, every read whose round a quorum has echoed.
     *
     * @param quorumSeq the highest round echoed by a quorum (the leader counts itself at {@link #seq()})
     * @return the reads confirmed, oldest first
     */
    List<PendingRead> confirm(long quorumSeq) {
        List<PendingRead> confirmed = new ArrayList<>();
        while (!pending.isEmpty() && pending.peek().seq() <= quorumSeq) {
            confirmed.add(pending.remove());
        }
        return confirmed;
    }

    /** Removes every unconfirmed read (the node stops leading) and returns them, oldest first. */
    List<PendingRead> abortAll() {
        List<PendingRead> aborted = new ArrayList<>(pending);
        pending.clear();
        roundOpen = false;
        return aborted;
    }
}
