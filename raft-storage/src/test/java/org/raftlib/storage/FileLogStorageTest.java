package org.raftlib.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.raftlib.Bytes;
import org.raftlib.LogEntry;
import org.raftlib.LogStorage;
import org.raftlib.testkit.Await;
import org.raftlib.testkit.LogStorageContract;

class FileLogStorageTest extends LogStorageContract {

    /** Small segments, so that the contract's logs span several of them. */
    static final FileLogOptions SMALL = FileLogOptions.defaults().withSegmentSizeBytes(1024);

    @Override
    protected boolean bindsNodes() {
        return true;
    }

    @Override
    protected LogStorage open(Path dir) throws IOException {
        return FileLogStorage.open(dir, SMALL);
    }

    @Override
    protected LogStorage reopen(LogStorage storage, Path dir) throws IOException {
        storage.close();
        return FileLogStorage.open(dir, SMALL);
    }

    private List<Long> segmentFiles() throws IOException {
        return Segments.firstIndexes(dir);
    }

    @Test
    void rollsToANewSegmentWhenTheActiveOneIsFull() throws IOException {
        storage.append(entries(1, 1, 100));
        storage.sync();

        assertThat(segmentFiles()).hasSizeGreaterThan(3).startsWith(1L);
        assertThat(storage.entries(1, 101, Long.MAX_VALUE)).isEqualTo(entries(1, 1, 100));
    }

    @Test
    void truncateSuffixAcrossSegmentsDeletesNewerSegments() throws IOException {
        storage.append(entries(1, 1, 100));
        List<Long> before = segmentFiles();
        long cut = before.get(1) + 1;

        storage.truncateSuffix(cut);
        storage.append(entries(2, cut, cut + 4));
        storage.sync();

        assertThat(segmentFiles()).containsExactly(before.get(0), before.get(1));
        storage = reopen(storage, dir);
        assertThat(storage.lastIndex()).isEqualTo(cut + 4);
        assertThat(storage.term(cut - 1)).isEqualTo(1);
        assertThat(storage.entries(cut, cut + 5, Long.MAX_VALUE)).isEqualTo(entries(2, cut, cut + 4));
    }

    @Test
    void truncateSuffixAtASegmentStartEmptiesThatSegment() throws IOException {
        storage.append(entries(1, 1, 100));
        long start = segmentFiles().get(2);

        storage.truncateSuffix(start);
        storage.sync();
        storage = reopen(storage, dir);

        assertThat(storage.lastIndex()).isEqualTo(start - 1);
        storage.append(entries(3, start, start + 2));
        assertThat(storage.term(start)).isEqualTo(3);
        assertThat(storage.term(start - 1)).isEqualTo(1);
    }

    @Test
    void compactPrefixDeletesWholeSegmentsBelowIt() throws IOException {
        storage.append(entries(1, 1, 100));
        List<Long> before = segmentFiles();
        long upTo = before.get(2) + 1;

        storage.compactPrefix(upTo);
        storage.sync();

        awaitSegmentFiles(before.subList(2, before.size()));
        assertThat(storage.firstIndex()).isEqualTo(before.get(2));
        assertThat(storage.term(before.get(2) - 1)).isEqualTo(1);
        storage = reopen(storage, dir);
        assertThat(storage.firstIndex()).isEqualTo(before.get(2));
        assertThat(storage.term(before.get(2) - 1)).isEqualTo(1);
    }

    @Test
    void compactPrefixNeverDeletesTheActiveSegment() throws IOException {
        storage.append(entries(1, 1, 100));
        storage.compactPrefix(100);
        awaitSegmentFiles(List.of(storage.firstIndex()));
        assertThat(storage.term(100)).isEqualTo(1);
    }

    @ParameterizedTest(name = "preallocate={0}")
    @ValueSource(booleans = {true, false})
    void resetPastTheEndRestartsTheLogAfterTheSnapshot(boolean preallocate) throws IOException {
        storage = reopen(storage, dir, SMALL.withPreallocate(preallocate));
        storage.append(entries(1, 1, 100));
        storage.sync();
        storage.append(entries(1, 101, 103));                        // unsynced: discarded with the old log

        storage.reset(150, 4);

        assertResetTo(150, 4);
        storage.append(entries(4, 151, 160));
        storage.sync();
        storage = reopen(storage, dir, SMALL.withPreallocate(preallocate));
        assertThat(storage.firstIndex()).isEqualTo(151);
        assertThat(storage.term(150)).isEqualTo(4);
        assertThat(storage.entries(151, 161, Long.MAX_VALUE)).isEqualTo(entries(4, 151, 160));
    }

