package org.raftlib.storage;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.EnumSet;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The file {@code synced}: an index (with its term) up to which the log is known to have been durable, so that open
 * can tell a log whose synced tail is gone (a segment cut short or deleted, a file replaced by another) from one that
 * lost only unsynced writes in a crash, which leaves no trace the segments could show.
 *
 * <p>Format: {@code magic:int32 "RSYN" | version:int32 = 1 | index:int64 | term:int64 | crc32c:int32 of the 24 bytes
 * before}, 28 bytes written in place at offset 0 (one disk sector).
 *
 * <p>Rules: raised after each {@link FileLogStorage#sync()} once the log's force has returned, without a force of its
 * own, so it never claims more than the log holds durably (a crash may lose the raise: the mark then claims less).
 * Lowered, and forced, before a truncation or a reset removes or replaces an entry it covers. A missing file (a
 * directory of an earlier release, or the file deleted by an operator) or one holding only zeros (a crash while it
 * was first written) is written afresh at open from the recovered log. A damaged one refuses to open: written in
 * place within one sector, it is not torn by a crash, and ignoring it would let a second fault (a cut segment) pass
 * unseen. The mark guards the log; it never decides what the log holds.
 */
final class SyncedMark implements AutoCloseable {

    static final String NAME = "synced";

    private static final Logger LOG = LoggerFactory.getLogger(SyncedMark.class);
    private static final int MAGIC = 0x5253594E;   // "RSYN"
    private static final int VERSION = 1;
    private static final int BYTES = 28;

    private final Path path;
    private final FileChannel channel;
    private final ByteBuffer buffer = ByteBuffer.allocate(BYTES);
    /** The mark as last written or read, or -1 if the file held none. Confined to the writing thread. */
    private long index;
    private long term;

    private SyncedMark(Path path, FileChannel channel, long index, long term) {
        this.path = path;
        this.channel = channel;
        this.index = index;
        this.term = term;
    }

    /**
     * Opens (or creates) the mark of {@code dir} and reads it; a missing, empty or all-zero mark reads as none.
     *
     * @throws StorageException if the file holds anything else than a valid mark
     */
    static SyncedMark open(Path dir, FileOps ops) throws IOException {
        Path path = dir.resolve(NAME);
        FileChannel channel = ops.open(path, EnumSet.of(StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE));
        try {
            ByteBuffer in = ByteBuffer.allocate(BYTES + 1);
            while (in.hasRemaining() && channel.read(in, in.position()) >= 0) {
                continue;
            }
            long size = in.position();
            if (size == BYTES && in.getInt(0) == MAGIC && in.getInt(4) == VERSION && in.getLong(8) >= 0
                    && in.getLong(16) >= 0 && in.getInt(24) == RecordCodec.checksum(in, 0, BYTES - Integer.BYTES)) {
                return new SyncedMark(path, channel, in.getLong(8), in.getLong(16));
            }
            for (int i = 0; i < size; i++) {
                if (in.get(i) != 0) {
                    throw new StorageException("the synced mark is damaged (" + size + " bytes), so whether the log"
                            + " lost synced entries cannot be checked: if the log is known intact, delete this file"
                            + " and the node opens without the check" + StorageException.REPLACE.replace("; ",
                            "; otherwise, "), path, 0);
                }
            }
            return new SyncedMark(path, channel, -1, 0);             // none yet, or zeros: a crash while creating it
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    /**
     * Checks the recovered log against the mark, or, if the file held none, writes one for the recovered log (which
     * open has made durable).
     *
     * @throws StorageException if the log ends before the marked index, or holds another term there
     */
    void check(List<Segment> segments) throws IOException {
        Segment last = segments.get(segments.size() - 1);
        long lastIndex = last.lastIndex();
        if (index < 0) {
            if (lastIndex >= segments.get(0).firstIndex()) {    // entries, but no mark to check their end against
                LOG.warn("{} was missing or empty, so this open could not check that the log's end (index {}) is"
                        + " where it was last synced (a directory of an earlier release, a crash while the file was"
                        + " first written, or the file deleted); written afresh from the log", path, lastIndex);
            }
            channel.truncate(0);
            write(lastIndex, Segments.term(segments, lastIndex), true);
            return;
        }
        if (index > lastIndex) {
            throw new StorageException("the log ends at index " + lastIndex + " but was durable up to index " + index
                    + " (" + path.getFileName() + "): " + (index - lastIndex) + " synced entries are missing from its"
                    + " end (a segment cut short or deleted; the log's last segment is this file)"
                    + StorageException.REPLACE, last.path(), last.end());
        }
        long first = segments.get(0).firstIndex();
        long held = index >= first - 1 ? Segments.term(segments, index) : term;   // compacted: nothing to compare
        if (held != term) {
            throw new StorageException("entry " + index + " has term " + held + " but was synced with term " + term
                    + " (" + path.getFileName() + "): a segment was replaced" + StorageException.REPLACE,
                    (index >= first ? Segments.holding(segments, index) : segments.get(0)).path(), -1);
        }
    }

    /** Returns the marked index, or -1 if the file held no mark. */
    long index() {
        return index;
    }

    /**
     * Refuses to start a new log in a directory whose mark says a log was there.
     *
     * @throws StorageException if the mark is above 0
     */
    void checkNoLogWasHere() throws StorageException {
        if (index > 0) {
            throw new StorageException("the directory holds no log segment and no hard state, but its log was"
                    + " durable up to index " + index + ": the log's files were deleted and the rest kept; to start"
                    + " this node empty, delete the whole directory and rejoin it as a new member (see the README)",
                    path, -1);
        }
    }

    /** Raises the mark to the end of {@code active} after a completed sync; no force. */
    void raise(Segment active) throws IOException {
        long last = active.lastIndex();
        if (last > index) {
            write(last, active.count() > 0 ? active.term(last) : active.prevTerm(), false);
        }
    }

    /**
     * Lowers the mark, durably, to ({@code newIndex}, {@code newTerm}) if it covers {@code newIndex}: called before a
     * change that removes the entries after {@code newIndex} or gives it another term.
     */
    void lower(long newIndex, long newTerm) throws IOException {
        if (index > newIndex || index == newIndex && term != newTerm) {
            write(newIndex, newTerm, true);
        }
    }

    private void write(long newIndex, long newTerm, boolean force) throws IOException {
        buffer.clear();
        buffer.putInt(MAGIC).putInt(VERSION).putLong(newIndex).putLong(newTerm);
        buffer.putInt(RecordCodec.checksum(buffer, 0, BYTES - Integer.BYTES)).flip();
        while (buffer.hasRemaining()) {
            channel.write(buffer, buffer.position());
        }
        if (force) {
            channel.force(true);
        }
        index = newIndex;
        term = newTerm;
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
