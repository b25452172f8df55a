package org.raftlib.testkit;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.raftlib.StateMachine;
import org.raftlib.StateSnapshot;

/**
 * A state machine with snapshots that records every command it applies: a snapshot is the list so far, captured on
 * the apply thread as an immutable copy and written on the snapshot thread. Counts applies and restores, so tests
 * can tell replay from restore. Thread-safe for readers in tests.
 */
public class SnapshotStateMachine implements StateMachine {

    private final boolean closesStreams;
    private List<String> applied = new ArrayList<>();
    private long lastIndex;
    private int applies;
    private int restores;

    /** A state machine that leaves its snapshot streams open. */
    public SnapshotStateMachine() {
        this(false);
    }

    /**
     * A state machine that closes its snapshot streams after writing and restoring ({@code closesStreams}), or leaves
     * them open.
     */
    public SnapshotStateMachine(boolean closesStreams) {
        this.closesStreams = closesStreams;
    }

    @Override
    public synchronized byte[] apply(long index, byte[] command) {
        if (index <= lastIndex) {
            throw new AssertionError("index " + index + " applied after " + lastIndex);
        }
        lastIndex = index;
        applies++;
        String c = new String(command, StandardCharsets.UTF_8);
        applied.add(c);
        return (index + ":" + c).getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public synchronized byte[] query(byte[] request) {
        return Integer.toString(applied.size()).getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public synchronized StateSnapshot snapshot() {
        List<String> copy = List.copyOf(applied);
        long index = lastIndex;
        return out -> {
            DataOutputStream data = new DataOutputStream(out);
            data.writeLong(index);
            data.writeInt(copy.size());
            for (String s : copy) {
                data.writeUTF(s);
            }
            if (closesStreams) {
                data.close();                                // as a try-with-resources would
            } else {
                data.flush();
            }
        };
    }

    @Override
    public synchronized void restore(InputStream state) throws IOException {
        DataInputStream data = new DataInputStream(state);
        long index = data.readLong();
        int n = data.readInt();
        List<String> restored = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            restored.add(data.readUTF());
        }
        applied = restored;
        lastIndex = index;
        restores++;
        if (closesStreams) {
            data.close();
        }
    }

    /** Returns a copy of the commands in the state, in order. */
    public synchronized List<String> applied() {
        return new ArrayList<>(applied);
    }

    /** Returns how many commands the state holds. */
    public synchronized int size() {
        return applied.size();
    }

    /** Returns how many times {@link #apply} ran on this instance. */
    public synchronized int applies() {
        return applies;
    }

    /** Returns how many times {@link #restore} ran on this instance. */
    public synchronized int restores() {
        return restores;
    }
}
