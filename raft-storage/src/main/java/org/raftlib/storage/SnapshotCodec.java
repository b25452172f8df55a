package org.raftlib.storage;

import java.io.IOException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.raftlib.ClusterConfig;
import org.raftlib.Member;
import org.raftlib.NodeId;
import org.raftlib.SnapshotMeta;

/**
 * The header of a snapshot file, format version 4, big-endian:
 * {@code magic:int32 "RSNP" | version:int32 = 4 | headerLength:int32 | index:int64 | term:int64 | payloadLength:int64
 * | createdMillis:int64 | payloadCrc32c:int32 | configIndex:int64 | configLength:int32 | configLength bytes of the
 * cluster configuration ({@link ClusterConfig#encode()}) | headerCrc32c:int32}, the last checksum covering every header
 * byte before it. {@code configIndex} is the index of the log entry that holds the configuration (0: the bootstrap
 * one). The payload, exactly {@code payloadLength} bytes, follows the header and ends the file. Snapshots are always
 * written in version 4.
 *
 * <p>Versions 3 and 2 are still read; their configuration is reported at the snapshot's index. Version 3 is version 4
 * without {@code configIndex}. Version 2 is the same up to the payload checksum, then holds only the voters:
 * {@code voterCount:int32 | voterCount × (length:int16 | node id, UTF-8, in id order) | headerCrc32c:int32}. It is
 * read as a configuration of those voters alone, with empty addresses ({@link ClusterConfig#ofVoters}).
 *
 * <p>Version 1 (the store's previous API: a 40-byte header without voters or creation time) is recognised and not
 * read: such a file is reported as unusable, and skipped by {@link FileSnapshotStore#latest()}.
 */
final class SnapshotCodec {

    static final int MAGIC = 0x52534E50;   // "RSNP"
    static final int VERSION = 4;
    /** The version before {@link #VERSION}, without the configuration's index: read, never written. */
    static final int NO_CONFIG_INDEX_VERSION = 3;
    /** The version before that, with voters instead of the configuration: read, never written. */
    static final int VOTERS_VERSION = 2;
    /** The largest header accepted: room for a configuration of many thousands of members. */
    static final int MAX_HEADER_BYTES = 1 << 20;

    /**
     * Bytes before the configuration: magic, version, length, index, term, size, time, crc, configuration index and
     * length.
     */
    private static final int FIXED_BYTES = 3 * Integer.BYTES + 5 * Long.BYTES + 2 * Integer.BYTES;
    /** The shortest header of any version read (2 and 3: no configuration index, nothing after it). */
    private static final int MIN_HEADER_BYTES = FIXED_BYTES - Long.BYTES + Integer.BYTES;

    /** A header read from a file: what the snapshot covers, with its size and time, and the payload checksum. */
    record Header(SnapshotMeta meta, int headerBytes, int payloadCrc) {
    }

    private SnapshotCodec() {
    }

    /** Returns the length of the header of a snapshot whose encoded configuration has {@code configLength} bytes. */
    static long headerBytes(int configLength) {
        return (long) FIXED_BYTES + Integer.BYTES + configLength;
    }

    /**
     * Encodes the header of the completed snapshot {@code meta} whose payload has checksum {@code payloadCrc}.
     *
     * @throws IllegalArgumentException if the header would be larger than {@link #MAX_HEADER_BYTES}
     */
    static ByteBuffer encode(SnapshotMeta meta, int payloadCrc) {
        byte[] config = meta.config().encode();
        long length = headerBytes(config.length);
        if (length > MAX_HEADER_BYTES) {
            throw new IllegalArgumentException("a header of " + length + " bytes is larger than " + MAX_HEADER_BYTES);
        }
        ByteBuffer header = ByteBuffer.allocate((int) length);
        header.putInt(MAGIC).putInt(VERSION).putInt((int) length).putLong(meta.index()).putLong(meta.term())
                .putLong(meta.sizeBytes()).putLong(meta.createdMillis()).putInt(payloadCrc).putLong(meta.configIndex())
                .putInt(config.length).put(config);
        header.putInt(RecordCodec.checksum(header, 0, header.position()));
        return header.flip();
    }

