package org.raftlib.storage;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;
import org.raftlib.NodeId;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node a log directory belongs to, in its own small file {@code node-id}: written once, at the first
 * {@link FileLogStorage#bind bind}, through {@link AtomicFiles} (temporary file, fsync, rename, directory fsync), and
 * only read after that.
 *
 * <p>Format version 1: {@code magic:int32 "RNID" | version:int32 = 1 | idLength:int16 | id:UTF-8 | crc32c:int32 of
 * everything before}.
 *
 * <p>Crashes. The file only appears by the rename of a complete, forced temporary file, and a node writes nothing
 * else before its bind has returned, so a crash during the first bind leaves: no file (nothing recorded; the next
 * bind records its node), a torn temporary file (deleted, as if nothing was recorded), a complete temporary file (the
 * rename is finished: the directory belongs to that node), or the file. A {@code node-id} file that does not decode
 * is damage, not a crash, and refuses. A directory that holds a log but no file (from a release before this file) is
 * taken as the binding node's, at INFO: nothing can tell whose it was.
 */
final class NodeIdentityFile {

    static final String NAME = "node-id";

    private static final Logger LOG = LoggerFactory.getLogger(NodeIdentityFile.class);
    private static final int MAGIC = 0x524E4944;   // "RNID"
    private static final int VERSION = 1;
    private static final int HEADER_BYTES = 4 + 4 + 2;

    private NodeIdentityFile() {
    }

    static ByteBuffer encode(NodeId node) {
        byte[] id = node.value().getBytes(StandardCharsets.UTF_8);
        ByteBuffer buffer = ByteBuffer.allocate(HEADER_BYTES + id.length + 4);
        buffer.putInt(MAGIC).putInt(VERSION).putShort((short) id.length).put(id);
        buffer.putInt(RecordCodec.checksum(buffer, 0, buffer.position()));
        return buffer.flip();
    }

    /** Decodes {@code bytes}, or returns empty if they are not one complete, valid node id. */
    static Optional<NodeId> decode(byte[] bytes) {
        ByteBuffer buffer = ByteBuffer.wrap(bytes);
        if (bytes.length < HEADER_BYTES + 4 || buffer.getInt(0) != MAGIC || buffer.getInt(4) != VERSION) {
            return Optional.empty();
        }
        int end = HEADER_BYTES + buffer.getShort(8);
        if (end + 4 != bytes.length || buffer.getInt(end) != RecordCodec.checksum(buffer, 0, end)) {
            return Optional.empty();
        }
        try {
            return Optional.of(NodeId.of(new String(bytes, HEADER_BYTES, end - HEADER_BYTES, StandardCharsets.UTF_8)));
        } catch (IllegalArgumentException e) {
            LOG.debug("node id with a valid checksum but an invalid value: {}", e.toString());
            return Optional.empty();
        }
    }

    /**
     * Records {@code node} as the owner of {@code dir} if no node is recorded, or checks that it is the one recorded.
     * When it refuses, it changes nothing in {@code dir} (but for finishing a first write a crash interrupted).
     *
     * @param holdsData whether the directory holds a log or a hard state (for the log line of an adoption)
     * @throws StorageException if another node is recorded, or the file is damaged
     * @throws NullPointerException if {@code node} is null
     * @throws IOException if the file cannot be read or written
     */
    static void bind(Path dir, NodeId node, boolean holdsData, FileOps ops) throws IOException {
        Objects.requireNonNull(node, "node");
        Path main = dir.resolve(NAME);
        Optional<NodeId> recorded = load(dir, node, ops);
        if (recorded.isEmpty()) {
            AtomicFiles.replace(main, encode(node), ops);
            if (holdsData) {
                LOG.warn("{} holds a log but no {} file (written by an earlier raftlib release, or deleted): taken as"
                        + " node {}'s, recorded in {}; if it was another node's, stop {} now and replace the member:"
                        + " that node's vote and log are not {}'s", dir, NAME, node, main, node, node);
            } else {
                LOG.debug("recorded node {} in {}", node, main);
            }
        } else if (!recorded.get().equals(node)) {
            throw StorageException.unusable("log directory " + dir + " belongs to node " + recorded.get() + ", not to "
                    + node + ": start " + node + " on its own directory (and " + recorded.get() + " on this one); a"
                    + " new member starts on an empty directory (see the README); the directory was left unchanged",
                    main, null);
        }
    }

    /** Loads the recorded node, finishing the rename of a complete temporary file and deleting a torn one. */
    private static Optional<NodeId> load(Path dir, NodeId binding, FileOps ops) throws IOException {
        Path main = dir.resolve(NAME);
        Path temp = AtomicFiles.tempFor(main);
        if (Files.exists(main)) {
            byte[] bytes = AtomicFiles.read(main);
            Optional<NodeId> recorded = decode(bytes);
            if (recorded.isEmpty()) {
                throw new StorageException("the file naming the node this log directory belongs to is damaged ("
                        + bytes.length + " bytes), so the directory cannot be checked against node " + binding
                        + ": if you know it is " + binding + "'s, delete this file and " + binding + " records its"
                        + " id again" + StorageException.REPLACE.replace("; ", "; otherwise, "), main, 0);
            }
            if (ops.deleteIfExists(temp)) {
                LOG.warn("deleted {} left next to {}", temp, main);
            }
            return recorded;
        }
        if (!Files.exists(temp)) {
            return Optional.empty();
        }
        Optional<NodeId> fromTemp = decode(AtomicFiles.read(temp));
        if (fromTemp.isPresent()) {
            LOG.warn("finishing an interrupted first write of {}: {} becomes {}", NAME, temp, main);
            AtomicFiles.replace(main, encode(fromTemp.get()), ops);
        } else {
            LOG.warn("deleting incomplete {} of an interrupted first write of {}", temp, NAME);
            ops.delete(temp);
        }
        return fromTemp;
    }
}
