package org.raftlib.storage;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Objects;
import java.util.zip.CRC32C;
import org.raftlib.LogEntry;

/**
 * Appends records to the active segment through one reused direct buffer: entries are encoded into it without
 * allocating and written with one positional write per buffer-full (one per {@code append} call in the usual case).
 * Each record carries its segment's synced end of the moment. Records the new positions in the segment's index.
 * Confined to the writing thread; the caller holds the storage's write lock.
 */
final class SegmentWriter {

    /** Forces and seals a full segment and returns the new active one. */
    @FunctionalInterface
    interface Roller {
        Segment roll(Segment full) throws IOException;
    }

    private final ByteBuffer buffer;
    private final CRC32C crc = new CRC32C();
    private final long segmentSizeBytes;

    SegmentWriter(FileLogOptions options) {
        this.buffer = ByteBuffer.allocateDirect(options.writeBufferBytes());
        this.segmentSizeBytes = options.segmentSizeBytes();
    }

    /**
     * Checks that {@code entries} are consecutive from {@code expected} and within {@code maxEntryBytes} each, before
     * anything is written.
     *
     * @throws NullPointerException if an entry is null
     * @throws IllegalArgumentException if an index is not the expected one or a payload is too large
     */
    static void check(List<LogEntry> entries, long expected, int maxEntryBytes) {
        long next = expected;
        for (LogEntry e : entries) {
            Objects.requireNonNull(e, "entry");
            if (e.index() != next) {
                throw new IllegalArgumentException("entry index " + e.index() + " where " + next + " was expected");
            }
            if (e.data().length() > maxEntryBytes) {
                throw new IllegalArgumentException("entry " + e.index() + " has " + e.data().length()
                        + " bytes, more than maxEntryBytes " + maxEntryBytes);
            }
            next++;
        }
    }

    /**
     * Writes {@code entries} after the last record of {@code active}, rolling to a new segment through
     * {@code roller} whenever the next record would not fit (a record larger than a segment gets an empty one).
     */
    void write(List<LogEntry> entries, Segment active, Roller roller) throws IOException {
        Segment segment = active;
        long writeFrom = segment.end();
        buffer.clear();
        for (LogEntry e : entries) {
            int size = RecordCodec.recordBytes(e);
            if (segment.count() > 0 && segment.end() + size > segmentSizeBytes) {
                flush(segment, writeFrom);
                segment = roller.roll(segment);
                writeFrom = segment.end();
            }
            if (size > buffer.remaining()) {
                flush(segment, writeFrom);
                writeFrom = segment.end();
            }
            if (size > buffer.capacity()) {
                ByteBuffer large = ByteBuffer.allocate(size);
                RecordCodec.encode(e, segment.syncedEnd(), large, crc);
                segment.write(large.flip(), writeFrom);
                segment.addRecord(size, e.term());
                writeFrom = segment.end();
            } else {
                RecordCodec.encode(e, segment.syncedEnd(), buffer, crc);
                segment.addRecord(size, e.term());
            }
        }
        flush(segment, writeFrom);
    }

    private void flush(Segment segment, long position) throws IOException {
        buffer.flip();
        segment.write(buffer, position);
        buffer.clear();
    }
}
