package org.raftlib.runtime;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.raftlib.NodeId;
import org.raftlib.SnapshotMeta;

/**
 * The byte stream a leader sends in InstallSnapshot chunks (Raft §7): a header with the snapshot's metadata, the
 * state machine's bytes, and a CRC32C of everything before it. The follower checks the checksum before it makes the
 * snapshot durable, so a damaged transfer is restarted, never installed.
 *
 * <p>Header, version 1: {@code magic:int32 "RSXF" | version:int32 = 1 | index:int64 | term:int64 | stateBytes:int64
 * | voters:int32 | per voter: length:int16, UTF-8 id}. Trailer: {@code crc32c:int32}.
 */
final class SnapshotTransfer {

    static final int MAGIC = 0x52535846;   // "RSXF"
    static final int VERSION = 1;
    static final int TRAILER_BYTES = Integer.BYTES;
    private static final int FIXED_HEADER_BYTES = 4 + 4 + 8 + 8 + 8 + 4;

    private SnapshotTransfer() {
    }

    /** Encodes the header for {@code meta}, whose {@code sizeBytes} is the state's length. */
    static byte[] header(SnapshotMeta meta) {
        List<byte[]> ids = new ArrayList<>();
        int length = FIXED_HEADER_BYTES;
        for (NodeId v : new TreeSet<>(meta.voters())) {
            byte[] id = v.value().getBytes(StandardCharsets.UTF_8);
            ids.add(id);
            length += Short.BYTES + id.length;
        }
        ByteBuffer b = ByteBuffer.allocate(length);
        b.putInt(MAGIC).putInt(VERSION).putLong(meta.index()).putLong(meta.term()).putLong(meta.sizeBytes())
                .putInt(ids.size());
        for (byte[] id : ids) {
            b.putShort((short) id.length).put(id);
        }
        return b.array();
    }

    /** Returns the length of the whole stream for a snapshot of {@code meta}. */
    static long totalBytes(SnapshotMeta meta) {
        return header(meta).length + meta.sizeBytes() + TRAILER_BYTES;
    }

    /** A decoded header and how many bytes it took. */
    record Header(long index, long term, long stateBytes, Set<NodeId> voters, int length) {
    }

    /**
     * Decodes a header from the start of {@code data}.
     *
     * @throws IOException if it is not a complete, valid header
     */
    static Header parseHeader(byte[] data) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(data);
        try {
            if (b.getInt() != MAGIC || b.getInt() != VERSION) {
                throw new IOException("not a snapshot transfer of version " + VERSION);
            }
            long index = b.getLong();
            long term = b.getLong();
            long stateBytes = b.getLong();
            int count = b.getInt();
            if (index < 1 || term < 1 || stateBytes < 0 || count < 0 || count > 10_000) {
                throw new IOException("impossible snapshot transfer header: index " + index + ", term " + term
                        + ", " + stateBytes + " bytes, " + count + " voters");
            }
            Set<NodeId> voters = new TreeSet<>();
            for (int i = 0; i < count; i++) {
                byte[] id = new byte[b.getShort()];
                b.get(id);
                voters.add(NodeId.of(new String(id, StandardCharsets.UTF_8)));
            }
            return new Header(index, term, stateBytes, voters, b.position());
        } catch (RuntimeException e) {
            throw new IOException("truncated or malformed snapshot transfer header", e);
        }
    }
}
