package org.raftlib.storage;

import java.nio.ByteBuffer;
import java.util.zip.CRC32C;
import org.raftlib.Bytes;
import org.raftlib.EntryType;
import org.raftlib.LogEntry;

/**
 * Encodes and decodes one log record: {@code length:int32 | crc32c:int32 | term:int64 | index:int64 | type:int8 |
 * payload}, big-endian. {@code length} counts the body (term to the end of the payload); the CRC32C covers the body.
 * A zero length marks the clean end of a preallocated segment, so a real body is never shorter than
 * {@link #FIXED_BODY_BYTES}.
 */
final class RecordCodec {

    /** Bytes before the body: length and checksum. */
    static final int HEADER_BYTES = 8;
    /** Body bytes before the payload: term, index and type. */
    static final int FIXED_BODY_BYTES = Long.BYTES + Long.BYTES + 1;

    private RecordCodec() {
    }

    /** Returns the bytes {@code entry} takes on disk. */
    static int recordBytes(LogEntry entry) {
        return HEADER_BYTES + FIXED_BODY_BYTES + entry.data().length();
    }

    /**
     * Encodes {@code entry} at the position of {@code buffer}, advancing it. Allocates nothing.
     *
     * @param buffer a buffer with at least {@link #recordBytes} bytes remaining
     * @param crc a checksum object to reuse; reset by this method
     */
    static void encode(LogEntry entry, ByteBuffer buffer, CRC32C crc) {
        int start = buffer.position();
        int bodyLength = FIXED_BODY_BYTES + entry.data().length();
        buffer.putInt(bodyLength).putInt(0)                          // checksum placeholder
                .putLong(entry.term()).putLong(entry.index()).put(entry.type().code());
        entry.data().writeTo(buffer);
        int end = buffer.position();
        int limit = buffer.limit();
        buffer.position(start + HEADER_BYTES).limit(end);           // covers term..payload
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
     * @return what was found there
     */
    static ReadResult decode(ByteBuffer buffer, int offset, int available, long filePosition, int maxBodyBytes) {
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
        if (length < FIXED_BODY_BYTES || length > maxBodyBytes) {
            return new ReadResult.Corrupt(filePosition, "record length " + length + " outside [" + FIXED_BODY_BYTES
                    + ", " + maxBodyBytes + "]");
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
        return decodeBody(buffer, offset + HEADER_BYTES, length, filePosition);
    }

    private static ReadResult decodeBody(ByteBuffer buffer, int bodyOffset, int length, long filePosition) {
        long term = buffer.getLong(bodyOffset);
        long index = buffer.getLong(bodyOffset + Long.BYTES);
        byte code = buffer.get(bodyOffset + 2 * Long.BYTES);
        EntryType type = typeOf(code);
        if (type == null || term < 1 || index < 1) {
            return new ReadResult.Corrupt(filePosition, "valid checksum but impossible record: term " + term
                    + ", index " + index + ", type code " + code);
        }
        byte[] payload = new byte[length - FIXED_BODY_BYTES];
        buffer.get(bodyOffset + FIXED_BODY_BYTES, payload);
        LogEntry entry = new LogEntry(term, index, type, Bytes.wrap(payload));
        return new ReadResult.Entry(entry, filePosition + HEADER_BYTES + length);
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
