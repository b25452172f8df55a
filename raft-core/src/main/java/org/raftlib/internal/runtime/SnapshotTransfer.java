package org.raftlib.internal.runtime;

import java.io.IOException;
import java.nio.ByteBuffer;
import org.raftlib.ClusterConfig;
import org.raftlib.SnapshotMeta;

/**
 * The byte stream a leader sends in InstallSnapshot chunks (Raft §7): a header with the snapshot's metadata, the
 * state machine's bytes, and a CRC32C of everything before it. The follower checks the checksum before it makes the
 * snapshot durable, so a damaged transfer is restarted, never installed.
 *
 * <p>Header, version 3: {@code magic:int32 "RSXF" | version:int32 = 3 | index:int64 | term:int64 | stateBytes:int64
 * | configIndex:int64 | configLength:int32 | configuration ({@link ClusterConfig#encode()})}. Trailer:
 * {@code crc32c:int32}. Version 2 (a leader of the previous release) is still read: it lacks {@code configIndex},
 * and the configuration is then reported at the snapshot's index.
 */
final class SnapshotTransfer {

    static final int MAGIC = 0x52535846;   // "RSXF"
    static final int VERSION = 3;
    /** The previous version, without the configuration's index: read, never sent. */
    static final int VERSION_2 = 2;
    static final int TRAILER_BYTES = Integer.BYTES;
    /** The longest configuration a follower accepts in a header (it holds the header in memory until complete). */
    static final int MAX_CONFIG_BYTES = 16 << 20;
    private static final int FIXED_HEADER_BYTES = 4 + 4 + 8 + 8 + 8 + 8 + 4;

    private SnapshotTransfer() {
    }

    /** Encodes the header for {@code meta}, whose {@code sizeBytes} is the state's length. */
    static byte[] header(SnapshotMeta meta) {
        byte[] config = meta.config().encode();
        ByteBuffer b = ByteBuffer.allocate(FIXED_HEADER_BYTES + config.length);
        b.putInt(MAGIC).putInt(VERSION).putLong(meta.index()).putLong(meta.term()).putLong(meta.sizeBytes())
                .putLong(meta.configIndex()).putInt(config.length).put(config);
        return b.array();
    }

    /** Returns the length of the whole stream for a snapshot of {@code meta}. */
    static long totalBytes(SnapshotMeta meta) {
        return header(meta).length + meta.sizeBytes() + TRAILER_BYTES;
    }

    /** A decoded header and how many bytes it took. */
    record Header(long index, long term, long stateBytes, ClusterConfig config, long configIndex, int length) {
    }

    /**
     * Returns the length of the header that {@code data} starts with, or -1 if {@code data} is shorter than its fixed
     * part: a configuration of many members makes a header longer than a small chunk, so a follower may need several
     * chunks before it can decode it.
     *
     * @throws IOException if the fixed part is not a valid header's, or announces a configuration above
     *     {@link #MAX_CONFIG_BYTES}
     */
    static int headerLength(byte[] data, int length) throws IOException {
        if (length < 2 * Integer.BYTES) {
            return -1;
        }
        ByteBuffer b = ByteBuffer.wrap(data, 0, length);
        int fixed = fixedBytes(b);
        if (length < fixed) {
            return -1;
        }
        int configLength = b.getInt(fixed - Integer.BYTES);
        if (configLength < 0 || configLength > MAX_CONFIG_BYTES) {
            throw new IOException("impossible snapshot transfer header: a configuration of " + configLength
                    + " bytes (at most " + MAX_CONFIG_BYTES + ")");
        }
        return fixed + configLength;
    }

    /** Checks the magic and version {@code b} starts with; returns the length of that version's fixed part. */
    private static int fixedBytes(ByteBuffer b) throws IOException {
        int magic = b.getInt();
        int version = b.getInt();
        if (magic != MAGIC || (version != VERSION && version != VERSION_2)) {
            throw new IOException("not a snapshot transfer of version " + VERSION + " or " + VERSION_2);
        }
        return version == VERSION ? FIXED_HEADER_BYTES : FIXED_HEADER_BYTES - Long.BYTES;
    }

    /**
     * Decodes a header from the start of {@code data}.
     *
     * @throws IOException if it is not a complete, valid header, or its configuration has no voters
     */
    static Header parseHeader(byte[] data) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(data);
        try {
            boolean withConfigIndex = fixedBytes(b) == FIXED_HEADER_BYTES;
            long index = b.getLong();
            long term = b.getLong();
            long stateBytes = b.getLong();
            long configIndex = withConfigIndex ? b.getLong() : index;
            int configLength = b.getInt();
            if (index < 1 || term < 1 || stateBytes < 0 || configIndex < 0 || configIndex > index || configLength < 0
                    || configLength > b.remaining()) {
                throw new IOException("impossible snapshot transfer header: index " + index + ", term " + term
                        + ", " + stateBytes + " bytes, configuration at " + configIndex + " of " + configLength
                        + " bytes");
            }
            byte[] encoded = new byte[configLength];
            b.get(encoded);
            ClusterConfig config = ClusterConfig.decode(encoded);
            if (config.voters().isEmpty()) {                 // as a configuration entry may not be (AppendEntries)
                throw new IOException("the snapshot's configuration has no voters: " + config);
            }
            return new Header(index, term, stateBytes, config, configIndex, b.position());
        } catch (RuntimeException e) {
            throw new IOException("truncated or malformed snapshot transfer header", e);
        }
    }
}
