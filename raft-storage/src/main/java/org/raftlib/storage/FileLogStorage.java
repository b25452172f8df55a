package org.raftlib.storage;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.raftlib.HardState;
import org.raftlib.LogEntry;
import org.raftlib.LogStorage;
import org.raftlib.NodeId;

/**
 * A durable {@link LogStorage} in a directory of segment files, with the hard state in its own file.
 *
 * <p><b>Layout.</b> Segments {@code log-<firstIndex, 20 digits>.seg}, each a checksummed header followed by records
 * {@code length:int32 | crc32c:int32 | syncedEnd:int32 | term:int64 | index:int64 | type:int8 | payload}, the CRC32C
 * covering {@code syncedEnd} to payload; {@code syncedEnd} is the offset up to which the segment was durable when the
 * record was written. New segments are created once the next record would pass
 * {@link FileLogOptions#segmentSizeBytes()} and are preallocated (written full of zeros, not sparse) if
 * {@link FileLogOptions#preallocate()} is set; a zero length marks the clean end. The hard state lives in
 * {@code hardstate}, replaced atomically (write temp, fsync, rename, fsync directory), the id of the node using the
 * directory in {@code node-id}, written once the same way ({@link #bind}). A {@code lock} file keeps a second
 * instance out of the directory. Segments of format version 1 (the previous release: records without
 * {@code syncedEnd}) are read, never written: on open, a version-1 last segment is sealed and a version-2 one started
 * after it.
 *
 * <p><b>Durability.</b> Nothing appended or compacted is durable until {@link #sync()} returns; one {@code sync()}
 * covers any number of earlier writes with a single {@code FileChannel.force} of the active segment (group commit),
 * plus a directory fsync when segments were deleted. {@link #truncateSuffix}, {@link #reset} and
 * {@link #saveHardState} are durable when they return. {@link #open} makes what it recovered durable before returning.
 * A reset writes the new log's first segment as {@code log-<index + 1>.base}, durably, before it deletes the old
 * segments and renames it into place; open finishes a reset whose base file has a valid header, and deletes one
 * whose header is torn (see {@link LogReset}).
 *
 * <p><b>Recovery.</b> After a crash, the last segment may end in a torn record, or, because a disk may persist the
 * pages of one unsynced batch in any order, in a hole (zeros or a bad checksum) followed by complete records. Open
 * truncates the last segment at its first damage, with a WARN naming file, offset and byte count, unless a valid
 * record after it says the segment was durable beyond that offset when it was written: then the damage hit synced
 * data and open refuses with a {@link StorageException} naming file, offset and checksums, as it does for any damage
 * in another segment or the hard state. The file {@code synced} ({@link SyncedMark}) records the last index known
 * durable (raised after each sync, lowered durably before a truncation or reset): open refuses a log that ends before
 * it or holds another term there (a segment cut short, deleted or replaced, damage in the last synced batch). The
 * raise is not forced, so a crash may leave the mark behind, never ahead of, the log; such damage inside the last
 * synced batch cannot be told from a lost unsynced write, and those records are dropped (with the WARN). A
 * version-1 last segment keeps the previous release's rule (any valid record after the damage refuses, so a hole
 * left by out-of-order unsynced writes refuses rather than guesses).
 *
 * <p><b>Threading.</b> Writes come from one thread at a time (the storage worker). {@link #term}, {@link #entries},
 * {@link #firstIndex}, {@link #lastIndex} and {@link #hardState} may be called from any thread at any time: they read
 * an in-memory index of record positions under a read lock (no rescans) and use positional reads on the segment
 * channels. Writers take the write lock while they write records and change that index; {@link #sync()} takes no
 * lock, so readers never wait for its fsync. The exception is a segment roll inside {@link #append}, which holds the
 * write lock across the forces of the full segment, the new segment and the directory (once per segment), and a
 * {@link #reset}, which holds it across its forces (once per installed snapshot). From open
 * and after every roll, a background thread writes the next segment's file ({@code segment.spare}, zeros, flushed in
 * paced chunks) so that the roll only renames it; {@link #close()} stops that thread and waits for it. Blocking:
 * every method may block on disk I/O.
 *
 * <p><b>Failure.</b> If a write or an fsync fails, the storage refuses every later write and {@link #sync()} with an
 * {@link IOException} (an fsync is never retried, because a failed one may have dropped dirty pages). Data synced
 * before the failure stays intact on disk and readable.
 *
 * <p><b>Closing.</b> {@link #close()} is idempotent. Every other method throws {@link IllegalStateException} after it.
 */
