package org.raftlib.storage;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.Optional;

/**
 * Reads records of one format version from a segment file through one reused buffer, with positional reads only.
 * Used when a segment is opened, to scan it once and build its index. Reports what it finds ({@link ReadResult}); the
 * caller decides policy. Not thread-safe: used by the opening thread only.
 */
final class SegmentReader {

    private static final int CHUNK_BYTES = 1 << 20;

    /** A valid record at {@code position}, written when the segment was durable up to {@code syncedEnd}. */
    record Witness(long position, long index, int syncedEnd) {
    }

    private final FileChannel channel;
    private final long fileSize;
    private final int maxBodyBytes;
    private final int version;
    private ByteBuffer buffer = ByteBuffer.allocate(CHUNK_BYTES);
    /** Invariant: {@code buffer[0, limit)} holds the file bytes {@code [bufferStart, bufferStart + limit)}. */
    private long bufferStart;

    SegmentReader(FileChannel channel, long fileSize, int maxBodyBytes, int version) {
        this.channel = channel;
        this.fileSize = fileSize;
        this.maxBodyBytes = maxBodyBytes;
        this.version = version;
        this.buffer.limit(0);
    }

    long fileSize() {
        return fileSize;
    }

    /** Reads the record at {@code position}. */
    ReadResult readAt(long position) throws IOException {
        int available = fill(position, RecordCodec.HEADER_BYTES);
        if (available >= Integer.BYTES) {
            int length = buffer.getInt((int) (position - bufferStart));
            if (length >= RecordCodec.fixedBodyBytes(version) && length <= maxBodyBytes) {
                available = fill(position, RecordCodec.HEADER_BYTES + length);
            }
        }
        return RecordCodec.decode(buffer, (int) (position - bufferStart), available, position, maxBodyBytes,
                version);
    }

    /** Returns whether every byte from {@code position} to the end of the file is zero. */
    boolean isZeroFrom(long position) throws IOException {
        long p = position;
        while (p < fileSize) {
            int n = fill(p, (int) Math.min(CHUNK_BYTES, fileSize - p));
            int offset = (int) (p - bufferStart);
            for (int i = 0; i < n; i++) {
                if (buffer.get(offset + i) != 0) {
                    return false;
                }
            }
            p += n;
        }
        return true;
    }

    /**
     * Returns the first record after {@code position} that has a valid checksum, an index of at least
     * {@code minIndex} and a synced end beyond {@code syncedBeyond}: one written after {@code syncedBeyond} was
     * durable. Empty if there is none. Tries every byte offset, jumping over the valid records that do not qualify:
     * slow, but only run after damage.
     */
    Optional<Witness> findRecordSyncedBeyond(long position, long minIndex, long syncedBeyond)
            throws IOException {
        int minBody = RecordCodec.fixedBodyBytes(version);
        long p = position + 1;
        while (p + RecordCodec.HEADER_BYTES + minBody <= fileSize) {
            int available = fill(p, RecordCodec.HEADER_BYTES);
            if (available < RecordCodec.HEADER_BYTES) {
                return Optional.empty();
            }
            int length = buffer.getInt((int) (p - bufferStart));
            if (length >= minBody && length <= maxBodyBytes && p + RecordCodec.HEADER_BYTES + length <= fileSize
                    && readAt(p) instanceof ReadResult.Entry e && e.entry().index() >= minIndex) {
                if (e.syncedEnd() > syncedBeyond) {
                    return Optional.of(new Witness(p, e.entry().index(), e.syncedEnd()));
                }
                p = e.nextPosition();
            } else {
                p++;
            }
        }
        return Optional.empty();
    }

    /** Makes {@code [position, position + wanted)} available in the buffer if the file has it; returns how many. */
    private int fill(long position, int wanted) throws IOException {
        long inFile = Math.max(0, Math.min(wanted, fileSize - position));
        if (position >= bufferStart && position + inFile <= bufferStart + buffer.limit()) {
            return (int) inFile;
        }
        if (buffer.capacity() < inFile) {
            buffer = ByteBuffer.allocate((int) inFile);
        }
        buffer.clear();
        buffer.limit((int) Math.min(buffer.capacity(), fileSize - position));
        bufferStart = position;
        while (buffer.hasRemaining()) {
            if (channel.read(buffer, position + buffer.position()) < 0) {
                break;
            }
        }
        buffer.flip();
        return (int) Math.min(inFile, buffer.limit());
    }
}