    /** Checks the log is the empty one a reset to {@code index} and {@code term} leaves, now and after a reopen. */
    private void assertResetTo(long index, long term) throws IOException {
        for (int round = 0; round < 2; round++) {
            assertThat(storage.firstIndex()).isEqualTo(index + 1);
            assertThat(storage.lastIndex()).isEqualTo(index);
            assertThat(storage.term(index)).isEqualTo(term);
            assertThatThrownBy(() -> storage.term(index - 1)).isInstanceOf(IndexOutOfBoundsException.class);
            assertThatThrownBy(() -> storage.entries(index, index + 1, Long.MAX_VALUE))
                    .isInstanceOf(IndexOutOfBoundsException.class);
            assertThat(storage.entries(index + 1, index + 1, Long.MAX_VALUE)).isEmpty();
            assertThat(segmentFiles()).containsExactly(index + 1);
            try (var files = Files.list(dir)) {
                assertThat(files.map(p -> p.getFileName().toString())).noneMatch(n -> n.endsWith(".base"));
            }
            storage = reopen(storage, dir);
        }
    }

    @Test
    void resetInsideTheLogDropsEveryEntry() throws IOException {
        storage.append(entries(1, 1, 100));
        storage.sync();

        storage.reset(50, 3);

        assertResetTo(50, 3);
        storage.append(entries(3, 51, 55));
        storage = reopen(storage, dir);
        assertThat(storage.entries(51, 56, Long.MAX_VALUE)).isEqualTo(entries(3, 51, 55));
        assertThat(storage.term(50)).isEqualTo(3);
    }

    @Test
    void resetToTheIndexBeforeAnExistingSegmentReplacesThatSegment() throws IOException {
        storage.append(entries(1, 1, 100));
        storage.sync();
        long start = segmentFiles().get(2);

        storage.reset(start - 1, 2);

        assertResetTo(start - 1, 2);                                 // the old entries at start.. are gone
        storage.append(entries(2, start, start + 3));
        storage = reopen(storage, dir);
        assertThat(storage.entries(start, start + 4, Long.MAX_VALUE)).isEqualTo(entries(2, start, start + 3));
    }

    @Test
    void resetTwiceToTheSameIndexReplacesTheFirstReset() throws IOException {
        storage.reset(10, 2);
        storage.append(entries(2, 11, 12));

        storage.reset(10, 3);

        assertResetTo(10, 3);
    }

    @Test
    void resetBelowTheFirstIndexOfACompactedLog() throws IOException {
        storage.append(entries(1, 1, 100));
        storage.compactPrefix(60);
        storage.sync();

        storage.reset(10, 1);

        assertResetTo(10, 1);
    }

    @Test
    void compactPrefixAfterAReset() throws IOException {
        storage.reset(200, 5);
        storage.append(entries(5, 201, 300));
        storage.sync();
        List<Long> before = segmentFiles();
        assertThat(before).hasSizeGreaterThan(3).startsWith(201L);

        storage.compactPrefix(before.get(2));
        storage.sync();
        awaitSegmentFiles(before.subList(2, before.size()));

        for (int round = 0; round < 2; round++) {
            assertThat(segmentFiles()).isEqualTo(before.subList(2, before.size()));
            assertThat(storage.firstIndex()).isEqualTo(before.get(2));
            assertThat(storage.term(before.get(2) - 1)).isEqualTo(5);
            assertThat(storage.entries(before.get(2), 301, Long.MAX_VALUE))
                    .isEqualTo(entries(5, before.get(2), 300));
            storage = reopen(storage, dir);
        }
    }

    @Test
    void truncateSuffixAfterAResetKeepsTheSnapshotTerm() throws IOException {
        storage.reset(20, 3);
        storage.append(entries(3, 21, 80));
        storage.sync();

        storage.truncateSuffix(21);
        storage.sync();

        storage = reopen(storage, dir);
        assertThat(storage.firstIndex()).isEqualTo(21);
        assertThat(storage.lastIndex()).isEqualTo(20);
        assertThat(storage.term(20)).isEqualTo(3);
    }