public final class FileLogStorage implements LogStorage {

    private final Path dir;
    private final FileLogOptions options;
    private final FileOps ops;
    private final DirectoryLock directoryLock;
    private final int maxBodyBytes;
    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();

    /** Guarded by {@code lock}. Invariant: not empty; consecutive index ranges; the last one is the active segment. */
    private final List<Segment> segments;

    private volatile HardState hardState;
    private volatile boolean closed;

    // Confined to the writing thread.
    private final SegmentWriter writer;
    private final SegmentWriter.Roller roller = this::roll;
    /** The next segment's file, written ahead of time; null when segments are not preallocated. */
    private final SpareSegment spare;
    /** Deletes compacted segments off the writing thread. */
    private final SegmentDeleter deleter;
    private IOException failure;
    /** Segment files were created or deleted since the last directory fsync. */
    private boolean directoryDirty;
    private final SyncedMark mark;

    private FileLogStorage(Path dir, FileLogOptions options, FileOps ops, DirectoryLock directoryLock,
            List<Segment> segments, HardState hardState, SyncedMark mark) {
        this.dir = dir;
        this.options = options;
        this.ops = ops;
        this.directoryLock = directoryLock;
        this.maxBodyBytes = RecordCodec.FIXED_BODY_BYTES + options.maxEntryBytes();
        this.segments = segments;
        this.hardState = hardState;
        this.writer = new SegmentWriter(options);
        this.spare = options.preallocate() ? new SpareSegment(dir, options, ops) : null;
        this.deleter = new SegmentDeleter(dir, ops);
        this.mark = mark;
    }

    /**
     * Opens the log in {@code dir} with {@link FileLogOptions#defaults()}, creating the directory and an empty log
     * if needed, and recovering from a crash (see the class comment).
     *
     * @param dir the storage directory, used by this instance alone
     * @return the open storage
     * @throws StorageException if the directory is locked by another instance, not writable, or holds damaged data
     * @throws IOException if reading or creating files fails
     */
    public static FileLogStorage open(Path dir) throws IOException {
        return open(dir, FileLogOptions.defaults());
    }

    /**
     * Opens the log in {@code dir}, creating the directory and an empty log if needed, and recovering from a crash
     * (see the class comment). Blocks while it scans the segments.
     *
     * @param dir the storage directory, used by this instance alone
     * @param options the settings; the segment size applies to segments created from now on
     * @return the open storage
     * @throws NullPointerException if an argument is null
     * @throws StorageException if the directory is locked by another instance, not writable, or holds damaged data
     * @throws IOException if reading or creating files fails
     */
    public static FileLogStorage open(Path dir, FileLogOptions options) throws IOException {
        return open(dir, options, FileOps.DEFAULT);
    }

    static FileLogStorage open(Path dir, FileLogOptions options, FileOps ops) throws IOException {
        Objects.requireNonNull(dir, "dir");
        Objects.requireNonNull(options, "options");
        return Recovery.open(dir.toAbsolutePath(), options, ops);
    }

    /**
     * Builds the storage once {@link Recovery} has opened and checked the segments, and makes sure the active
     * segment is of the current version.
     */
    static FileLogStorage create(Path dir, FileLogOptions options, FileOps ops, DirectoryLock lock,
            List<Segment> segments, HardState hardState, SyncedMark mark) throws IOException {
        FileLogStorage storage = new FileLogStorage(dir, options, ops, lock, new ArrayList<>(segments), hardState,
                mark);
        try {
            storage.startCurrentVersion();
        } catch (IOException | RuntimeException e) {
            Recovery.closeAll(storage.segments, e);
            mark.close();
            throw e;
        }
        if (storage.spare != null) {
            storage.spare.prepare();
        }
        return storage;
    }

    /** {@inheritDoc} Here {@link FileLogOptions#maxEntryBytes()}. */
    @Override
    public int maxEntryBytes() {
        return options.maxEntryBytes();
    }

    /** Returns the storage directory. */
    public Path directory() {
        return dir;
    }

