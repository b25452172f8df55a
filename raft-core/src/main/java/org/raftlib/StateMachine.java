package org.raftlib;

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
 * <p><b>Restart.</b> Snapshots are not implemented yet: a node reopened on its log is given a fresh state machine
 * and replays every committed command from index 1, so construct a new, empty instance for each {@link RaftNode}.
 */
public interface StateMachine {

    /**
     * Applies a committed command. Called once per index per node lifetime, in index order.
     *
     * @param index the command's log index
     * @param command the command as submitted; the array belongs to the state machine
     * @return the result handed to the submitter's future (on the node that proposed it); never null, may be empty
     */
    byte[] apply(long index, byte[] command);

    /**
     * Answers a read-only request against the current state. Must not change the state.
     *
     * @param request the request as passed to {@link RaftNode#query}
     * @return the answer; never null, may be empty
     */
    byte[] query(byte[] request);
}
