package org.raftlib.storage;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.raftlib.Bytes;
import org.raftlib.LogEntry;
import org.raftlib.testkit.Await;

/** The next segment is written ahead of time and adopted at a roll; spares left by a crash never reach the log. */
class SpareSegmentTest {

    private static final int SEGMENT = 64 << 10;
    private static final FileLogOptions OPTIONS = FileLogOptions.defaults().withSegmentSizeBytes(SEGMENT);

    @TempDir
    Path dir;

    private static List<LogEntry> entries(long from, int n) {
        List<LogEntry> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            byte[] data = new byte[200];
            data[0] = (byte) (from + i);
            out.add(LogEntry.command(1, from + i, Bytes.wrap(data)));
        }
        return out;
    }

    @Test
    void aRollAdoptsTheSpareWrittenAheadOfIt() throws IOException {
        Path spare = dir.resolve(SpareSegment.NAME);
        try (FileLogStorage s = FileLogStorage.open(dir, OPTIONS)) {
            awaitFullSpare(spare);                          // written in the background from open on
            s.append(entries(1, 300));                      // about 66 KiB: rolls once, onto the spare
            s.sync();
            List<Long> segments = Segments.firstIndexes(dir);
            assertThat(segments).hasSize(2);
            assertThat(size(dir.resolve(Segment.fileName(segments.get(1))))).isEqualTo(SEGMENT);
            assertThat(s.entries(1, 301, Long.MAX_VALUE)).isEqualTo(entries(1, 300));
            awaitFullSpare(spare);                          // and the next one is written after the roll
        }
        try (FileLogStorage s = FileLogStorage.open(dir, OPTIONS)) {
            assertThat(s.entries(1, 301, Long.MAX_VALUE)).isEqualTo(entries(1, 300));
        }
    }

    @Test
    void aSpareLeftByACrashIsReplacedOnOpen() throws IOException {
        writeTenSynced();
        Path spare = dir.resolve(SpareSegment.NAME);
        Files.write(spare, new byte[] {1, 2, 3});
        try (FileLogStorage s = FileLogStorage.open(dir, OPTIONS)) {
            awaitFullSpare(spare);
            assertThat(Files.readAllBytes(spare)).containsOnly(0);
            assertThat(s.entries(1, 11, Long.MAX_VALUE)).isEqualTo(entries(1, 10));
        }
    }

    @Test
    void withoutPreallocationThereIsNoSpare() throws IOException {
        try (FileLogStorage s = FileLogStorage.open(dir, OPTIONS.withPreallocate(false))) {
            s.append(entries(1, 300));
            s.sync();
            assertThat(dir.resolve(SpareSegment.NAME)).doesNotExist();
            assertThat(Segments.firstIndexes(dir)).hasSize(2);
        }
    }

    @Test
    void aSpareThatCannotBeWrittenLeavesRollsToCreateTheSegmentInPlace() throws IOException {
        FileOps noSpares = (path, options) -> {
            if (path.getFileName().toString().equals(SpareSegment.NAME)) {
                throw new IOException("injected: no space for a spare");
            }
            return FileOps.DEFAULT.open(path, options);
        };
        try (FileLogStorage s = FileLogStorage.open(dir, OPTIONS, noSpares)) {
            s.append(entries(1, 300));                      // rolls once, without a spare
            s.sync();
            assertThat(Segments.firstIndexes(dir)).hasSize(2);
            assertThat(dir.resolve(SpareSegment.NAME)).doesNotExist();
            assertThat(s.entries(1, 301, Long.MAX_VALUE)).isEqualTo(entries(1, 300));
        }
    }

    private static void awaitFullSpare(Path spare) {
        Await.until("a full-size spare", Duration.ofSeconds(10), () -> size(spare) == SEGMENT);
    }

    @Test
    void aRenamedSpareWhoseHeaderNeverReachedTheDiskIsDroppedAsATornSegment() throws IOException {
        writeTenSynced();
        Files.write(dir.resolve(Segment.fileName(11)), new byte[SEGMENT]);   // renamed, then the crash
        try (FileLogStorage s = FileLogStorage.open(dir, OPTIONS)) {
            assertThat(Segments.firstIndexes(dir)).containsExactly(1L);
            assertThat(s.lastIndex()).isEqualTo(10);
            s.append(entries(11, 1));
            s.sync();
        }
    }

    private void writeTenSynced() throws IOException {
        try (FileLogStorage s = FileLogStorage.open(dir, OPTIONS)) {
            s.append(entries(1, 10));
            s.sync();
        }
    }

    private static long size(Path p) {
        try {
            return Files.size(p);
        } catch (IOException e) {
            return -1;
        }
    }
}