    /**
     * {@inheritDoc} Records the id in the file {@code node-id} at the first call (see {@link NodeIdentityFile}: a
     * directory holding a log but no such file, from an earlier release, is taken as {@code node}'s).
     *
     * @throws StorageException if the directory belongs to another node, or its {@code node-id} file is damaged
     * @throws NullPointerException if {@code node} is null
     * @throws IllegalStateException if the storage is closed
     * @throws IOException if the file cannot be read or written, or the storage failed earlier
     */
    @Override
    public void bind(NodeId node) throws IOException {
        checkWritable();
        NodeIdentityFile.bind(dir, node, lastIndex() > 0 || !hardState.equals(HardState.INITIAL), ops);
    }

    /**
     * {@inheritDoc}
     *
     * @throws IllegalStateException if the storage is closed
     */
    @Override
    public long firstIndex() {
        lock.readLock().lock();
        try {
            checkOpen();
            return segments.get(0).firstIndex();
        } finally {
            lock.readLock().unlock();
        }
    }

    /**
     * {@inheritDoc}
     *
     * @throws IllegalStateException if the storage is closed
     */
    @Override
    public long lastIndex() {
        lock.readLock().lock();
        try {
            checkOpen();
            return active().lastIndex();
        } finally {
            lock.readLock().unlock();
        }
    }

    /**
     * {@inheritDoc} Answered from memory, without I/O.
     *
     * @throws IndexOutOfBoundsException {@inheritDoc}
     * @throws IllegalStateException if the storage is closed
     */
    @Override
    public long term(long index) {
        lock.readLock().lock();
        try {
            checkOpen();
            Segment first = segments.get(0);
            if (index < first.firstIndex() - 1 || index > active().lastIndex()) {
                throw new IndexOutOfBoundsException("index " + index + " outside [" + (first.firstIndex() - 1) + ", "
                        + active().lastIndex() + "]");
            }
            return Segments.term(segments, index);
        } finally {
            lock.readLock().unlock();
        }
    }

    /**
     * {@inheritDoc} Reads each segment's part of the range with one positional read and checks every record's
     * checksum again.
     *
     * @throws IndexOutOfBoundsException {@inheritDoc}
     * @throws IllegalArgumentException {@inheritDoc}
     * @throws IOException {@inheritDoc}
     * @throws StorageException if a record was damaged on disk since the storage was opened
     * @throws IllegalStateException if the storage is closed
     */
    @Override
    public List<LogEntry> entries(long from, long to, long maxBytes) throws IOException {
        if (from > to) {
            throw new IllegalArgumentException("from (" + from + ") must not exceed to (" + to + ")");
        }
        if (maxBytes < 0) {
            throw new IllegalArgumentException("maxBytes must not be negative: " + maxBytes);
        }
        lock.readLock().lock();
        try {
            checkOpen();
            long first = segments.get(0).firstIndex();
            long last = active().lastIndex();
            if (from < first || to > last + 1) {
                throw new IndexOutOfBoundsException("range [" + from + ", " + to + ") outside [" + first + ", "
                        + (last + 1) + "]");
            }
            return Segments.read(segments, from, to, maxBytes, maxBodyBytes);
        } finally {
            lock.readLock().unlock();
        }
    }

    /**
     * {@inheritDoc} Encodes the entries into one reused direct buffer and writes it with as few calls as the buffer
     * size allows; a segment that fills up is forced and sealed, and a new one created. Not durable until
     * {@link #sync()} returns.
     *
     * @throws IllegalArgumentException if the entries leave a gap, overlap the log or are not consecutive, or an
     *     entry's payload exceeds {@link FileLogOptions#maxEntryBytes()}
     * @throws NullPointerException if {@code entries} or one of its elements is null
     * @throws IllegalStateException if the storage is closed
     * @throws IOException if the change fails, or the storage failed earlier; the storage then refuses writes
     */
    @Override
    public void append(List<LogEntry> entries) throws IOException {
        Objects.requireNonNull(entries, "entries");
        checkWritable();
        SegmentWriter.check(entries, lastIndex() + 1, options.maxEntryBytes());
        if (entries.isEmpty()) {
            return;
        }
        lock.writeLock().lock();
        try {
            writer.write(entries, active(), roller);
        } catch (IOException | RuntimeException e) {
            fail(e);
            throw e;
        } finally {
            lock.writeLock().unlock();
        }
    }

    /**
     * Forces and seals the full active segment and makes the next one, from the spare file if one is ready, durable
     * with its directory entry.
     */
    private Segment roll(Segment full) throws IOException {
        full.seal();
        long first = full.nextIndex();
        long prevTerm = full.term(full.lastIndex());
        Optional<Path> ready = spare != null ? spare.take() : Optional.empty();
        Path path = dir.resolve(Segment.fileName(first));
        Segment next = ready.isPresent() ? Segment.adopt(ready.get(), path, first, prevTerm, ops)
                : Segment.create(path, first, prevTerm, options, ops);
        if (spare != null) {
            spare.prepare();                                 // the one after it, while this one fills
        }
        segments.add(next);
        AtomicFiles.fsyncDirectory(dir, ops);
        directoryDirty = false;
        return next;
    }

