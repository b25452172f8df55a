package org.raftlib;

import java.util.Objects;

/**
 * One entry of the replicated log (Raft §5.3): the term in which a leader created it, its position, and its data.
 *
 * @param term the leader's term when the entry was created; at least 1
 * @param index the entry's position in the log; at least 1
 * @param type what the entry carries
 * @param data the payload; empty for {@link EntryType#NO_OP}
 */
public record LogEntry(long term, long index, EntryType type, Bytes data) {

    /**
     * Checks the entry.
     *
     * @throws NullPointerException if {@code type} or {@code data} is null
     * @throws IllegalArgumentException if {@code term} or {@code index} is less than 1
     */
    public LogEntry {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(data, "data");
        if (term < 1) {
            throw new IllegalArgumentException("term must be at least 1: " + term);
        }
        if (index < 1) {
            throw new IllegalArgumentException("index must be at least 1: " + index);
        }
    }

    /**
     * Returns a command entry.
     *
     * @param term the term, at least 1
     * @param index the index, at least 1
     * @param data the command
     * @return the entry
     * @throws IllegalArgumentException if {@code term} or {@code index} is less than 1
     */
    public static LogEntry command(long term, long index, Bytes data) {
        return new LogEntry(term, index, EntryType.COMMAND, data);
    }

    /** Bytes this entry costs in a batch: its payload plus a fixed per-entry overhead of 24 bytes. */
    public long sizeBytes() {
        return 24L + data.length();
    }
}
