package org.raftlib.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.TreeSet;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.raftlib.Bytes;
import org.raftlib.LogEntry;

/** Torn tails, flipped bits and lost unsynced writes: what {@link FileLogStorage#open} recovers and what it refuses. */
class CrashRecoveryTest {

    private static final long SEED = Long.getLong("raftlib.seed", 20261124L);
    private static final FileLogOptions SMALL = FileLogOptions.defaults().withSegmentSizeBytes(1024);

    @TempDir
    Path dir;

    /** Entries of varying payload sizes, so records straddle no fixed boundary. */
    static List<LogEntry> entries(long from, long to, long term) {
        List<LogEntry> list = new ArrayList<>();
        for (long i = from; i <= to; i++) {
            byte[] payload = new byte[(int) (i * 7 % 53)];
            for (int b = 0; b < payload.length; b++) {
                payload[b] = (byte) (i + b);
            }
            list.add(LogEntry.command(term, i, Bytes.wrap(payload)));
        }
        return list;
    }

    private void write(FileLogOptions options, long count) throws IOException {
        try (FileLogStorage s = FileLogStorage.open(dir, options)) {
            s.append(entries(1, count, 1));
            s.sync();
        }
    }

    /** Writes entries a crash may lose: appended (full segments forced by the roll), never synced. */
    private void writeUnsynced(FileLogOptions options, long count) throws IOException {
        try (FileLogStorage s = FileLogStorage.open(dir, options)) {
            s.append(entries(1, count, 1));
        }
    }

    private Path segment(long firstIndex) {
        return dir.resolve(Segment.fileName(firstIndex));
    }

    private long lastSegmentFirstIndex() throws IOException {
        List<Long> all = Segments.firstIndexes(dir);
        return all.get(all.size() - 1);
    }

    /** Record end offsets of the segment starting at {@code firstIndex}, for entries up to {@code lastIndex}. */
    private static List<Long> recordEnds(long firstIndex, long lastIndex) {
        List<Long> ends = new ArrayList<>();
        long position = Segment.HEADER_BYTES;
        for (LogEntry e : entries(firstIndex, lastIndex, 1)) {
            position += RecordCodec.recordBytes(e);
            ends.add(position);
        }
        return ends;
    }

    @ParameterizedTest(name = "preallocate={0}")
    @ValueSource(booleans = {true, false})
    void cuttingTheLastSegmentAnywhereKeepsExactlyTheCompleteRecords(boolean preallocate) throws IOException {
        FileLogOptions options = SMALL.withPreallocate(preallocate);
        writeUnsynced(options, 60);
        long first = lastSegmentFirstIndex();
        Path last = segment(first);
        byte[] original = Files.readAllBytes(last);
        List<Long> ends = recordEnds(first, 60);
        TreeSet<Long> cuts = new TreeSet<>();
        for (long p = ends.get(ends.size() - 2); p <= ends.get(ends.size() - 1); p++) {
            cuts.add(p);                                             // every offset inside the last record
        }
        SplittableRandom random = new SplittableRandom(SEED);
        for (int i = 0; i < 40; i++) {
            cuts.add((long) random.nextInt(original.length + 1));    // and seeded offsets anywhere, header included
        }
        for (long cut : cuts) {
            Files.write(last, Arrays.copyOf(original, (int) cut));
            long complete = ends.stream().filter(end -> end <= cut).count();
            try (FileLogStorage s = FileLogStorage.open(dir, options)) {
                String as = "seed " + SEED + ", cut at " + cut + " of " + original.length;
                assertThat(s.lastIndex()).as(as).isEqualTo(first - 1 + complete);
                assertThat(s.entries(1, s.lastIndex() + 1, Long.MAX_VALUE)).as(as)
                        .isEqualTo(entries(1, first - 1 + complete, 1));
            }
        }
    }