    /**
     * Writes only version-2 records: a version-1 active segment (from the previous release, or made active again by
     * a truncation) is sealed and followed by a new segment, or, if empty, gets a version-2 header in place.
     */
    private void startCurrentVersion() throws IOException {
        Segment segment = active();
        if (segment.version() == Segment.VERSION) {
            return;
        }
        if (segment.count() == 0) {
            segment.upgradeEmpty();
        } else {
            roll(segment);
        }
    }

    /**
     * {@inheritDoc} Deletes newer segments whole and cuts the one holding {@code fromIndex}. Unlike appends, a
     * truncation is durable when it returns: the cut is forced with the file's metadata (and the deletions with the
     * directory), so that entries appended later at the same indexes can never sit on disk next to removed ones after
     * a crash (a lost truncation with a new record kept would mix two histories). Truncations are rare.
     *
     * @throws IndexOutOfBoundsException {@inheritDoc}
     * @throws IllegalStateException if the storage is closed
     * @throws IOException if the change fails, or the storage failed earlier; the storage then refuses writes
     */
    @Override
    public void truncateSuffix(long fromIndex) throws IOException {
        checkWritable();
        lock.writeLock().lock();
        try {
            long first = segments.get(0).firstIndex();
            long last = active().lastIndex();
            if (fromIndex < first || fromIndex > last + 1) {
                throw new IndexOutOfBoundsException("fromIndex " + fromIndex + " outside [" + first + ", "
                        + (last + 1) + "]");
            }
            if (fromIndex == last + 1) {
                return;
            }
            mark.lower(fromIndex - 1, term(fromIndex - 1));   // durable before the entries it covers go
            // Newest first, each deletion durable before the next, so a crash never leaves a gap.
            while (segments.size() > 1 && active().firstIndex() > fromIndex) {
                deleteSegment(segments.remove(segments.size() - 1));
            }
            if (directoryDirty) {
                // The deletions must be durable before the cut, or a crash could keep a later segment after a cut
                // one: a gap that would refuse to open.
                AtomicFiles.fsyncDirectory(dir, ops);
                directoryDirty = false;
            }
            active().truncateFrom(fromIndex);
            startCurrentVersion();
        } catch (IOException e) {
            fail(e);
            throw e;
        } finally {
            lock.writeLock().unlock();
        }
    }

    /**
     * {@inheritDoc} Drops, oldest first, the segments that lie entirely at or below {@code upToIndex}, except the
     * active one, and deletes their files in the background ({@link SegmentDeleter}: oldest first, each durable
     * before the next); the remaining first segment's header keeps the term of the entry before it. Returns without
     * waiting for the disk.
     *
     * @throws IndexOutOfBoundsException {@inheritDoc}
     * @throws IllegalStateException if the storage is closed
     * @throws IOException if the storage failed earlier and refuses writes
     */
    @Override
    public void compactPrefix(long upToIndex) throws IOException {
        checkWritable();
        lock.writeLock().lock();
        try {
            long first = segments.get(0).firstIndex();
            long last = active().lastIndex();
            if (upToIndex < first - 1 || upToIndex > last) {
                throw new IndexOutOfBoundsException("upToIndex " + upToIndex + " outside [" + (first - 1) + ", "
                        + last + "]");
            }
            while (segments.size() > 1 && segments.get(1).firstIndex() - 1 <= upToIndex) {
                deleter.delete(segments.remove(0));              // in the background, oldest first
            }
        } finally {
            lock.writeLock().unlock();
        }
    }

