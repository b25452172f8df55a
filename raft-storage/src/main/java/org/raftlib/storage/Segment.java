package org.raftlib.storage;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import org.raftlib.LogEntry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One segment file {@code log-<firstIndex, 20 digits>.seg}: a 32-byte header, then records as {@link RecordCodec}
 * writes them, then either the end of the file or zeros (a preallocated, unused tail).
 *
 * <p>Header: {@code magic:int32 "RLOG" | version:int32 | firstIndex:int64 | prevTerm:int64 (term of firstIndex - 1)
 * | reserved:int32 = 0 | crc32c:int32 of the 28 bytes before}. Keeping {@code prevTerm} in the header keeps the term
 * of the entry before the first one answerable after older segments are deleted. The version gives the record
 * format: 1 (the previous release; read only, a version-1 segment is never written again) or 2 (records carry the
 * synced end).
 *
 * <p>The synced end is the offset up to which the file is known durable: the header's end once the segment is
 * created, the end of the records at each completed force ({@link #synced}), the cut after a truncation (which is
 * forced). Every version-2 record carries the synced end of the moment it was written, so a record found after
 * damage tells whether the damaged bytes were durable before it was written. That is the recovery rule of
 * {@link #open} for the last segment: damage that a later record vouches for was synced (refuse); damage that no
 * record vouches for was never synced (a torn or out-of-order unsynced write: truncate).
 *
 * <p>Holds an index of its records: {@code positions[i]} is the offset of the record with index {@code firstIndex
 * + i}, and {@code positions[count]} the end of the last one; {@code terms[i]} is that record's term. Invariant:
 * {@code HEADER_BYTES <= positions[0] <= ... <= positions[count] <= fileSize}, and {@code HEADER_BYTES <= syncedEnd
 * <= positions[count]}. Mutated only by the writer thread under the storage's write lock; read under its read lock.
 */
final class Segment {

    static final int HEADER_BYTES = 32;
    static final int MAGIC = 0x524C4F47;   // "RLOG"
    /** The version written: 2, records with their synced end. Version 1 (no synced end) is read only. */
    static final int VERSION = 2;

    private static final Logger LOG = LoggerFactory.getLogger(Segment.class);
    private static final String PREFIX = "log-";
    private static final String SUFFIX = ".seg";
    /** The suffix of a new log's first segment while {@link LogReset} puts it in place of the old log. */
    private static final String BASE_SUFFIX = ".base";
    private static final int ZERO_FILL_CHUNK = 1 << 20;
    private static final long SPARE_PACING_NANOS = 2_000_000;

    private final Path path;
    private final long firstIndex;
    private final long prevTerm;
    private final FileChannel channel;
    /** The file's identity (device and inode on Linux) when this object was made, null if unknown: see checkLinked. */
    private final Object fileKey;
    /** The record format; becomes {@link #VERSION} when an empty version-1 segment is upgraded. */
    private int version;
    /** Invariant: the file is durable up to here. Confined to the writing thread. */
    private int syncedEnd = HEADER_BYTES;
    private int count;
    private int[] positions = new int[1024];
    private long[] terms = new long[1024];
    private long fileSize;

    /** A header read from a file. */
    private record Header(int version, long prevTerm) {
    }

    private Segment(Path path, long firstIndex, Header header, FileChannel channel, long fileSize) {
        this.path = path;
        this.firstIndex = firstIndex;
        this.prevTerm = header.prevTerm();
        this.version = header.version();
        this.channel = channel;
        this.fileSize = fileSize;
        this.positions[0] = HEADER_BYTES;
        this.fileKey = fileKey(path);
    }

    private static Object fileKey(Path path) {
        try {
            return readFileKey(path);
        } catch (IOException e) {
            return null;                                      // not checked then
        }
    }

    private static Object readFileKey(Path path) throws IOException {
        return Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).fileKey();
    }

    /**
     * Fails if the file is no longer at its path: its directory or the file itself was deleted, moved or replaced
     * while the log used it. Writes and forces of the open file still succeed then, so a node that went on would
     * acknowledge entries that a restart cannot find (an outside probe deleted a follower's data directory while it
     * ran, and 50 acknowledged writes were lost once the other copies were gone).
     *
     * @throws IOException if the path no longer leads to this file
     */
    void checkLinked() throws IOException {
        if (fileKey == null) {
            return;
        }
        Object now;
        try {
            now = readFileKey(path);
        } catch (NoSuchFileException e) {
            throw new IOException("the log segment " + path + " no longer exists: its directory or the file was "
                    + "deleted or moved while in use; stopping, since entries written to it would not be found after "
                    + "a restart", e);
        }
        if (!fileKey.equals(now)) {
            throw new IOException("the log segment " + path + " was replaced by another file while in use; "
                    + "stopping, since entries written to it would not be found after a restart");
        }
    }

    static String fileName(long firstIndex) {
        return String.format("%s%020d%s", PREFIX, firstIndex, SUFFIX);
    }

    /** Returns the name of a reset's new first segment before it is renamed to {@link #fileName}. */
    static String baseFileName(long firstIndex) {
        return String.format("%s%020d%s", PREFIX, firstIndex, BASE_SUFFIX);
    }

    /** Returns the first index a segment file name declares, if {@code name} is one. */
    static OptionalLong parseFirstIndex(String name) {
        return parse(name, SUFFIX);
    }

    /** Returns the first index a reset's base file name ({@link #baseFileName}) declares, if {@code name} is one. */
    static OptionalLong parseBaseFirstIndex(String name) {
        return parse(name, BASE_SUFFIX);
    }

    private static OptionalLong parse(String name, String suffix) {
        if (!name.startsWith(PREFIX) || !name.endsWith(suffix)
                || name.length() != PREFIX.length() + 20 + suffix.length()) {
            return OptionalLong.empty();
        }
        String digits = name.substring(PREFIX.length(), name.length() - suffix.length());
        if (!digits.chars().allMatch(Character::isDigit)) {
            return OptionalLong.empty();
        }
        return OptionalLong.of(Long.parseLong(digits));
    }

    /**
     * Creates a new segment file at {@code path} with its header and, if asked, preallocated to
     * {@code segmentSizeBytes}, and forces it. The caller fsyncs the directory.
     */
    static Segment create(Path path, long firstIndex, long prevTerm, FileLogOptions options, FileOps ops)
            throws IOException {
        FileChannel channel = ops.open(path, EnumSet.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.READ,
                StandardOpenOption.WRITE));
        try {
            writeFully(channel, encodeHeader(firstIndex, prevTerm), 0);
            long size = HEADER_BYTES;
            if (options.preallocate() && options.segmentSizeBytes() > HEADER_BYTES) {
                size = options.segmentSizeBytes();
                zeroFill(channel, HEADER_BYTES, size, false, () -> false);
            }
            channel.force(true);
            return new Segment(path, firstIndex, new Header(VERSION, prevTerm), channel, size);
        } catch (IOException e) {
            abandon(path, channel, ops, e);
            throw AtomicFiles.naming(e, "cannot create the log segment " + path);
        } catch (RuntimeException e) {
            abandon(path, channel, ops, e);
            throw e;
        }
    }

    /** Closes and deletes a segment whose creation failed: nothing refers to it, and its zeros filled the disk. */
    private static void abandon(Path path, FileChannel channel, FileOps ops, Exception failure) {
        for (Closeable step : new Closeable[] {channel, () -> ops.deleteIfExists(path)}) {
            try {
                step.close();
            } catch (IOException e) {
                failure.addSuppressed(e);
            }
        }
    }

    /**
     * Writes a spare segment file: {@code segmentSizeBytes} of zeros, forced, ready for {@link #adopt}. Replaces a
     * file left at {@code path}. Returns false, leaving a partial file, if {@code stop} turned true first.
     */
    static boolean createSpare(Path path, FileLogOptions options, FileOps ops, BooleanSupplier stop)
            throws IOException {
        try (FileChannel channel = ops.open(path, EnumSet.of(StandardOpenOption.CREATE,
                StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE))) {
            if (!zeroFill(channel, 0, options.segmentSizeBytes(), true, stop)) {
                return false;
            }
            channel.force(true);
            return true;
        }
    }

    /**
     * Turns a spare file from {@link #createSpare} into the segment starting at {@code firstIndex}: renames it to
     * {@code path} and writes the header into its zeros. The caller fsyncs the directory. A crash before the header
     * is durable leaves a last segment with a zero header, which {@link #open} deletes as a torn new segment.
     */
    static Segment adopt(Path spare, Path path, long firstIndex, long prevTerm, FileOps ops) throws IOException {
        ops.move(spare, path, StandardCopyOption.ATOMIC_MOVE);
        FileChannel channel = ops.open(path, EnumSet.of(StandardOpenOption.READ, StandardOpenOption.WRITE));
        try {
            writeFully(channel, encodeHeader(firstIndex, prevTerm), 0);
            channel.force(false);
            return new Segment(path, firstIndex, new Header(VERSION, prevTerm), channel, channel.size());
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    /**
     * Writes real zeros over {@code [from, to)} instead of leaving a hole: appends then overwrite allocated,
     * written blocks, so a sync has only data to flush. Appending into a hole (a sparse file) or into unwritten
     * extents allocates or converts blocks, metadata that every {@code fdatasync} must then commit through the
     * file system's journal. {@code paced} (for work in the background) flushes each chunk and pauses after it, so
     * the log's own syncs never queue behind one large flush. Returns false if {@code stop} turned true first.
     */
    private static boolean zeroFill(FileChannel channel, long from, long to, boolean paced, BooleanSupplier stop)
            throws IOException {
        ByteBuffer zeros = ByteBuffer.allocateDirect(ZERO_FILL_CHUNK);
        for (long pos = from; pos < to; pos += ZERO_FILL_CHUNK) {
            if (stop.getAsBoolean()) {
                return false;
            }
            zeros.clear().limit((int) Math.min(ZERO_FILL_CHUNK, to - pos));
            writeFully(channel, zeros, pos);
            if (paced) {
                channel.force(false);
                LockSupport.parkNanos(SPARE_PACING_NANOS);
            }
        }
        return true;
    }

    static ByteBuffer encodeHeader(long firstIndex, long prevTerm) {
        return encodeHeader(firstIndex, prevTerm, VERSION);
    }

    static ByteBuffer encodeHeader(long firstIndex, long prevTerm, int version) {
        ByteBuffer header = ByteBuffer.allocate(HEADER_BYTES);
        header.putInt(MAGIC).putInt(version).putLong(firstIndex).putLong(prevTerm).putInt(0);
        header.putInt(RecordCodec.checksum(header, 0, HEADER_BYTES - Integer.BYTES));
        return header.flip();
    }

    /**
     * Opens an existing segment and indexes its records, applying the recovery policy. A sealed (not last) segment
     * must be intact. In the last segment, damage (a torn record, a bad checksum, a hole of zeros, an unexpected
     * index) is where the unsynced writes of the last batches may start: the segment is truncated there (WARN with
     * file, offset and byte count) unless a valid record after it vouches that it was synced (version 2: a record
     * whose synced end lies beyond it; version 1: any valid record) or the entry due there is at or below
     * {@code syncedIndex} (the {@link SyncedMark}), which refuses with a {@link StorageException}.
     * A header-less last segment with no valid record, left by a crash while it was being created, is deleted (and
     * the directory forced), unless the synced mark reaches into it: it held durable entries, and open refuses. The
     * last segment is forced once opened, so that what a crashed process left in the page cache is durable before
     * anything is written after it.
     *
     * @return the segment, or empty if it was a torn new last segment and has been deleted
     */
    static Optional<Segment> open(Path path, long expectedFirstIndex, boolean last, long syncedIndex,
            FileLogOptions options, FileOps ops) throws IOException {
        FileChannel channel = ops.open(path, EnumSet.of(StandardOpenOption.READ, StandardOpenOption.WRITE));
        try {
            int maxBody = RecordCodec.FIXED_BODY_BYTES + options.maxEntryBytes();
            long size = channel.size();
            Optional<Header> header = readHeader(channel, path, expectedFirstIndex);
            if (header.isEmpty()) {
                if (last && syncedIndex >= expectedFirstIndex) {   // it held synced entries: no crash's new file
                    throw new StorageException("bad segment header, yet the log was durable up to index " + syncedIndex
                            + " (" + SyncedMark.NAME + "), in this segment: not a file a crash left while creating it"
                            + " (left as it is)" + StorageException.REPLACE, path, 0);
                }
                if (last && !hasValidRecord(channel, size, maxBody, expectedFirstIndex)) {
                    LOG.warn("deleting segment {} with a torn header ({} bytes), left by a crash while creating it",
                            path, size);
                    channel.close();
                    ops.delete(path);
                    AtomicFiles.fsyncDirectory(path.getParent(), ops);    // or it could reappear after the next roll
                    return Optional.empty();
                }
                throw new StorageException("bad segment header" + StorageException.REPLACE, path, 0);
            }
            Segment segment = new Segment(path, expectedFirstIndex, header.get(), channel, size);
            segment.recover(new SegmentReader(channel, size, maxBody, header.get().version()), last, syncedIndex);
            return Optional.of(segment);
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    /** Returns whether the file holds a valid record of either format at any offset. */
    private static boolean hasValidRecord(FileChannel channel, long size, int maxBody, long minIndex)
            throws IOException {
        for (int v = 1; v <= VERSION; v++) {
            if (new SegmentReader(channel, size, maxBody, v).findRecordSyncedBeyond(-1, minIndex, -1).isPresent()) {
                return true;
            }
        }
        return false;
    }

    /**
     * Returns whether {@code path} starts with a valid header for {@code expectedFirstIndex}.
     *
     * @throws StorageException if the header is valid but of a version this release cannot read
     */
    static boolean hasValidHeader(FileChannel channel, Path path, long expectedFirstIndex) throws IOException {
        return readHeader(channel, path, expectedFirstIndex).isPresent();
    }

    /** Reads a valid header; empty if it is torn or damaged; refuses a version this release cannot read. */
    private static Optional<Header> readHeader(FileChannel channel, Path path, long expectedFirstIndex)
            throws IOException {
        if (channel.size() < HEADER_BYTES) {
            return Optional.empty();
        }
        ByteBuffer header = ByteBuffer.allocate(HEADER_BYTES);
        while (header.hasRemaining() && channel.read(header, header.position()) >= 0) {
            continue;
        }
        if (header.getInt(0) != MAGIC || header.getLong(8) != expectedFirstIndex
                || header.getInt(28) != RecordCodec.checksum(header, 0, HEADER_BYTES - Integer.BYTES)) {
            return Optional.empty();
        }
        int version = header.getInt(4);
        if (version < 1 || version > VERSION) {
            throw StorageException.unusable("segment format version " + version + " is not one this release reads (1"
                    + " to " + VERSION + "; written by a newer release?), at offset 4", path, null);
        }
        return Optional.of(new Header(version, header.getLong(16)));
    }

    private void recover(SegmentReader reader, boolean last, long syncedIndex) throws IOException {
        scan(reader, last, syncedIndex);
        if (last) {
            channel.force(true);
        }
        syncedEnd = positions[count];
    }

    private void scan(SegmentReader reader, boolean last, long syncedIndex) throws IOException {
        long position = HEADER_BYTES;
        while (true) {
            ReadResult result = reader.readAt(position);
            if (result instanceof ReadResult.Entry e) {
                if (e.entry().index() != nextIndex()) {
                    damaged(reader, last, syncedIndex, position, "record has index " + e.entry().index() + " where "
                            + nextIndex() + " was expected", false);
                    return;
                }
                addRecord((int) (e.nextPosition() - position), e.entry().term());
                position = e.nextPosition();
            } else if (result instanceof ReadResult.End) {
                if (!reader.isZeroFrom(position)) {
                    damaged(reader, last, syncedIndex, position, "non-zero bytes after the end of the records", false);
                }
                return;
            } else if (result instanceof ReadResult.TornTail) {
                damaged(reader, last, syncedIndex, position, "file ends inside a record", false);
                return;
            } else {
                ReadResult.Corrupt c = (ReadResult.Corrupt) result;
                damaged(reader, last, syncedIndex, position, c.reason(), c.aboveLimit());
                return;
            }
        }
    }

    /**
     * Applies the policy for damage at {@code position}: refuse in a sealed segment, where the synced mark covers the
     * entry due there, or where a later record vouches that it was synced; else truncate the unsynced tail of the
     * last segment there, durably.
     */
    private void damaged(SegmentReader reader, boolean last, long syncedIndex, long position, String reason,
            boolean aboveLimit) throws IOException {
        String advice = aboveLimit ? "" : StorageException.REPLACE;  // above a lowered limit: the reason advises
        if (!last) {
            throw new StorageException((aboveLimit ? "" : "corrupt record in sealed segment: ") + reason + advice,
                    path, position);
        }
        Optional<SegmentReader.Witness> witness = reader.findRecordSyncedBeyond(position, nextIndex(), position);
        if (witness.isPresent()) {
            SegmentReader.Witness w = witness.get();
            throw new StorageException("corrupt record in synced data of the last segment: " + reason + "; "
                    + (version == 1 ? "a valid record follows at offset " + w.position() + " (version-1 segment)"
                    : "record " + w.index() + " at offset " + w.position() + " was written when the segment was"
                    + " durable up to offset " + w.syncedEnd()) + advice, path, position);
        }
        if (nextIndex() <= syncedIndex) {
            throw new StorageException("corrupt record in synced data of the last segment: " + reason + "; the log"
                    + " was durable up to index " + syncedIndex + " (" + SyncedMark.NAME + ") and this is entry "
                    + nextIndex() + advice, path, position);
        }
        LOG.warn("truncating the unsynced tail of {} at offset {}: discarding {} bytes ({})", path, position,
                reader.fileSize() - position, reason);
        channel.truncate(position);
        channel.force(true);
        fileSize = position;
    }

    Path path() {
        return path;
    }

    long firstIndex() {
        return firstIndex;
    }

    long prevTerm() {
        return prevTerm;
    }

    long lastIndex() {
        return firstIndex + count - 1;
    }

    long nextIndex() {
        return firstIndex + count;
    }

    int count() {
        return count;
    }

    /** Returns the offset just after the last record: where the next one goes. */
    long end() {
        return positions[count];
    }

    long fileSize() {
        return fileSize;
    }

    FileChannel channel() {
        return channel;
    }

    /** Returns the term of {@code index}, which must be in this segment. */
    long term(long index) {
        return terms[(int) (index - firstIndex)];
    }

    int version() {
        return version;
    }

    /** Returns the offset up to which the file is known durable. */
    int syncedEnd() {
        return syncedEnd;
    }

    /** Records that a force completed which covered every write up to {@code end}. */
    void synced(long end) {
        syncedEnd = (int) end;
    }

    /** Returns {@link LogEntry#sizeBytes()} of the entry at {@code index}, from the index alone. */
    long entrySizeBytes(long index) {
        int i = (int) (index - firstIndex);
        int overhead = RecordCodec.HEADER_BYTES + RecordCodec.fixedBodyBytes(version);
        int payload = positions[i + 1] - positions[i] - overhead;
        return 24L + payload;
    }

    /** Records that a record of {@code recordBytes} with {@code term} now follows the last one. */
    void addRecord(int recordBytes, long term) {
        if (count + 1 >= positions.length) {
            positions = Arrays.copyOf(positions, positions.length * 2);
            terms = Arrays.copyOf(terms, terms.length * 2);
        }
        terms[count] = term;
        positions[count + 1] = positions[count] + recordBytes;
        count++;
        fileSize = Math.max(fileSize, positions[count]);
    }

    /** Writes all of {@code buffer} at {@code position}; a failure names the segment (a full or read-only disk). */
    void write(ByteBuffer buffer, long position) throws IOException {
        try {
            writeFully(channel, buffer, position);
        } catch (IOException e) {
            throw AtomicFiles.naming(e, "cannot write the log segment " + path);
        }
    }

    private static void writeFully(FileChannel channel, ByteBuffer buffer, long position) throws IOException {
        long p = position;
        while (buffer.hasRemaining()) {
            p += channel.write(buffer, p);
        }
    }

    /** Reads {@code n} entries starting at {@code from} into {@code out}, checking each record's checksum again. */
    void read(long from, int n, List<LogEntry> out, int maxBodyBytes) throws IOException {
        int i = (int) (from - firstIndex);
        int start = positions[i];
        ByteBuffer buffer = ByteBuffer.allocate(positions[i + n] - start);
        while (buffer.hasRemaining()) {
            if (channel.read(buffer, start + buffer.position()) < 0) {
                throw new StorageException("segment shorter than its index", path, start + buffer.position());
            }
        }
        for (int k = 0; k < n; k++) {
            int offset = positions[i + k] - start;
            ReadResult r = RecordCodec.decode(buffer, offset, buffer.capacity() - offset, positions[i + k],
                    maxBodyBytes, version);
            if (!(r instanceof ReadResult.Entry e) || e.entry().index() != from + k) {
                throw new StorageException("record damaged since the segment was opened: " + r, path,
                        positions[i + k]);
            }
            out.add(e.entry());
        }
    }

    /**
     * Removes {@code index} and every later record from the file and the index, and forces the file with its size,
     * so that no record written at the freed offsets later can ever sit on disk next to a removed one.
     */
    void truncateFrom(long index) throws IOException {
        count = (int) (index - firstIndex);
        channel.truncate(positions[count]);
        fileSize = positions[count];
        channel.force(true);
        syncedEnd = positions[count];
    }

    /**
     * Rewrites the header of an empty version-1 segment as the current version, in place, and forces it. The 32-byte
     * header lies in one disk sector, so a crash leaves the old header or the new one, each valid for an empty file.
     */
    void upgradeEmpty() throws IOException {
        if (count != 0) {
            throw new IllegalStateException("cannot upgrade a segment holding records: " + this);
        }
        writeFully(channel, encodeHeader(firstIndex, prevTerm, VERSION), 0);
        channel.force(true);
        version = VERSION;
        syncedEnd = HEADER_BYTES;
    }

    /** Cuts a preallocated tail off and forces data and size: called before a newer segment is created. */
    void seal() throws IOException {
        if (fileSize > end()) {
            channel.truncate(end());
            fileSize = end();
        }
        channel.force(true);
    }

    /**
     * Renames the file of this empty segment to {@code target} (atomically; the caller fsyncs the directory) and
     * returns the segment under its new name, which takes this one's place.
     */
    Segment renameTo(Path target, FileOps ops) throws IOException {
        if (count != 0) {
            throw new IllegalStateException("only an empty segment is renamed: " + this);
        }
        ops.move(path, target, StandardCopyOption.ATOMIC_MOVE);
        Segment renamed = new Segment(target, firstIndex, new Header(version, prevTerm), channel, fileSize);
        renamed.syncedEnd = syncedEnd;
        return renamed;
    }

    void close() throws IOException {
        channel.close();
    }

    /** Closes and deletes the file. */
    void delete(FileOps ops) throws IOException {
        channel.close();
        ops.deleteIfExists(path);
    }

    @Override
    public String toString() {
        return path.getFileName() + "[" + firstIndex + ".." + lastIndex() + "]";
    }
}
