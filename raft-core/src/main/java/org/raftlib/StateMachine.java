package org.raftlib;

import java.io.IOException;
import java.io.InputStream;

/**
 * The user's replicated state: every node applies the same committed commands in the same order.
 *
 * <p><b>Threading.</b> raftlib calls every method from one thread, the node's apply thread, so implementations need
 * no locking for the state they keep. A slow state machine delays applies and reads on its node, never heartbeats.
 *
 * <p><b>Determinism.</b> {@link #apply} must depend only on the state and the command (no clocks, no randomness, no
 * outside I/O), or replicas diverge. Business failures (a key missing, a compare-and-set that lost) belong in the
 * result bytes: an exception thrown from {@code apply} is treated as a bug and stops the node, because the other
 * replicas would have applied the command.
 *
 * <p><b>Snapshots</b> (Raft thesis chapter 5). A state machine that implements {@link #snapshot()} and
 * {@link #restore} lets raftlib bound its log: raftlib snapshots it by policy ({@link RaftOptions}) or on request
 * ({@link RaftNode#takeSnapshot()}), discards the log the snapshot covers, restores it from the newest snapshot on
 * restart (replaying only the log after it), and sends a snapshot to a follower that needs compacted entries. One
 * without them keeps working, but its log grows without bound, a restart replays it from index 1, and a follower
 * that lost its disk can only catch up from a leader that still holds index 1.
 *
 * <p><b>Restart.</b> Construct a new, empty instance for each {@link RaftNode}: raftlib restores it from the newest
 * snapshot (if any) and applies every committed command after it.
 */
public interface StateMachine {

    /**
     * Applies a committed command. Called once per index per node lifetime, in index order. Whatever it throws (an
     * unchecked exception, an error, or a checked exception thrown undeclared, as Kotlin or Lombok code can) stops
     * this node: the other replicas applied the command, so this one cannot go on without it.
     *
     * @param index the command's log index
     * @param command the command as submitted; the array belongs to the state machine
     * @return the result handed to the submitter's future (on the node that proposed it); never null (a null is taken
     *     as an empty result, with a WARN the first time), may be empty
     */
    byte[] apply(long index, byte[] command);

    /**
     * Answers a read-only request against the current state. Must not change the state. An exception it throws
     * (checked ones thrown undeclared too) fails that read only; an error stops the node.
     *
     * @param request the request as passed to {@link RaftNode#query}
     * @return the answer; never null (a null is taken as an empty answer, with a WARN the first time), may be empty
     */
    byte[] query(byte[] request);

    /**
     * Captures the current state for a snapshot, on the apply thread, between two applies: everything applied so far
     * and nothing after. Keep it cheap; the returned object writes the state out on another thread while applies go
     * on ({@link StateSnapshot#writeTo}). The default returns null: this state machine does not support snapshots.
     * raftlib takes a null as final: it does not ask again while the node runs (automatic snapshots stop, the log is
     * never compacted, {@link RaftNode#takeSnapshot()} fails with {@link UnsupportedOperationException}), so do not
     * return null to mean "not now".
     * An exception thrown here stops the node, as one from {@code apply} does; one thrown by
     * {@link StateSnapshot#writeTo} only fails that snapshot, which is tried again later.
     *
     * @return the captured state, or null if snapshots are not supported
     */
    default StateSnapshot snapshot() {
        return null;
    }

    /**
     * Replaces the whole state with the one {@link StateSnapshot#writeTo} wrote. Called when the node starts from a
     * snapshot (on the thread that calls {@link RaftNode#start()}, before any apply) and when a follower installs a
     * leader's snapshot (on the apply thread, between applies); never concurrently with another method.
     *
     * @param state the snapshot's bytes; read them all (bytes left unread are logged at WARN); closing it is
     *     allowed and does nothing (raftlib reads what is left, to check the checksum, and closes it)
     * @throws IOException if the state cannot be read; the node then stops
     * @throws UnsupportedOperationException by default, for a state machine without snapshots
     */
    default void restore(InputStream state) throws IOException {
        throw new UnsupportedOperationException(getClass().getName() + " does not support snapshots");
    }
}
