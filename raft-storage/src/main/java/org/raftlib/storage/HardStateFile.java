package org.raftlib.storage;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.raftlib.HardState;
import org.raftlib.NodeId;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The hard state in its own small file {@code hardstate}, replaced atomically through {@link AtomicFiles}.
 *
 * <p>Format version 1: {@code magic:int32 "RHST" | version:int32 = 1 | term:int64 | commit:int64 |
 * votedForLength:int16 (-1 for none) | votedFor:UTF-8 | crc32c:int32 of everything before}.
 *
 * <p>On load: a valid main file wins and a leftover temporary file is deleted. A missing or damaged main file next
 * to a complete, valid temporary file means a crash between the temp file's fsync and the rename: the temporary
 * file is the new state and the replace is finished. Anything else damaged refuses to open, so a caller never sees
 * a mix of two states or an empty one.
 */
final class HardStateFile {

    static final String NAME = "hardstate";

    private static final Logger LOG = LoggerFactory.getLogger(HardStateFile.class);
    private static final int MAGIC = 0x52485354;   // "RHST"
    private static final int VERSION = 1;

    private HardStateFile() {
    }

    static ByteBuffer encode(HardState state) {
        byte[] vote = state.votedFor().map(id -> id.value().getBytes(StandardCharsets.UTF_8)).orElse(new byte[0]);
        ByteBuffer buffer = ByteBuffer.allocate(4 + 4 + 8 + 8 + 2 + vote.length + 4);
        buffer.putInt(MAGIC).putInt(VERSION).putLong(state.term()).putLong(state.commit());
        buffer.putShort(state.votedFor().isPresent() ? (short) vote.length : (short) -1).put(vote);
        buffer.putInt(RecordCodec.checksum(buffer, 0, buffer.position()));
        return buffer.flip();
    }

    /** Decodes {@code bytes}, or returns empty if they are not one complete, valid hard state. */
    static Optional<HardState> decode(byte[] bytes) {
        ByteBuffer buffer = ByteBuffer.wrap(bytes);
        if (bytes.length < 30 || buffer.getInt(0) != MAGIC || buffer.getInt(4) != VERSION) {
            return Optional.empty();
        }
        int voteLength = buffer.getShort(24);
        int end = 26 + Math.max(0, voteLength);
        if (end + 4 != bytes.length || buffer.getInt(end) != RecordCodec.checksum(buffer, 0, end)) {
            return Optional.empty();
        }
        try {
            Optional<NodeId> vote = voteLength < 0 ? Optional.empty()
                    : Optional.of(NodeId.of(new String(bytes, 26, voteLength, StandardCharsets.UTF_8)));
            return Optional.of(new HardState(buffer.getLong(8), vote, buffer.getLong(16)));
        } catch (IllegalArgumentException e) {
            LOG.debug("hard state with a valid checksum but invalid values: {}", e.toString());
            return Optional.empty();
        }
    }

    static boolean exists(Path dir) {
        return Files.exists(dir.resolve(NAME)) || Files.exists(AtomicFiles.tempFor(dir.resolve(NAME)));
    }

    /**
     * Loads the hard state of {@code dir}, finishing an interrupted replace.
     *
     * @return the state, or empty if neither the file nor a temporary file exists
     * @throws StorageException if the main file is damaged and no valid temporary file can stand in for it
     */
    static Optional<HardState> load(Path dir, FileOps ops) throws IOException {
        Path main = dir.resolve(NAME);
        Path temp = AtomicFiles.tempFor(main);
        Optional<HardState> fromMain = Files.exists(main) ? decode(AtomicFiles.read(main)) : Optional.empty();
        if (fromMain.isPresent()) {
            if (ops.deleteIfExists(temp)) {
                LOG.warn("deleted {} left by an interrupted hard state replace", temp);
            }
            return fromMain;
        }
        Optional<HardState> fromTemp = Files.exists(temp) ? decode(AtomicFiles.read(temp)) : Optional.empty();
        if (fromTemp.isPresent()) {
            LOG.warn("finishing an interrupted hard state replace: {} becomes {}", temp, main);
            save(dir, fromTemp.get(), ops);
            return fromTemp;
        }
        if (Files.exists(main)) {
            throw new StorageException("damaged hard state file and no valid temporary file to recover from"
                    + StorageException.REPLACE, main,
                    0);
        }
        if (Files.exists(temp)) {
            LOG.warn("deleting incomplete {} of a first hard state save", temp);
            ops.delete(temp);
        }
        return Optional.empty();
    }

    /** Replaces the hard state of {@code dir} durably. */
    static void save(Path dir, HardState state, FileOps ops) throws IOException {
        AtomicFiles.replace(dir.resolve(NAME), encode(state), ops);
    }
}