    @Test
    void resetRejectsBadArguments() throws IOException {
        assertThatThrownBy(() -> storage.reset(0, 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> storage.reset(1, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> storage.reset(Long.MAX_VALUE, 1)).isInstanceOf(IllegalArgumentException.class);
        storage.append(entries(1, 1, 3));
        assertThat(storage.lastIndex()).isEqualTo(3);                // a refused reset changed nothing
    }

    private LogStorage reopen(LogStorage old, Path directory, FileLogOptions options) throws IOException {
        old.close();
        return FileLogStorage.open(directory, options);
    }

    @Test
    void anEntryLargerThanASegmentGetsASegmentOfItsOwn() throws IOException {
        storage.append(entries(1, 1, 3));
        LogEntry big = LogEntry.command(1, 4, Bytes.wrap(new byte[5000]));
        storage.append(List.of(big, entry(1, 5)));
        storage.sync();
        storage = reopen(storage, dir);
        assertThat(storage.entries(4, 6, 0)).containsExactly(big);
        assertThat(storage.entries(4, 6, Long.MAX_VALUE)).containsExactly(big, entry(1, 5));
    }

    @Test
    void entriesLargerThanTheWriteBufferAreWritten() throws IOException {
        storage.close();
        storage = FileLogStorage.open(dir, FileLogOptions.defaults().withWriteBufferBytes(4096));
        LogEntry big = LogEntry.command(1, 1, Bytes.wrap(new byte[10_000]));
        storage.append(List.of(big, entry(1, 2)));
        storage.append(entries(1, 3, 400));
        assertThat(storage.entries(1, 3, Long.MAX_VALUE)).containsExactly(big, entry(1, 2));
        assertThat(storage.entries(3, 401, Long.MAX_VALUE)).isEqualTo(entries(1, 3, 400));
    }

    @Test
    void rejectsAnEntryAboveTheSizeLimit() throws IOException {
        storage.close();
        storage = FileLogStorage.open(dir, FileLogOptions.defaults().withMaxEntryBytes(10));
        assertThatThrownBy(() -> storage.append(List.of(LogEntry.command(1, 1, Bytes.wrap(new byte[11])))))
                .isInstanceOf(IllegalArgumentException.class);
        storage.append(List.of(LogEntry.command(1, 1, Bytes.wrap(new byte[10]))));
        assertThat(storage.maxEntryBytes()).as("what a node's builder checks its command limit against").isEqualTo(10);
    }

    /** A log reopened with a lower maxEntryBytes than it was written with says so, not only that it is corrupt. */
    @Test
    void reopeningWithALowerEntryLimitSaysWhatToRaise() throws IOException {
        storage.append(List.of(LogEntry.command(1, 1, Bytes.wrap(new byte[100]))));
        storage.sync();
        storage.close();

        assertThatThrownBy(() -> FileLogStorage.open(dir, SMALL.withMaxEntryBytes(10)).close())
                .isInstanceOf(StorageException.class)
                .satisfies(e -> assertThat(((StorageException) e).isDamage()).isTrue())
                .hasMessageContaining("if FileLogOptions.maxEntryBytes was lowered since the log was written")
                .hasMessageContaining("raise it again (nothing is lost); if not, the record is damaged")
                .message().doesNotContain(StorageException.REPLACE);
        storage = FileLogStorage.open(dir, SMALL);
        assertThat(storage.lastIndex()).isEqualTo(1);
    }

    @Test
    void aSecondInstanceCannotOpenTheSameDirectory() {
        assertThatThrownBy(() -> FileLogStorage.open(dir, SMALL))
                .isInstanceOf(StorageException.class)
                .hasMessageContaining("already in use")
                .satisfies(e -> assertThat(((StorageException) e).isDamage()).as("nothing is damaged").isFalse());
    }

    @Test
    void theDirectoryCanBeOpenedAgainAfterClose() throws IOException {
        storage.close();
        storage = FileLogStorage.open(dir, SMALL);
        assertThat(storage.lastIndex()).isZero();
    }

    @Test
    void refusesADirectoryThatCannotBeCreated() throws IOException {
        Path file = Files.writeString(dir.resolve("plain-file"), "x");
        assertThatThrownBy(() -> FileLogStorage.open(file.resolve("log")))
                .isInstanceOf(StorageException.class)
                .hasMessageContaining("cannot create")
                .satisfies(e -> assertThat(((StorageException) e).isDamage()).as("nothing is damaged").isFalse());
    }

    @Test
    void refusesADirectoryThatIsNotWritable() throws IOException {
        Path readOnly = Files.createDirectory(dir.resolve("read-only"));
        boolean changed = readOnly.toFile().setWritable(false, false);
        org.junit.jupiter.api.Assumptions.assumeTrue(changed && !Files.isWritable(readOnly),
                "cannot make a directory read-only here (running as root?)");
        assertThatThrownBy(() -> FileLogStorage.open(readOnly))
                .isInstanceOf(StorageException.class)
                .hasMessageContaining("not writable")
                .satisfies(e -> assertThat(((StorageException) e).isDamage()).as("nothing is damaged").isFalse());
    }

    @Test
    void reopensWithADifferentSegmentSize() throws IOException {
        storage.append(entries(1, 1, 50));
        storage.sync();
        storage.close();
        storage = FileLogStorage.open(dir, FileLogOptions.defaults());
        storage.append(entries(1, 51, 60));
        assertThat(storage.entries(1, 61, Long.MAX_VALUE)).isEqualTo(entries(1, 1, 60));
    }

    @Test
    void optionsRejectBadValues() {
        FileLogOptions d = FileLogOptions.defaults();
        assertThatThrownBy(() -> d.withSegmentSizeBytes(100)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("segmentSizeBytes");
        assertThatThrownBy(() -> d.withSegmentSizeBytes(2L << 30)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> d.withWriteBufferBytes(100)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> d.withMaxEntryBytes(0)).isInstanceOf(IllegalArgumentException.class);
        assertThat(d.withPreallocate(false).preallocate()).isFalse();
        assertThat(d.withSegmentSizeBytes(4096).segmentSizeBytes()).isEqualTo(4096);
    }

    /** Compacted segments are deleted in the background: waits until the files are {@code expected}. */
    private void awaitSegmentFiles(List<Long> expected) {
        Await.until("segment files " + expected, Duration.ofSeconds(10), () -> {
            try {
                return segmentFiles().equals(expected);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }
}
