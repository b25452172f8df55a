package org.raftlib.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.raftlib.storage.CrashRecoveryTest.entries;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A log whose synced tail is gone (cut at a record boundary, a segment deleted or swapped for another log's, the log
 * files deleted beside the rest of the directory) refuses to open; before the synced mark each of these opened
 * silently with the synced entries gone, and a cluster lost acknowledged writes that way.
 */
class SyncedMarkTest {

    private static final FileLogOptions SMALL = FileLogOptions.defaults().withSegmentSizeBytes(2048);

    @TempDir
    Path dir;

    private void write(Path into, long count, long term) throws IOException {
        try (FileLogStorage s = FileLogStorage.open(into, SMALL)) {
            s.append(entries(s.lastIndex() + 1, count, term));
            s.sync();
        }
    }

    private Path lastSegment() throws IOException {
        List<Long> all = Segments.firstIndexes(dir);
        return dir.resolve(Segment.fileName(all.get(all.size() - 1)));
    }

    @ParameterizedTest(name = "preallocate={0}")
    @ValueSource(booleans = {true, false})
    void aLastSegmentCutAtARecordBoundaryRefusesToOpenAndIsLeftAsItWas(boolean preallocate) throws IOException {
        FileLogOptions options = SMALL.withPreallocate(preallocate);
        try (FileLogStorage s = FileLogStorage.open(dir, options)) {
            s.append(entries(1, 60, 1));
            s.sync();
        }
        Path last = lastSegment();
        long first = Segment.parseFirstIndex(last.getFileName().toString()).getAsLong();
        long cut = Segment.HEADER_BYTES + entries(first, first + 1, 1).stream().mapToLong(RecordCodec::recordBytes)
                .sum();                                                   // after two records: a clean end
        try (FileChannel channel = FileChannel.open(last, StandardOpenOption.WRITE)) {
            channel.truncate(cut);
        }
        assertThatThrownBy(() -> FileLogStorage.open(dir, options).close()).isInstanceOf(StorageException.class)
                .hasMessageContaining("the log ends at index " + (first + 1) + " but was durable up to index 60")
                .hasMessageContaining("replace the member")
                .satisfies(e -> assertThat(((StorageException) e).file()).isEqualTo(last));
        assertThat(Files.size(last)).as("left as it was").isEqualTo(cut);
    }

    @Test
    void aDeletedNewestSegmentRefusesToOpen() throws IOException {
        write(dir, 60, 1);
        Path last = lastSegment();
        Files.delete(last);
        assertThatThrownBy(() -> FileLogStorage.open(dir, SMALL).close()).isInstanceOf(StorageException.class)
                .hasMessageContaining("synced entries are missing from its end");
    }

    @Test
    void aNewestSegmentSwappedForAnotherLogsRefusesToOpen() throws IOException {
        Path other = Files.createDirectory(dir.resolve("other"));
        write(other, 60, 1);
        Path ours = Files.createDirectory(dir.resolve("ours"));
        try (FileLogStorage s = FileLogStorage.open(ours, SMALL)) {
            s.append(entries(1, 59, 1));
            s.append(entries(60, 60, 2));                                  // same indexes, another term at the end
            s.sync();
        }
        List<Long> segments = Segments.firstIndexes(ours);
        long first = segments.get(segments.size() - 1);
        Files.copy(other.resolve(Segment.fileName(first)), ours.resolve(Segment.fileName(first)),
                StandardCopyOption.REPLACE_EXISTING);
        assertThatThrownBy(() -> FileLogStorage.open(ours, SMALL).close()).isInstanceOf(StorageException.class)
                .hasMessageContaining("entry 60 has term 1 but was synced with term 2")
                .hasMessageContaining("a segment was replaced");
    }

    @Test
    void logFilesDeletedBesideTheRestOfTheDirectoryRefuseToStartAnEmptyLog() throws IOException {
        write(dir, 60, 1);
        for (long first : Segments.firstIndexes(dir)) {
            Files.delete(dir.resolve(Segment.fileName(first)));
        }
        Files.delete(dir.resolve(HardStateFile.NAME));
        assertThatThrownBy(() -> FileLogStorage.open(dir, SMALL).close()).isInstanceOf(StorageException.class)
                .hasMessageContaining("no log segment and no hard state, but its log was durable up to index 60")
                .hasMessageContaining("delete the whole directory");
        assertThat(Segments.firstIndexes(dir)).as("no empty log was started").isEmpty();
    }

    @Test
    void aMissingOrAllZeroMarkIsWrittenAfreshAndGuardsFromThen() throws IOException {
        write(dir, 60, 1);
        Path mark = dir.resolve(SyncedMark.NAME);
        Files.delete(mark);                                                // a directory of an earlier release
        PrintStream err = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try (FileLogStorage s = FileLogStorage.open(dir, SMALL)) {
            assertThat(s.lastIndex()).isEqualTo(60);
        } finally {
            System.setErr(err);
        }
        assertThat(captured.toString(StandardCharsets.UTF_8)).as("said (an outside probe found it silent)")
                .contains("WARN").contains("could not check that the log's end (index 60)");
        Files.write(mark, new byte[28]);                                   // a crash while it was first written
        try (FileLogStorage s = FileLogStorage.open(dir, SMALL)) {
            assertThat(s.lastIndex()).isEqualTo(60);
        }
        Files.delete(lastSegment());
        assertThatThrownBy(() -> FileLogStorage.open(dir, SMALL).close()).isInstanceOf(StorageException.class)
                .hasMessageContaining("but was durable up to index 60");
    }

    /** A damaged mark refuses: ignored, it let a second fault (a segment cut short) pass unseen. */
    @Test
    void aDamagedMarkRefusesToOpenSayingHowToOverrideIt() throws IOException {
        write(dir, 60, 1);
        Path mark = dir.resolve(SyncedMark.NAME);
        byte[] bytes = Files.readAllBytes(mark);
        bytes[12] ^= 1;
        Files.write(mark, bytes);
        assertThatThrownBy(() -> FileLogStorage.open(dir, SMALL).close()).isInstanceOf(StorageException.class)
                .hasMessageContaining("the synced mark is damaged (28 bytes)")
                .hasMessageContaining("delete this file and the node opens without the check")
                .hasMessageContaining("otherwise, do not start this node on this directory: replace the member");
    }

    @Test
    void truncationsAndResetsLowerTheMarkSoTheLogStillOpens() throws IOException {
        try (FileLogStorage s = FileLogStorage.open(dir, SMALL)) {
            s.append(entries(1, 60, 1));
            s.sync();
            s.truncateSuffix(41);
        }
        try (FileLogStorage s = FileLogStorage.open(dir, SMALL)) {
            assertThat(s.lastIndex()).isEqualTo(40);
            s.append(entries(41, 45, 2));
            s.sync();
            s.reset(45, 3);                                              // a snapshot at 45 with another term
        }
        try (FileLogStorage s = FileLogStorage.open(dir, SMALL)) {
            assertThat(s.lastIndex()).isEqualTo(45);
            assertThat(s.term(45)).isEqualTo(3);
            s.reset(100, 4);                                             // past the log's end
        }
        try (FileLogStorage s = FileLogStorage.open(dir, SMALL)) {
            assertThat(s.firstIndex()).isEqualTo(101);
        }
    }
}