    /**
     * Reads and checks the header of {@code file}, open as {@code channel}, and that the file holds exactly the
     * payload it announces (its checksum is checked while the payload is read).
     *
     * @throws StorageException if the file is not a complete snapshot of version 4, 3 or 2: torn, truncated, damaged
     *     header (an undecodable configuration included), another format version (1 included)
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
        if (version != VERSION && version != NO_CONFIG_INDEX_VERSION && version != VOTERS_VERSION) {
            throw StorageException.unusable("snapshot format version " + version + " is not one this release reads ("
                    + VERSION + ", " + NO_CONFIG_INDEX_VERSION + " or " + VOTERS_VERSION + "; written by a newer"
                    + " release?), at offset 4", file, null);
        }
        Header decoded = decode(header.position(3 * Integer.BYTES), version, file);
        long expectedSize = length + decoded.meta().sizeBytes();
        if (size != expectedSize) {
            throw new StorageException("snapshot file has " + size + " bytes, its header says " + expectedSize
                    + " (truncated or extended)", file, length);
        }
        return decoded;
    }

    /** Decodes the checksummed header of {@code version} from the index on; its values must still make sense. */
    private static Header decode(ByteBuffer header, int version, Path file) throws StorageException {
        int length = header.limit();
        long index = header.getLong();
        long term = header.getLong();
        long payloadLength = header.getLong();
        long created = header.getLong();
        int payloadCrc = header.getInt();
        try {
            long configIndex = version == VERSION ? header.getLong() : index;
            ClusterConfig config = version == VOTERS_VERSION ? voters(header) : config(header, file);
            return new Header(new SnapshotMeta(index, term, config, configIndex, payloadLength, created), length,
                    payloadCrc);
        } catch (IllegalArgumentException | BufferUnderflowException e) {
            throw new StorageException("snapshot header with a valid checksum but impossible values: " + e.getMessage(),
                    file, 0);
        }
    }

    /** Reads the configuration of a version-4 or -3 header; it must end at the header checksum. */
    private static ClusterConfig config(ByteBuffer header, Path file) throws StorageException {
        int configLength = header.getInt();
        if (configLength < 0 || configLength != header.remaining() - Integer.BYTES) {
            throw new IllegalArgumentException("a configuration of " + configLength + " bytes does not end at the"
                    + " checksum, " + (header.remaining() - Integer.BYTES) + " bytes on");
        }
        int offset = header.position();
        byte[] encoded = new byte[configLength];
        header.get(encoded);
        try {
            return ClusterConfig.decode(encoded);
        } catch (IllegalArgumentException e) {
            throw new StorageException("snapshot header with a valid checksum but a cluster configuration of "
                    + configLength + " bytes that does not decode: " + e.getMessage(), file, offset);
        }
    }

    /** Reads the voters of a version-2 header as a configuration of voters without addresses. */
    private static ClusterConfig voters(ByteBuffer header) {
        int count = header.getInt();
        Set<NodeId> voters = new HashSet<>();
        List<Member> members = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            int idLength = header.getShort();
            if (idLength < 1 || idLength > header.remaining() - Integer.BYTES) {
                throw new IllegalArgumentException("voter id length " + idLength);
            }
            byte[] id = new byte[idLength];
            header.get(id);
            NodeId voter = NodeId.of(new String(id, StandardCharsets.UTF_8));
            if (voters.add(voter)) {
                members.add(new Member(voter, ""));
            }
        }
        if (count < 0 || voters.size() != count || header.position() != header.limit() - Integer.BYTES) {
            throw new IllegalArgumentException(count + " voters ending at " + header.position()
                    + ", not at the checksum, or repeated");
        }
        return ClusterConfig.ofVoters(members);
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
