package org.raftlib.storage;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;

/**
 * Reads records from a segment file through one reused buffer, with positional reads only. Used when a segment is
 * opened, to scan it once and build its index. Reports what it finds ({@link ReadResult}); the caller decides
 * policy. Not thread-safe: used by the opening thread only.
 */
final class SegmentReader {

    private static final int CHUNK_BYTES = 1 << 20;

    private final FileChannel channel;
    private final long fileSize;
    private final int maxBodyBytes;
    private ByteBuffer buffer = ByteBuffer.allocate(CHUNK_BYTES);
    /** Invariant: {@code buffer[0, limit)} holds the file bytes {@code [bufferStart, bufferStart + limit)}. */
    private long bufferStart;

    SegmentReader(FileChannel channel, long fileSize, int maxBodyBytes) {
        this.channel = channel;
        this.fileSize = fileSize;
        this.maxBodyBytes = maxBodyBytes;
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
            if (length >= RecordCodec.FIXED_BODY_BYTES && length <= maxBodyBytes) {
                available = fill(position, RecordCodec.HEADER_BYTES + length);
            }
        }
        return RecordCodec.decode(buffer, (int) (position - bufferStart), available, position, maxBodyBytes);
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
     * Returns the offset of the first record after {@code position} that has a valid checksum and an index of at
     * least {@code minIndex}, or -1 if there is none. Tries every byte offset: slow, but only run after damage.
     */
    long findValidRecordAfter(long position, long minIndex) throws IOException {
        for (long p = position + 1; p + RecordCodec.HEADER_BYTES + RecordCodec.FIXED_BODY_BYTES <= fileSize; p++) {
            int available = fill(p, RecordCodec.HEADER_BYTES);
            if (available < RecordCodec.HEADER_BYTES) {
                return -1;
            }
            int length = buffer.getInt((int) (p - bufferStart));
            if (length < RecordCodec.FIXED_BODY_BYTES || length > maxBodyBytes || p + 8 + length > fileSize) {
                continue;
            }
            if (readAt(p) instanceof ReadResult.Entry e && e.entry().index() >= minIndex) {
                return p;
            }
        }
        return -1;
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
