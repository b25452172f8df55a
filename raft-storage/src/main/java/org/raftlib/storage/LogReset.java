package org.raftlib.storage;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Restarts a log just after a snapshot ({@link FileLogStorage#reset}) so that a crash at any point leaves the old log
 * or the new, empty one, and finishes at open a restart that a crash interrupted.
 *
 * <p>The new log's first segment (first index {@code index + 1}, the snapshot's term as {@code prevTerm}, no records;
 * the segment format is unchanged) is written under a name of its own, {@code log-<index + 1, 20 digits>.base}, which
 * is not a segment name:
 * <ol>
 *   <li>{@link #createBase}: create it (from the spare file if one is ready), write its header, force it, fsync the
 *       directory. From here on the reset has happened: this is the commit point.
 *   <li>{@link #install}: delete every segment of the old log, fsync the directory; then rename the base file to
 *       {@code log-<index + 1>.seg} and fsync the directory again.
 * </ol>
 * The old segments are gone before the rename, so its target never names one of them (a reset to the index just
 * before an existing segment's first index reuses that segment's name).
 *
 * <p>At open, {@link #finishInterrupted} runs before the segments are listed. A base file with a valid header means
 * the crash came after the commit point (or during the force that would have made it): the file is forced and the
 * reset finished (steps of {@link #install}, with an INFO). A base file whose header is torn or missing comes from a
 * crash before the commit point: it is deleted (WARN, directory fsync) and the old log stays as it was. A base file
 * that holds records, or restarts the log at an index the synced mark passes, is no reset's: open refuses it.
 */
final class LogReset {

    private static final Logger LOG = LoggerFactory.getLogger(LogReset.class);

    /** Bytes after a base file's header that must be zeros (or absent): more than a record's length field. */
    private static final int RECORD_PROBE_BYTES = 16;

    private LogReset() {
    }

    /**
     * Writes the new log's first segment under its base name, with its file and its directory entry durable: the
     * commit point of a reset. Takes the spare file if one is ready, and starts the next one.
     */
    static Segment createBase(Path dir, long firstIndex, long prevTerm, FileLogOptions options, FileOps ops,
            SpareSegment spare) throws IOException {
        Path path = dir.resolve(Segment.baseFileName(firstIndex));
        Optional<Path> ready = spare != null ? spare.take() : Optional.empty();
        Segment base = ready.isPresent() ? Segment.adopt(ready.get(), path, firstIndex, prevTerm, ops)
                : Segment.create(path, firstIndex, prevTerm, options, ops);
        if (spare != null) {
            spare.prepare();
        }
        try {
            AtomicFiles.fsyncDirectory(dir, ops);
        } catch (IOException | RuntimeException e) {
            base.close();
            throw e;
        }
        return base;
    }

    /**
     * Deletes the segments of the old log ({@code old}, which are closed), then renames {@code base} to its segment
     * name, each step durable (directory fsync) before the next. Returns the base segment under its new name.
     */
    static Segment install(Path dir, Segment base, List<Segment> old, FileOps ops) throws IOException {
        for (Segment s : old) {
            s.delete(ops);
        }
        AtomicFiles.fsyncDirectory(dir, ops);
        Segment installed = base.renameTo(dir.resolve(Segment.fileName(base.firstIndex())), ops);
        AtomicFiles.fsyncDirectory(dir, ops);
        return installed;
    }

    /**
     * Finishes or undoes a reset that a crash interrupted, if the directory holds a base file (see the class
     * comment). Called at open, before the segments are listed.
     *
     * @param syncedMark the index the log was durable up to ({@link SyncedMark}), or -1 if unknown; a reset lowers it
     *     below its snapshot's index before it writes the base file, so a base file for an index at or below it is
     *     no reset's
     * @throws StorageException if there is more than one base file, a base header of an unknown version, or a base
     *     file that is no reset's (holding records, or for an index the synced mark passes); nothing is deleted then
     */
    static void finishInterrupted(Path dir, FileOps ops, long syncedMark) throws IOException {
        List<Path> bases;
        try (Stream<Path> files = Files.list(dir)) {
            bases = files.filter(p -> Segment.parseBaseFirstIndex(p.getFileName().toString()).isPresent()).toList();
        }
        if (bases.isEmpty()) {
            return;
        }
        if (bases.size() > 1) {
            throw new StorageException("more than one log reset in progress: " + bases, dir, -1);
        }
        Path base = bases.get(0);
        long first = Segment.parseBaseFirstIndex(base.getFileName().toString()).getAsLong();
        if (syncedMark > first - 2) {                        // a reset lowers the mark below its index first
            throw new StorageException("a log reset's base file would restart the log after index " + (first - 1)
                    + ", but the log was durable up to index " + syncedMark + " (" + SyncedMark.NAME + "), which a"
                    + " reset lowers before it writes its base file: not finishing it, as that would delete the log"
                    + " (move the file away if it does not belong here)", base, -1);
        }
        if (!forceIfValid(base, first, ops)) {
            LOG.warn("deleting {}: a log reset to index {} that a crash interrupted before its header was durable;"
                    + " the log before it stays", base, first - 1);
            ops.delete(base);
            AtomicFiles.fsyncDirectory(dir, ops);
            return;
        }
        List<Long> old = Segments.firstIndexes(dir);
        LOG.info("finishing a log reset that a crash interrupted: the log restarts after index {}; deleting the {}"
                + " segment(s) of the log before it, from {}", first - 1, old.size(), old);
        AtomicFiles.fsyncDirectory(dir, ops);                // the base file's entry, before the old log goes
        for (long f : old) {
            ops.delete(dir.resolve(Segment.fileName(f)));
        }
        AtomicFiles.fsyncDirectory(dir, ops);
        ops.move(base, dir.resolve(Segment.fileName(first)), StandardCopyOption.ATOMIC_MOVE);
        AtomicFiles.fsyncDirectory(dir, ops);
    }

    /**
     * Returns whether the base file has a valid header, and if so forces it: what a crashed process left in the page
     * cache must be durable before the old log is deleted.
     *
     * @throws StorageException if bytes follow the header: a reset's base never holds records (entries go to it only
     *     once it is renamed), so the file is not one (a segment copied under a base name, say), and finishing the
     *     "reset" would delete the whole log for it
     */
    private static boolean forceIfValid(Path base, long first, FileOps ops) throws IOException {
        try (FileChannel channel = ops.open(base, EnumSet.of(StandardOpenOption.READ, StandardOpenOption.WRITE))) {
            if (!Segment.hasValidHeader(channel, base, first)) {
                return false;
            }
            ByteBuffer next = ByteBuffer.allocate(RECORD_PROBE_BYTES);
            while (next.hasRemaining() && channel.read(next, Segment.HEADER_BYTES + next.position()) >= 0) {
                continue;
            }
            for (int i = 0; i < next.position(); i++) {
                if (next.get(i) != 0) {
                    throw new StorageException("a log reset's base file holds data after its header, which no reset "
                            + "writes; not finishing it, as that would delete the log (move the file away if it does "
                            + "not belong here)", base, Segment.HEADER_BYTES + i);
                }
            }
            channel.force(true);
            return true;
        }
    }
}
