package org.raftlib.storage;

import org.raftlib.LogEntry;

/** What one read at a file position found. The segment opener decides policy, not the reader. */
sealed interface ReadResult {

    /**
     * A complete record with a valid checksum; the next record starts at {@code nextPosition}. {@code syncedEnd} is
     * the offset up to which the segment was durable when the record was written ({@link Integer#MAX_VALUE} for a
     * version-1 record, which does not say: it counts as proof that everything before it was synced).
     */
    record Entry(LogEntry entry, long nextPosition, int syncedEnd) implements ReadResult {
    }

    /** A zero length field or the end of the file, exactly at a record boundary: the clean end. */
    record End(long position) implements ReadResult {
    }

    /** The file ends inside the record that starts at {@code position}. */
    record TornTail(long position) implements ReadResult {
    }

    /**
     * The record at {@code position} has an impossible length or a wrong checksum, described by {@code reason};
     * {@code aboveLimit}: its length is only above {@code FileLogOptions.maxEntryBytes} (lowered since, perhaps).
     */
    record Corrupt(long position, String reason, boolean aboveLimit) implements ReadResult {

        Corrupt(long position, String reason) {
            this(position, reason, false);
        }
    }
}