    @Test
    void aRecordHalfWrittenIntoThePreallocatedTailIsTruncated() throws IOException {
        writeUnsynced(SMALL, 60);
        long first = lastSegmentFirstIndex();
        List<Long> ends = recordEnds(first, 60);
        long lastStart = ends.get(ends.size() - 2);
        for (long zeroFrom = lastStart + 1; zeroFrom < ends.get(ends.size() - 1); zeroFrom += 3) {
            byte[] bytes = Files.readAllBytes(segment(first));
            zero(segment(first), zeroFrom, (int) (ends.get(ends.size() - 1) - zeroFrom));
            try (FileLogStorage s = FileLogStorage.open(dir, SMALL)) {
                assertThat(s.lastIndex()).as("zeroed from " + zeroFrom).isEqualTo(59);
            }
            Files.write(segment(first), bytes);
        }
    }

    private static void zero(Path file, long from, int length) throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE)) {
            channel.write(ByteBuffer.allocate(length), from);
        }
    }

    private static void flipBit(Path file, long offset, int bit) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        bytes[(int) offset] ^= (byte) (1 << bit);
        Files.write(file, bytes);
    }

    @Test
    void aFlippedBitInASealedSegmentRefusesToOpenNamingFileAndOffset() throws IOException {
        write(SMALL, 60);
        List<Long> segments = Segments.firstIndexes(dir);
        SplittableRandom random = new SplittableRandom(SEED);
        for (int round = 0; round < 40; round++) {
            long first = segments.get(random.nextInt(segments.size() - 1));
            long next = segments.get(segments.indexOf(first) + 1);
            Path file = segment(first);
            byte[] original = Files.readAllBytes(file);
            long offset = random.nextInt(original.length);
            flipBit(file, offset, random.nextInt(8));
            long recordStart = recordStartOf(first, next - 1, offset);
            String as = "seed " + SEED + ", round " + round + ", flipped byte " + offset + " of " + file;

            assertThatThrownBy(() -> FileLogStorage.open(dir, SMALL).close()).as(as)
                    .isInstanceOfSatisfying(StorageException.class, e -> {
                        assertThat(e.file()).as(as).isEqualTo(file);
                        assertThat(e.offset()).as(as).hasValue(recordStart);
                        assertThat(e.getMessage()).as(as).contains(file.toString(), "offset " + recordStart);
                    });
            Files.write(file, original);
        }
    }

    /** Returns the start of the record holding byte {@code offset}, or 0 for the header. */
    private static long recordStartOf(long firstIndex, long lastIndex, long offset) {
        if (offset < Segment.HEADER_BYTES) {
            return 0;
        }
        long start = Segment.HEADER_BYTES;
        for (long end : recordEnds(firstIndex, lastIndex)) {
            if (offset < end) {
                return start;
            }
            start = end;
        }
        throw new AssertionError("offset " + offset + " is past the records");
    }

    @Test
    void aFlippedByteInSyncedDataFollowedByALaterSyncedBatchRefusesToOpen() throws IOException {
        FileLogOptions options = FileLogOptions.defaults().withSegmentSizeBytes(64 << 10);
        write(options, 40);
        try (FileLogStorage s = FileLogStorage.open(dir, options)) {
            s.append(entries(41, 45, 1));                            // vouches that entries 1..40 were synced
            s.sync();
        }
        List<Long> ends = recordEnds(1, 40);
        SplittableRandom random = new SplittableRandom(SEED);
        for (int round = 0; round < 30; round++) {
            long offset = Segment.HEADER_BYTES + random.nextLong(ends.get(39) - Segment.HEADER_BYTES);
            long recordStart = recordStartOf(1, 40, offset);
            String as = "seed " + SEED + ", round " + round + ", flipped byte " + offset;
            byte[] original = Files.readAllBytes(segment(1));
            flipBit(segment(1), offset, random.nextInt(8));

            assertThatThrownBy(() -> FileLogStorage.open(dir, options).close()).as(as)
                    .isInstanceOfSatisfying(StorageException.class, e -> {
                        assertThat(e.file()).as(as).isEqualTo(segment(1));
                        assertThat(e.offset()).as(as).hasValue(recordStart);
                        assertThat(e.getMessage()).as(as).contains("synced data", "durable up to offset");
                    });
            Files.write(segment(1), original);
        }
    }

    @Test
    void aChecksumErrorInSyncedDataNamesTheChecksums() throws IOException {
        FileLogOptions options = FileLogOptions.defaults().withSegmentSizeBytes(64 << 10);
        write(options, 40);
        try (FileLogStorage s = FileLogStorage.open(dir, options)) {
            s.append(entries(41, 41, 1));
            s.sync();
        }
        long recordStart = recordEnds(1, 40).get(19);
        flipBit(segment(1), recordStart + 30, 3);                   // inside the payload of entry 21

        assertThatThrownBy(() -> FileLogStorage.open(dir, options).close())
                .isInstanceOfSatisfying(StorageException.class, e -> {
                    assertThat(e.file()).isEqualTo(segment(1));
                    assertThat(e.offset()).hasValue(recordStart);
                    assertThat(e.getMessage()).contains("checksum mismatch", "expected crc32c", "actual");
                });
    }

    @ParameterizedTest(name = "preallocate={0}")
    @ValueSource(booleans = {true, false})
    void aHoleInTheUnsyncedTailFollowedByCompleteRecordsIsTruncatedAtTheHole(boolean preallocate)
            throws IOException {
        FileLogOptions options = FileLogOptions.defaults().withSegmentSizeBytes(64 << 10).withPreallocate(preallocate);
        write(options, 20);
        try (FileLogStorage s = FileLogStorage.open(dir, options)) {
            s.append(entries(21, 40, 1));                           // one unsynced batch
        }
        List<Long> ends = recordEnds(1, 40);
        for (long hole : List.of(21L, 25L, 39L)) {                  // a page of it lost, later ones kept
            byte[] original = Files.readAllBytes(segment(1));
            zero(segment(1), ends.get((int) hole - 2), (int) (ends.get((int) hole - 1) - ends.get((int) hole - 2)));
            try (FileLogStorage s = FileLogStorage.open(dir, options)) {
                assertThat(s.lastIndex()).as("hole at entry " + hole).isEqualTo(hole - 1);
                assertThat(s.entries(1, hole, Long.MAX_VALUE)).isEqualTo(entries(1, hole - 1, 1));
            }
            Files.write(segment(1), original);
        }
    }

    /**
     * Damage in the last synced batch, with no record written after it: the synced mark covers it, so open refuses
     * (and leaves the file as it was); only if the crash lost the mark's last raise (it is not forced) is it taken
     * for an unsynced tail, the documented limit.
     */
    @Test
    void damageInTheLastSyncedBatchRefusesUnlessTheMarksLastRaiseWasLost() throws IOException {
        FileLogOptions options = SMALL.withSegmentSizeBytes(64 << 10);
        write(options, 20);
        byte[] markAt20 = Files.readAllBytes(dir.resolve(SyncedMark.NAME));
        try (FileLogStorage s = FileLogStorage.open(dir, options)) {
            s.append(entries(21, 40, 1));
            s.sync();
        }
        flipBit(segment(1), recordEnds(1, 40).get(28) + 30, 0);    // entry 30: no later record vouches for it
        byte[] damaged = Files.readAllBytes(segment(1));
        assertThatThrownBy(() -> FileLogStorage.open(dir, options).close()).isInstanceOf(StorageException.class)
                .hasMessageContaining("corrupt record in synced data of the last segment")
                .hasMessageContaining("durable up to index 40 (synced) and this is entry 30");
        assertThat(Files.readAllBytes(segment(1))).as("nothing truncated before refusing").isEqualTo(damaged);

        Files.write(dir.resolve(SyncedMark.NAME), markAt20);
        try (FileLogStorage s = FileLogStorage.open(dir, options)) {
            assertThat(s.lastIndex()).as("the documented limit of telling synced from unsynced").isEqualTo(29);
        }
    }

    @Test
    void aMissingMiddleSegmentRefusesToOpen() throws IOException {
        write(SMALL, 80);
        List<Long> segments = Segments.firstIndexes(dir);
        Files.delete(segment(segments.get(1)));

        assertThatThrownBy(() -> FileLogStorage.open(dir, SMALL).close())
                .isInstanceOf(StorageException.class)
                .hasMessageContaining("missing entries " + segments.get(1));
    }

    @Test
    void unsyncedEntriesMayVanishButSyncedOnesNeverDo() throws IOException {
        SplittableRandom random = new SplittableRandom(SEED);
        FileLogOptions options = FileLogOptions.defaults().withPreallocate(false);
        for (int round = 0; round < 25; round++) {
            long synced;
            long syncedEnd;
            try (FileLogStorage s = FileLogStorage.open(dir, options)) {
                synced = s.lastIndex() + 1 + random.nextInt(20);
                s.append(entries(s.lastIndex() + 1, synced, 1));
                s.sync();
                syncedEnd = Files.size(segment(1));
                s.append(entries(synced + 1, synced + 1 + random.nextInt(20), 1));
            }
            long size = Files.size(segment(1));
            long cut = syncedEnd + random.nextLong(size - syncedEnd + 1);   // the crash kept a prefix of the rest
            try (FileChannel channel = FileChannel.open(segment(1), StandardOpenOption.WRITE)) {
                channel.truncate(cut);
            }
            try (FileLogStorage s = FileLogStorage.open(dir, options)) {
                String as = "seed " + SEED + ", round " + round;
                assertThat(s.lastIndex()).as(as).isGreaterThanOrEqualTo(synced);
                assertThat(s.entries(1, s.lastIndex() + 1, Long.MAX_VALUE)).as(as)
                        .isEqualTo(entries(1, s.lastIndex(), 1));
            }
        }
    }

    @Test
    void aTornHeaderOfANewLastSegmentIsDeletedDurably() throws IOException {
        writeUnsynced(SMALL, 60);
        long first = lastSegmentFirstIndex();
        Files.write(segment(first), new byte[10]);

        FileOpLog log = new FileOpLog(dir);
        try (FileLogStorage s = FileLogStorage.open(dir, SMALL, new FaultyChannels(log, true))) {
            assertThat(s.lastIndex()).isEqualTo(first - 1);
            s.append(entries(first, first + 2, 2));
        }
        List<FileOp> ops = log.ops();
        int inode = new ArrayList<>(log.initial().keySet()).indexOf(Segment.fileName(first));
        int deleted = ops.indexOf(new FileOp.Delete(Segment.fileName(first), inode));
        assertThat(deleted).as("deletion of the torn segment in " + ops).isNotNegative();
        assertThat(ops.get(deleted + 1)).as("the deletion is durable before anything else").isEqualTo(
                new FileOp.FsyncDir());
        assertThat(Files.exists(segment(first))).isTrue();
    }

    /**
     * A last segment cut to 0 bytes that held synced entries is damage, not a crash's new file: open refuses and
     * leaves the log's files as they were (the spare, scratch, goes at every open). An outside probe saw a refused
     * start first delete it and create a fresh segment in its place, changing the evidence.
     */
    @Test
    void aSyncedLastSegmentWithoutItsHeaderIsRefusedAndLeftAsItIs() throws IOException {
        try (FileLogStorage s = FileLogStorage.open(dir, SMALL)) {
            s.append(entries(1, 60, 1));
            s.sync();
        }
        long first = lastSegmentFirstIndex();
        try (FileChannel channel = FileChannel.open(segment(first), StandardOpenOption.WRITE)) {
            channel.truncate(0);
        }
        List<String> before = logFiles();

        assertThatThrownBy(() -> FileLogStorage.open(dir, SMALL)).isInstanceOf(StorageException.class)
                .hasMessageContaining("bad segment header, yet the log was durable up to index 60");
        assertThat(Files.size(segment(first))).isZero();
        assertThat(logFiles()).isEqualTo(before);
    }

    private List<String> logFiles() throws IOException {
        try (var files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString()).filter(n -> !n.equals(SpareSegment.NAME)).sorted()
                    .toList();
        }
    }

    @Test
    void truncateSuffixIsDurableWhenItReturns() throws IOException {
        FileOpLog log = new FileOpLog(dir);
        try (FileLogStorage s = FileLogStorage.open(dir, SMALL.withPreallocate(false), new FaultyChannels(log, true))) {
            s.append(entries(1, 10, 1));
            s.sync();
            s.append(entries(11, 14, 1));
            int before = log.size();
            s.truncateSuffix(12);
            List<FileOp> truncation = log.ops().subList(before, log.size());

            assertThat(truncation).hasSize(2);
            assertThat(truncation.get(0)).isInstanceOf(FileOp.SetSize.class);
            assertThat(truncation.get(1)).isEqualTo(new FileOp.Force(truncation.get(0).inode()));
        }
    }

    /** Writes what the first step of a reset to {@code index} leaves: the new first segment under its base name. */
    private void writeBase(long index, long term) throws IOException {
        Segment.create(dir.resolve(Segment.baseFileName(index + 1)), index + 1, term, SMALL, FileOps.DEFAULT).close();
    }

    private static int indexOf(List<FileOp> ops, Predicate<FileOp> which, int from) {
        for (int i = from; i < ops.size(); i++) {
            if (which.test(ops.get(i))) {
                return i;
            }
        }
        return -1;
    }

    private static int lastIndexOf(List<FileOp> ops, Predicate<FileOp> which) {
        for (int i = ops.size() - 1; i >= 0; i--) {
            if (which.test(ops.get(i))) {
                return i;
            }
        }
        return -1;
    }

    /**
     * Checks the order that makes a reset crash-safe in {@code ops}: the base file ({@code baseInode}) forced, then
     * a directory fsync, then the deletions of old segments, a directory fsync, the rename to its segment name, and a
     * directory fsync last.
     */
    private static void assertResetOrder(List<FileOp> ops, int baseInode, long firstIndex) {
        String as = "in " + ops;
        int forced = ops.indexOf(new FileOp.Force(baseInode));
        int firstDelete = indexOf(ops, op -> op instanceof FileOp.Delete d && d.name().endsWith(".seg"), 0);
        int lastDelete = lastIndexOf(ops, op -> op instanceof FileOp.Delete d && d.name().endsWith(".seg"));
        int renamed = ops.indexOf(new FileOp.Rename(Segment.baseFileName(firstIndex), Segment.fileName(firstIndex),
                baseInode));
        assertThat(forced).as("base forced " + as).isNotNegative();
        assertThat(renamed).as("base renamed " + as).isGreaterThan(forced);
        if (firstDelete >= 0) {
            assertThat(indexOf(ops, FileOp.FsyncDir.class::isInstance, forced)).as("fsync before deleting " + as)
                    .isBetween(forced, firstDelete);
            assertThat(indexOf(ops, FileOp.FsyncDir.class::isInstance, lastDelete)).as("fsync before renaming " + as)
                    .isBetween(lastDelete, renamed);
        }
        assertThat(ops.get(ops.size() - 1)).as("durable at the end " + as).isEqualTo(new FileOp.FsyncDir());
    }

    @Test
    void aResetMakesTheNewLogDurableBeforeItDeletesTheOldOne() throws IOException {
        FileOpLog log = new FileOpLog(dir);
        try (FileLogStorage s = FileLogStorage.open(dir, SMALL.withPreallocate(false), new FaultyChannels(log, true))) {
            s.append(entries(1, 60, 1));
            s.sync();
            List<String> old = Segments.firstIndexes(dir).stream().map(Segment::fileName).toList();
            int before = log.size();

            s.reset(80, 4);

            List<FileOp> ops = log.ops().subList(before, log.size());
            int created = indexOf(ops, op -> op instanceof FileOp.Create c
                    && c.name().equals(Segment.baseFileName(81)), 0);
            assertThat(created).as("base created in " + ops).isNotNegative();
            assertResetOrder(ops, ops.get(created).inode(), 81);
            assertThat(old).hasSizeGreaterThan(2);
            assertThat(ops.stream().filter(op -> op instanceof FileOp.Delete).map(op -> ((FileOp.Delete) op).name()))
                    .as("old segments deleted").containsExactlyInAnyOrderElementsOf(old);
        }
    }

    @ParameterizedTest(name = "old segments deleted before the crash: {0}")
    @ValueSource(strings = {"none", "some", "all"})
    void openFinishesAResetWhoseFirstSegmentIsDurable(String deleted) throws IOException {
        write(SMALL, 60);
        List<Long> old = Segments.firstIndexes(dir);
        writeBase(80, 4);
        List<Long> gone = switch (deleted) {
            case "some" -> List.of(old.get(0), old.get(old.size() - 1));
            case "all" -> old;
            default -> List.of();
        };
        for (long f : gone) {
            Files.delete(segment(f));
        }
        FileOpLog log = new FileOpLog(dir);

        try (FileLogStorage s = FileLogStorage.open(dir, SMALL, new FaultyChannels(log, true))) {
            assertThat(s.firstIndex()).isEqualTo(81);
            assertThat(s.lastIndex()).isEqualTo(80);
            assertThat(s.term(80)).isEqualTo(4);
            assertThat(Segments.firstIndexes(dir)).containsExactly(81L);
            assertThat(Files.exists(dir.resolve(Segment.baseFileName(81)))).isFalse();
            s.append(entries(81, 85, 4));
            s.sync();
        }
        int inode = new ArrayList<>(log.initial().keySet()).indexOf(Segment.baseFileName(81));
        assertResetOrder(log.ops().subList(0, log.ops().indexOf(new FileOp.Rename(Segment.baseFileName(81),
                Segment.fileName(81), inode)) + 2), inode, 81);
        try (FileLogStorage s = FileLogStorage.open(dir, SMALL)) {
            assertThat(s.entries(81, 86, Long.MAX_VALUE)).isEqualTo(entries(81, 85, 4));
        }
    }

    @ParameterizedTest(name = "{0} bytes of its header")
    @ValueSource(ints = {0, 20, 31, -1})
    void openDeletesAResetsFirstSegmentWithATornHeaderAndKeepsTheOldLog(int headerBytes) throws IOException {
        write(SMALL, 60);
        Path base = dir.resolve(Segment.baseFileName(81));
        byte[] header = Segment.encodeHeader(81, 4).array();
        Files.write(base, headerBytes < 0 ? new byte[(int) SMALL.segmentSizeBytes()]     // an adopted spare's zeros
                : Arrays.copyOf(header, headerBytes));
        FileOpLog log = new FileOpLog(dir);

        try (FileLogStorage s = FileLogStorage.open(dir, SMALL, new FaultyChannels(log, true))) {
            assertThat(s.firstIndex()).isEqualTo(1);
            assertThat(s.entries(1, s.lastIndex() + 1, Long.MAX_VALUE)).isEqualTo(entries(1, 60, 1));
        }
        assertThat(Files.exists(base)).isFalse();
        List<FileOp> ops = log.ops();
        int inode = new ArrayList<>(log.initial().keySet()).indexOf(base.getFileName().toString());
        int deleted = ops.indexOf(new FileOp.Delete(base.getFileName().toString(), inode));
        assertThat(deleted).as("deletion of the torn base in " + ops).isNotNegative();
        assertThat(ops.get(deleted + 1)).as("the deletion is durable before anything else").isEqualTo(
                new FileOp.FsyncDir());
    }

    /**
     * A base file that holds records is no reset's (a segment copied under a base name): open refuses instead of
     * finishing the "reset", which deleted every segment of the log before it.
     */
    @Test
    void aBaseFileHoldingRecordsRefusesToOpenAndKeepsTheLog() throws IOException {
        write(SMALL, 60);
        long last = lastSegmentFirstIndex();
        Files.copy(segment(last), dir.resolve(Segment.baseFileName(last)));
        Files.delete(dir.resolve(SyncedMark.NAME));          // without the mark's check (the next test has it)

        assertThatThrownBy(() -> FileLogStorage.open(dir, SMALL).close())
                .isInstanceOf(StorageException.class)
                .hasMessageContaining("holds data after its header");
        Files.delete(dir.resolve(Segment.baseFileName(last)));
        try (FileLogStorage s = FileLogStorage.open(dir, SMALL)) {
            assertThat(s.entries(1, s.lastIndex() + 1, Long.MAX_VALUE)).isEqualTo(entries(1, 60, 1));
        }
    }

    /**
     * A base file with a valid header only, for an index the synced mark passes, is no reset's either (a reset lowers
     * the mark below its index before it writes the base file): open refuses and keeps the log. An outside probe put
     * a segment's header under a base name, and open deleted the whole log before refusing for the missing entries.
     */
    @Test
    void aBaseFileForAnIndexTheSyncedMarkPassesRefusesToOpenAndKeepsTheLog() throws IOException {
        write(SMALL, 60);
        writeBase(40, 1);

        assertThatThrownBy(() -> FileLogStorage.open(dir, SMALL).close())
                .isInstanceOf(StorageException.class)
                .hasMessageContaining("restart the log after index 40, but the log was durable up to index 60")
                .hasMessageContaining(Segment.baseFileName(41));
        Files.delete(dir.resolve(Segment.baseFileName(41)));
        try (FileLogStorage s = FileLogStorage.open(dir, SMALL)) {
            assertThat(s.entries(1, s.lastIndex() + 1, Long.MAX_VALUE)).isEqualTo(entries(1, 60, 1));
        }
    }

    @Test
    void twoResetsInProgressRefuseToOpen() throws IOException {
        write(SMALL, 60);
        writeBase(80, 4);
        writeBase(90, 4);

        assertThatThrownBy(() -> FileLogStorage.open(dir, SMALL).close())
                .isInstanceOf(StorageException.class)
                .hasMessageContaining("more than one log reset");
    }

    @Test
    void aRecordDamagedAfterOpenFailsTheReadNamingFileAndOffset() throws IOException {
        write(FileLogOptions.defaults(), 10);
        try (FileLogStorage s = FileLogStorage.open(dir)) {
            long start = recordEnds(1, 10).get(4);                   // entry 6
            flipBit(segment(1), start + 25, 0);

            assertThat(s.entries(1, 6, Long.MAX_VALUE)).isEqualTo(entries(1, 5, 1));
            assertThatThrownBy(() -> s.entries(1, 11, Long.MAX_VALUE))
                    .isInstanceOfSatisfying(StorageException.class, e -> assertThat(e.offset()).hasValue(start));
        }
    }

    @Test
    void aSegmentWhoseHeaderTermDisagreesWithThePreviousSegmentRefusesToOpen() throws IOException {
        write(SMALL, 60);
        long first = Segments.firstIndexes(dir).get(1);
        try (FileChannel channel = FileChannel.open(segment(first), StandardOpenOption.WRITE)) {
            channel.write(Segment.encodeHeader(first, 7), 0);
        }
        assertThatThrownBy(() -> FileLogStorage.open(dir, SMALL).close())
                .isInstanceOf(StorageException.class)
                .hasMessageContaining("term before it is 7");
    }
}
