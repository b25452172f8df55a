package org.raftlib.internal.core;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

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

    private record PendingRead(long requestId, long index, long seq) {
    }

    private final ArrayDeque<PendingRead> pending = new ArrayDeque<>();
    private long seq;
    private boolean roundOpen;

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
     * @param requestId the runtime's id for the read
     * @param index the read index
     */
    void add(long requestId, long index) {
        openRound();
        pending.add(new PendingRead(requestId, index, seq));
    }

    /** Returns whether reads wait for confirmation. */
    boolean hasPending() {
        return !pending.isEmpty();
    }

    /** Returns whether a round was opened that no heartbeat has carried yet. */
    boolean needsBroadcast() {
        return roundOpen;
    }

    /** A heartbeat carrying the current round went to every follower; later reads need a new round. */
    void onBroadcast() {
        roundOpen = false;
    }

    /**
     * Confirms, in order, every read whose round a quorum has echoed.
     *
     * @param quorumSeq the highest round echoed by a quorum (the leader counts itself at {@link #seq()})
     * @return the reads confirmed, oldest first
     */
    List<ReadState> confirm(long quorumSeq) {
        List<ReadState> confirmed = new ArrayList<>();
        while (!pending.isEmpty() && pending.peek().seq() <= quorumSeq) {
            PendingRead r = pending.remove();
            confirmed.add(new ReadState(r.requestId(), r.index()));
        }
        return confirmed;
    }

    /** Removes every unconfirmed read (the node stops leading) and returns their ids, oldest first. */
    List<Long> abortAll() {
        List<Long> ids = new ArrayList<>(pending.size());
        pending.forEach(r -> ids.add(r.requestId()));
        pending.clear();
        roundOpen = false;
        return ids;
    }
}
