package org.raftlib.storage;

import java.nio.ByteBuffer;
import java.util.zip.CRC32C;
import org.raftlib.Bytes;
import org.raftlib.EntryType;
import org.raftlib.LogEntry;

/**
 * Encodes and decodes one log record, big-endian. Version 2 (in segments of format 2, the only one written):
 * {@code length:int32 | crc32c:int32 | syncedEnd:int32 | term:int64 | index:int64 | type:int8 | payload}. Version 1
 * (read only, written by the previous release): the same without {@code syncedEnd}. {@code length} counts the body
 * (everything after the checksum), which the CRC32C covers. {@code syncedEnd} is the offset of the segment up to
 * which it was known durable when the record was written, at least the segment header's end and at most the
 * record's own offset (see {@link Segment}). A zero length marks the clean end of a preallocated segment, so a real
 * body is never shorter than {@link #fixedBodyBytes}.
 */
final class RecordCodec {

    /** Bytes before the body: length and checksum. */
    static final int HEADER_BYTES = 8;
    /** Body bytes before the payload in a version-2 record: synced end, term, index and type. */
    static final int FIXED_BODY_BYTES = Integer.BYTES + Long.BYTES + Long.BYTES + 1;
    /** The largest body any {@code FileLogOptions.maxEntryBytes} allows (1 GiB of entry). */
    static final int MAX_BODY_BYTES = FIXED_BODY_BYTES + (1 << 30);
    /** Body bytes before the payload in a version-1 record: term, index and type. */
    static final int FIXED_BODY_BYTES_V1 = Long.BYTES + Long.BYTES + 1;
    /** What a version-1 record reports as its synced end: it does not say, so it vouches for all before it. */
    static final int UNKNOWN_SYNCED_END = Integer.MAX_VALUE;

    private RecordCodec() {
    }

    /** Returns the body bytes before the payload in records of segment format {@code version}. */
    static int fixedBodyBytes(int version) {
        return version == 1 ? FIXED_BODY_BYTES_V1 : FIXED_BODY_BYTES;
    }

    /** Returns the bytes {@code entry} takes on disk in a version-2 record. */
    static int recordBytes(LogEntry entry) {
        return HEADER_BYTES + FIXED_BODY_BYTES + entry.data().length();
    }

    /**
     * Encodes {@code entry} as a version-2 record at the position of {@code buffer}, advancing it. Allocates nothing.
     *
     * @param syncedEnd the offset up to which the segment is known durable now
     * @param buffer a buffer with at least {@link #recordBytes} bytes remaining
     * @param crc a checksum object to reuse; reset by this method
     */
    static void encode(LogEntry entry, int syncedEnd, ByteBuffer buffer, CRC32C crc) {
        int start = buffer.position();
        int bodyLength = FIXED_BODY_BYTES + entry.data().length();
        buffer.putInt(bodyLength).putInt(0)                          // checksum placeholder
                .putInt(syncedEnd).putLong(entry.term()).putLong(entry.index()).put(entry.type().code());
        entry.data().writeTo(buffer);
        int end = buffer.position();
        int limit = buffer.limit();
        buffer.position(start + HEADER_BYTES).limit(end);           // covers syncedEnd..payload
        crc.reset();
        crc.update(buffer);
        buffer.limit(limit).position(end);
        buffer.putInt(start + Integer.BYTES, (int) crc.getValue());
    }

    /**
     * Decodes the record at {@code offset} of {@code buffer}, of which {@code available} bytes are present (the rest
     * of the file, or more than the record needs).
     *
     * @param filePosition the file offset of {@code offset}, for the result
     * @param maxBodyBytes the largest body length accepted as plausible
     * @param version the record format: the version of the segment's header
     * @return what was found there
     */
    static ReadResult decode(ByteBuffer buffer, int offset, int available, long filePosition, int maxBodyBytes,
            int version) {
        if (available == 0) {
            return new ReadResult.End(filePosition);
        }
        if (available < Integer.BYTES) {
            return new ReadResult.TornTail(filePosition);
        }
        int length = buffer.getInt(offset);
        if (length == 0) {
            return new ReadResult.End(filePosition);
        }
        if (length > maxBodyBytes && length <= MAX_BODY_BYTES) {
            return new ReadResult.Corrupt(filePosition, "record length " + length + " is more than"
                    + " FileLogOptions.maxEntryBytes allows (" + (maxBodyBytes - FIXED_BODY_BYTES) + " bytes of entry):"
                    + " if FileLogOptions.maxEntryBytes was lowered since the log was written, raise it again (nothing"
                    + " is lost); if not, the record is damaged: do not start this node on this directory, replace the"
                    + " member (see the README)", true);
        }
        if (length < fixedBodyBytes(version) || length > maxBodyBytes) {
            return new ReadResult.Corrupt(filePosition, "record length " + length + " outside ["
                    + fixedBodyBytes(version) + ", " + maxBodyBytes + "]");
        }
        if (available < HEADER_BYTES + length) {
            return new ReadResult.TornTail(filePosition);
        }
        int expected = buffer.getInt(offset + Integer.BYTES);
        int actual = checksum(buffer, offset + HEADER_BYTES, length);
        if (expected != actual) {
            return new ReadResult.Corrupt(filePosition, String.format("checksum mismatch: expected crc32c 0x%08x,"
                    + " actual 0x%08x", expected, actual));
        }
        return decodeBody(buffer, offset + HEADER_BYTES, length, filePosition, version);
    }

    private static ReadResult decodeBody(ByteBuffer buffer, int bodyOffset, int length, long filePosition,
            int version) {
        int syncedEnd = version == 1 ? UNKNOWN_SYNCED_END : buffer.getInt(bodyOffset);
        int fixed = fixedBodyBytes(version);
        int at = bodyOffset + fixed - FIXED_BODY_BYTES_V1;
        long term = buffer.getLong(at);
        long index = buffer.getLong(at + Long.BYTES);
        byte code = buffer.get(at + 2 * Long.BYTES);
        EntryType type = typeOf(code);
        boolean syncedEndPossible = version == 1 || (syncedEnd >= Segment.HEADER_BYTES && syncedEnd <= filePosition);
        if (type == null || term < 1 || index < 1 || !syncedEndPossible) {
            return new ReadResult.Corrupt(filePosition, "valid checksum but impossible record: term " + term
                    + ", index " + index + ", type code " + code + ", synced end " + syncedEnd);
        }
        byte[] payload = new byte[length - fixed];
        buffer.get(bodyOffset + fixed, payload);
        LogEntry entry = new LogEntry(term, index, type, Bytes.wrap(payload));
        return new ReadResult.Entry(entry, filePosition + HEADER_BYTES + length, syncedEnd);
    }

    private static EntryType typeOf(byte code) {
        for (EntryType t : EntryType.values()) {
            if (t.code() == code) {
                return t;
            }
        }
        return null;
    }

    /** Returns the CRC32C of {@code length} bytes at {@code offset} of {@code buffer}, as an int. */
    static int checksum(ByteBuffer buffer, int offset, int length) {
        CRC32C crc = new CRC32C();
        crc.update(buffer.duplicate().limit(offset + length).position(offset));
        return (int) crc.getValue();
    }
}
