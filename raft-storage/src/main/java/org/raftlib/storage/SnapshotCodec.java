package org.raftlib.storage;

import java.io.IOException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.raftlib.NodeId;
import org.raftlib.SnapshotMeta;

/**
 * The header of a snapshot file, format version 2, big-endian:
 * {@code magic:int32 "RSNP" | version:int32 = 2 | headerLength:int32 | index:int64 | term:int64 | payloadLength:int64
 * | createdMillis:int64 | payloadCrc32c:int32 | voterCount:int32 | voterCount × (length:int16 | node id, UTF-8, in
 * id order) | headerCrc32c:int32}, the last checksum covering every header byte before it. The payload, exactly
 * {@code payloadLength} bytes, follows the header and ends the file.
 *
 * <p>Version 1 (the store's previous API: a 40-byte header without voters or creation time) is recognised and not
 * read: such a file is reported as unusable, and skipped by {@link FileSnapshotStore#latest()}.
 */
final class SnapshotCodec {

    static final int MAGIC = 0x52534E50;   // "RSNP"
    static final int VERSION = 2;
    /** The largest header accepted: room for about 4,000 voters. */
    static final int MAX_HEADER_BYTES = 1 << 20;

    /** Bytes before the voters: magic, version, header length, index, term, payload length, time, crc, count. */
    private static final int FIXED_BYTES = 3 * Integer.BYTES + 4 * Long.BYTES + 2 * Integer.BYTES;
    private static final int MIN_HEADER_BYTES = FIXED_BYTES + Integer.BYTES;

    /** A header read from a file: what the snapshot covers, with its size and time, and the payload checksum. */
    record Header(SnapshotMeta meta, int headerBytes, int payloadCrc) {
    }

    private SnapshotCodec() {
    }

    /** Returns the length of the header of a snapshot with {@code voters}. */
    static int headerBytes(Set<NodeId> voters) {
        int bytes = MIN_HEADER_BYTES;
        for (NodeId voter : voters) {
            bytes += Short.BYTES + voter.value().getBytes(StandardCharsets.UTF_8).length;
        }
        return bytes;
    }

    /** Encodes the header of the completed snapshot {@code meta} whose payload has checksum {@code payloadCrc}. */
    static ByteBuffer encode(SnapshotMeta meta, int payloadCrc) {
        List<NodeId> voters = meta.voters().stream().sorted().toList();
        int length = headerBytes(meta.voters());
        ByteBuffer header = ByteBuffer.allocate(length);
        header.putInt(MAGIC).putInt(VERSION).putInt(length).putLong(meta.index()).putLong(meta.term())
                .putLong(meta.sizeBytes()).putLong(meta.createdMillis()).putInt(payloadCrc).putInt(voters.size());
        for (NodeId voter : voters) {
            byte[] id = voter.value().getBytes(StandardCharsets.UTF_8);
            header.putShort((short) id.length).put(id);
        }
        header.putInt(RecordCodec.checksum(header, 0, header.position()));
        return header.flip();
    }

    /**
     * Reads and checks the header of {@code file}, open as {@code channel}, and that the file holds exactly the
     * payload it announces (its checksum is checked while the payload is read).
     *
     * @throws StorageException if the file is not a complete version-2 snapshot: torn, truncated, damaged header,
     *     another format version (1 included)
     * @throws IOException if reading fails
     */
    static Header read(FileChannel channel, Path file) throws IOException {
        long size = channel.size();
        if (size < MIN_HEADER_BYTES) {
            throw new StorageException("snapshot file of " + size + " bytes is shorter than a header (torn)", file, 0);
        }
        ByteBuffer start = readAt(channel, 0, 3 * Integer.BYTES);
        if (start.getInt(0) != MAGIC) {
            throw new StorageException(String.format("not a snapshot header: magic 0x%08x", start.getInt(0)), file, 0);
        }
        int version = start.getInt(4);
        if (version == 1) {
            throw new StorageException("snapshot format version 1 (the previous API, without voters) is not read",
                    file, 4);
        }
        if (version != VERSION) {
            throw new StorageException("snapshot format version " + version + " is not one this release reads ("
                    + VERSION + ")", file, 4);
        }
        int length = start.getInt(8);
        if (length < MIN_HEADER_BYTES || length > MAX_HEADER_BYTES || length > size) {
            throw new StorageException("impossible header length " + length + " in a file of " + size + " bytes",
                    file, 8);
        }
        ByteBuffer header = readAt(channel, 0, length);
        int expected = header.getInt(length - Integer.BYTES);
        int actual = RecordCodec.checksum(header, 0, length - Integer.BYTES);
        if (expected != actual) {
            throw new StorageException(String.format("snapshot header checksum mismatch: expected crc32c 0x%08x,"
                    + " actual 0x%08x", expected, actual), file, 0);
        }
        Header decoded = decode(header.position(3 * Integer.BYTES), file);
        long expectedSize = length + decoded.meta().sizeBytes();
        if (size != expectedSize) {
            throw new StorageException("snapshot file has " + size + " bytes, its header says " + expectedSize
                    + " (truncated or extended)", file, length);
        }
        return decoded;
    }

    /** Decodes the checksummed header from the index on; its values must still make sense. */
    private static Header decode(ByteBuffer header, Path file) throws StorageException {
        int length = header.limit();
        long index = header.getLong();
        long term = header.getLong();
        long payloadLength = header.getLong();
        long created = header.getLong();
        int payloadCrc = header.getInt();
        int count = header.getInt();
        Set<NodeId> voters = new HashSet<>();
        try {
            for (int i = 0; i < count; i++) {
                int idLength = header.getShort();
                if (idLength < 1 || idLength > header.remaining() - Integer.BYTES) {
                    throw new IllegalArgumentException("voter id length " + idLength);
                }
                byte[] id = new byte[idLength];
                header.get(id);
                voters.add(NodeId.of(new String(id, StandardCharsets.UTF_8)));
            }
            if (count < 0 || voters.size() != count || header.position() != length - Integer.BYTES) {
                throw new IllegalArgumentException(count + " voters ending at " + header.position()
                        + ", not at the checksum, or repeated");
            }
            return new Header(new SnapshotMeta(index, term, voters, payloadLength, created), length, payloadCrc);
        } catch (IllegalArgumentException | BufferUnderflowException e) {
            throw new StorageException("snapshot header with a valid checksum but impossible values: " + e.getMessage(),
                    file, 0);
        }
    }

    private static ByteBuffer readAt(FileChannel channel, long position, int length) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate(length);
        while (buffer.hasRemaining()) {
            if (channel.read(buffer, position + buffer.position()) < 0) {
                throw new IOException("unexpected end of file at " + (position + buffer.position()));
            }
        }
        return buffer.flip();
    }
}
