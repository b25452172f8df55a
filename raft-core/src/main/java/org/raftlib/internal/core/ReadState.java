package org.raftlib.internal.core;

/**
 * A linearizable read confirmed by ReadIndex (Raft thesis §6.4): the leader still led after the read was registered,
 * so the read may be served once the state machine has applied up to {@code index}. Immutable.
 *
 * @param requestId the id the runtime passed to {@link RaftCore#readIndex(long)}
 * @param index the read index; serve the read once the applied index is at least this
 */
public record ReadState(long requestId, long index) {

    /**
     * Checks the index.
     *
     * @throws IllegalArgumentException if {@code index} is negative
     */
    public ReadState {
        if (index < 0) {
            throw new IllegalArgumentException("index must not be negative: " + index);
        }
    }
}