    /**
     * {@inheritDoc} Writes the new log's first segment, empty, under a name of its own and forces it with its
     * directory entry (from then on a crash leaves the new log), deletes every segment of the old log, and renames the
     * new one into place, each step durable before the next (see {@link LogReset}). Unsynced appends go with the old
     * log. Readers wait for it (it holds the write lock across three directory fsyncs).
     *
     * @throws IllegalArgumentException if {@code index} or {@code term} is below 1, or {@code index} is
     *     {@link Long#MAX_VALUE}
     * @throws IllegalStateException if the storage is closed
     * @throws IOException if the change fails, or the storage failed earlier; the storage then refuses writes
     */
    @Override
    public void reset(long index, long term) throws IOException {
        if (index < 1 || term < 1 || index == Long.MAX_VALUE) {
            throw new IllegalArgumentException("index (" + index + ") and term (" + term + ") must be at least 1,"
                    + " index below Long.MAX_VALUE");
        }
        checkWritable();
        lock.writeLock().lock();
        try {
            long kept = index - 1;                   // in the old log and the new one, whichever a crash leaves
            if (mark.index() > kept) {
                mark.lower(kept, kept >= segments.get(0).firstIndex() - 1 ? term(kept) : 0);
            }
            Segment base = LogReset.createBase(dir, index + 1, term, options, ops, spare);
            List<Segment> old = List.copyOf(segments);
            segments.clear();
            segments.add(base);                              // the log from the commit point on, even if install fails
            segments.set(0, LogReset.install(dir, base, old, ops));
            directoryDirty = false;
        } catch (IOException | RuntimeException e) {
            fail(e);
            throw e;
        } finally {
            lock.writeLock().unlock();
        }
    }

    private void deleteSegment(Segment segment) throws IOException {
        if (directoryDirty) {
            AtomicFiles.fsyncDirectory(dir, ops);
        }
        segment.delete(ops);
        directoryDirty = true;
    }

    /**
     * Makes every earlier append and compaction durable: one {@code force} of the active segment, and a directory
     * fsync if segment files were deleted since the last one. Records appended from now on say that the segment is
     * durable up to here (see {@link Segment}).
     *
     * @throws IllegalStateException if the storage is closed
     * @throws IOException if the force fails, the segment file is no longer at its path (its directory was deleted,
     *     say), or the storage failed earlier; the storage then refuses writes
     */
    @Override
    public void sync() throws IOException {
        checkWritable();
        try {
            Segment segment = active();
            long end = segment.end();
            segment.channel().force(false);
            segment.checkLinked();
            segment.synced(end);
            mark.raise(segment);
            if (directoryDirty) {
                AtomicFiles.fsyncDirectory(dir, ops);
                directoryDirty = false;
            }
        } catch (IOException e) {
            fail(e);
            throw e;
        }
    }

    /**
     * {@inheritDoc}
     *
     * @throws IllegalStateException if the storage is closed
     */
    @Override
    public HardState hardState() {
        checkOpen();
        return hardState;
    }

    /**
     * Replaces the hard state; durable when this method returns (write temp, fsync, atomic rename, fsync directory).
     *
     * @param state the new hard state
     * @throws NullPointerException if {@code state} is null
     * @throws IllegalStateException if the storage is closed
     * @throws IOException if the write fails or the storage failed earlier; the storage then refuses writes
     */
    @Override
    public void saveHardState(HardState state) throws IOException {
        Objects.requireNonNull(state, "state");
        checkWritable();
        try {
            HardStateFile.save(dir, state, ops);
            hardState = state;
        } catch (IOException e) {
            fail(e);
            throw e;
        }
    }

    /**
     * Closes the segment files and releases the directory lock. Idempotent. Unsynced writes may be lost.
     *
     * @throws IOException if closing a file fails
     */
    @Override
    public void close() throws IOException {
        lock.writeLock().lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            if (spare != null) {
                spare.stop();                                // no writes in the directory once its lock is gone
            }
            deleter.close();
            IOException first = null;
            try {
                mark.close();
            } catch (IOException e) {
                first = e;
            }
            for (Segment s : segments) {
                try {
                    s.close();
                } catch (IOException e) {
                    first = first == null ? e : first;
                }
            }
            directoryLock.close();
            if (first != null) {
                throw first;
            }
        } finally {
            lock.writeLock().unlock();
        }
    }

    private Segment active() {
        return segments.get(segments.size() - 1);
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("FileLogStorage " + dir + " is closed");
        }
    }

    private void checkWritable() throws IOException {
        checkOpen();
        if (failure != null) {
            throw new IOException("FileLogStorage " + dir + " failed earlier and refuses writes", failure);
        }
    }

    /** Marks the storage failed (fail-stop): no write is tried again after a failed one. */
    private void fail(Exception e) {
        if (failure == null) {
            failure = e instanceof IOException io ? io : new IOException(e);
        }
    }

    @Override
    public String toString() {
        return "FileLogStorage[" + dir + "]";
    }
}
