package org.raftlib;

import java.io.IOException;
import java.io.OutputStream;

/**
 * A point-in-time view of a {@link StateMachine}'s state, captured on the apply thread by
 * {@link StateMachine#snapshot()} and written out on raftlib's snapshot thread while applies continue (the two-phase
 * scheme of hashicorp/raft's {@code FSMSnapshot}). The capture must be cheap (a copy-on-write reference, a database
 * snapshot handle); the write may take as long as it needs.
 *
 * <p>A state machine that can only serialize its state on the apply thread returns {@link #of(byte[])} with the
 * bytes it wrote there.
 */
public interface StateSnapshot {

    /**
     * Writes the captured state. Called once, on the snapshot thread, never concurrently with another call on this
     * object; {@link StateMachine#apply} keeps running meanwhile, so this must read only the captured view.
     *
     * @param out where the state goes; raftlib buffers, checksums and closes it (closing it here only flushes it)
     * @throws IOException if writing fails; the snapshot is then abandoned and retried later
     */
    void writeTo(OutputStream out) throws IOException;

    /** Releases what the capture holds; called once after {@link #writeTo}, or instead of it, on any thread. */
    default void release() {
    }

    /**
     * Returns a snapshot of state already serialized (on the apply thread).
     *
     * @param state the serialized state; the snapshot keeps the array
     * @return a snapshot that writes {@code state}
     */
    static StateSnapshot of(byte[] state) {
        return out -> out.write(state);
    }
}
