package org.raftlib.testkit;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.raftlib.StateMachine;

/**
 * A state machine that records every command it applies. {@code apply} answers {@code "<index>:<command>"};
 * {@code query} answers the number of commands applied. Thread-safe for readers in tests.
 */
public class RecordingStateMachine implements StateMachine {

    private final List<String> applied = new ArrayList<>();
    private long lastIndex;

    @Override
    public synchronized byte[] apply(long index, byte[] command) {
        if (index <= lastIndex) {
            throw new AssertionError("index " + index + " applied after " + lastIndex);
        }
        lastIndex = index;
        String c = new String(command, StandardCharsets.UTF_8);
        applied.add(c);
        return (index + ":" + c).getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public synchronized byte[] query(byte[] request) {
        return Integer.toString(applied.size()).getBytes(StandardCharsets.UTF_8);
    }

    /** Returns a copy of the commands applied, in order. */
    public synchronized List<String> applied() {
        return new ArrayList<>(applied);
    }

    /** Returns how many commands were applied. */
    public synchronized int size() {
        return applied.size();
    }
}
