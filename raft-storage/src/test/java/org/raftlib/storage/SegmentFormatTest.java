package org.raftlib.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.raftlib.HardState;
import org.raftlib.LogEntry;
import org.raftlib.NodeId;

/**
 * Record format version 2 (each record carries its segment's synced end), and logs of version-1 segments written by
 * the previous release: read with the previous recovery rule, never written again.
 */
class SegmentFormatTest {

    private static final FileLogOptions OPTIONS = FileLogOptions.defaults().withSegmentSizeBytes(4096);
    private static final HardState STATE = new HardState(1, Optional.of(NodeId.of("n1")), 3);

    @TempDir
    Path dir;

    private Path segment(long firstIndex) {
        return dir.resolve(Segment.fileName(firstIndex));
    }

    /** Writes a version-1 segment of {@code entries} as the previous release did, {@code zeros} bytes after them. */
    private void writeVersion1(long firstIndex, long prevTerm, List<LogEntry> entries, int zeros) throws IOException {
        ByteBuffer file = ByteBuffer.allocate(1 << 16);
        file.put(Segment.encodeHeader(firstIndex, prevTerm, 1));
        for (LogEntry e : entries) {
            int start = file.position();
            int body = RecordCodec.FIXED_BODY_BYTES_V1 + e.data().length();
            file.putInt(body).putInt(0).putLong(e.term()).putLong(e.index()).put(e.type().code());
            e.data().writeTo(file);
            file.putInt(start + 4, RecordCodec.checksum(file, start + RecordCodec.HEADER_BYTES, body));
        }
        file.position(file.position() + zeros);
        Files.write(segment(firstIndex), Arrays.copyOf(file.array(), file.position()));
        HardStateFile.save(dir, STATE, FileOps.DEFAULT);
    }

    private static int versionOf(Path segment) throws IOException {
        return ByteBuffer.wrap(Files.readAllBytes(segment)).getInt(4);
    }

    @Test
    void aRecordCarriesTheEndOfTheLastCompletedSync() throws IOException {
        try (FileLogStorage s = FileLogStorage.open(dir, OPTIONS)) {
            s.append(CrashRecoveryTest.entries(1, 3, 1));
            s.sync();
            s.append(CrashRecoveryTest.entries(4, 5, 1));
        }
        ByteBuffer file = ByteBuffer.wrap(Files.readAllBytes(segment(1)));
        long afterThree = Segment.HEADER_BYTES;
        for (LogEntry e : CrashRecoveryTest.entries(1, 3, 1)) {
            afterThree += RecordCodec.recordBytes(e);
        }
        long position = Segment.HEADER_BYTES;
        for (LogEntry e : CrashRecoveryTest.entries(1, 5, 1)) {
            ReadResult r = RecordCodec.decode(file, (int) position, file.capacity() - (int) position, position,
                    1 << 20, Segment.VERSION);
            long expected = e.index() <= 3 ? Segment.HEADER_BYTES : afterThree;
            assertThat(r).isInstanceOfSatisfying(ReadResult.Entry.class, entry -> {
                assertThat(entry.entry()).isEqualTo(e);
                assertThat(entry.syncedEnd()).as("synced end in record %d", e.index()).isEqualTo(expected);
            });
            position += RecordCodec.recordBytes(e);
        }
    }

    @Test
    void aVersion1LogOpensAndNewEntriesGoToAVersion2Segment() throws IOException {
        writeVersion1(1, 0, CrashRecoveryTest.entries(1, 5, 1), 500);
        try (FileLogStorage s = FileLogStorage.open(dir, OPTIONS)) {
            assertThat(s.entries(1, 6, Long.MAX_VALUE)).isEqualTo(CrashRecoveryTest.entries(1, 5, 1));
            long firstTwo = s.entries(1, 3, Long.MAX_VALUE).stream().mapToLong(LogEntry::sizeBytes).sum();
            assertThat(s.entries(1, 6, firstTwo - 1)).as("sizes from a version-1 index").hasSize(1);
            s.append(CrashRecoveryTest.entries(6, 8, 2));
            s.sync();
        }
        assertThat(Segments.firstIndexes(dir)).containsExactly(1L, 6L);
        assertThat(versionOf(segment(1))).isEqualTo(1);
        assertThat(versionOf(segment(6))).isEqualTo(2);
        try (FileLogStorage s = FileLogStorage.open(dir, OPTIONS)) {
            assertThat(s.entries(1, 9, Long.MAX_VALUE)).containsExactlyElementsOf(concat(
                    CrashRecoveryTest.entries(1, 5, 1), CrashRecoveryTest.entries(6, 8, 2)));
            assertThat(s.term(5)).isEqualTo(1);
            assertThat(s.hardState()).isEqualTo(STATE);
        }
    }

    @Test
    void anEmptyVersion1LastSegmentGetsAVersion2HeaderInPlace() throws IOException {
        writeVersion1(1, 0, List.of(), 1000);
        try (FileLogStorage s = FileLogStorage.open(dir, OPTIONS)) {
            s.append(CrashRecoveryTest.entries(1, 2, 1));
            s.sync();
        }
        assertThat(Segments.firstIndexes(dir)).containsExactly(1L);
        assertThat(versionOf(segment(1))).isEqualTo(2);
        try (FileLogStorage s = FileLogStorage.open(dir, OPTIONS)) {
            assertThat(s.entries(1, 3, Long.MAX_VALUE)).isEqualTo(CrashRecoveryTest.entries(1, 2, 1));
        }
    }

    @Test
    void aVersion1LastSegmentKeepsThePreviousRuleAHoleFollowedByAValidRecordRefuses() throws IOException {
        List<LogEntry> entries = CrashRecoveryTest.entries(1, 6, 1);
        writeVersion1(1, 0, entries, 0);
        long third = Segment.HEADER_BYTES;
        for (LogEntry e : entries.subList(0, 2)) {
            third += RecordCodec.HEADER_BYTES + RecordCodec.FIXED_BODY_BYTES_V1 + e.data().length();
        }
        byte[] bytes = Files.readAllBytes(segment(1));
        Arrays.fill(bytes, (int) third, (int) third + 20, (byte) 0);
        Files.write(segment(1), bytes);
        long offset = third;

        assertThatThrownBy(() -> FileLogStorage.open(dir, OPTIONS).close())
                .isInstanceOfSatisfying(StorageException.class, e -> {
                    assertThat(e.offset()).hasValue(offset);
                    assertThat(e.getMessage()).contains("version-1 segment");
                });
    }

    @Test
    void aTornTailOfAVersion1LastSegmentIsTruncated() throws IOException {
        writeVersion1(1, 0, CrashRecoveryTest.entries(1, 6, 1), 0);
        byte[] bytes = Files.readAllBytes(segment(1));
        Files.write(segment(1), Arrays.copyOf(bytes, bytes.length - 3));
        try (FileLogStorage s = FileLogStorage.open(dir, OPTIONS)) {
            assertThat(s.entries(1, s.lastIndex() + 1, Long.MAX_VALUE)).isEqualTo(CrashRecoveryTest.entries(1, 5, 1));
        }
    }

    @Test
    void truncatingBackIntoAVersion1SegmentWritesVersion2After() throws IOException {
        writeVersion1(1, 0, CrashRecoveryTest.entries(1, 6, 1), 0);
        try (FileLogStorage s = FileLogStorage.open(dir, OPTIONS)) {
            s.append(CrashRecoveryTest.entries(7, 9, 1));           // into the version-2 segment made at open
            s.truncateSuffix(4);                                    // deletes it and makes the version-1 one active
            s.append(CrashRecoveryTest.entries(4, 5, 2));
            s.sync();
        }
        assertThat(Segments.firstIndexes(dir)).containsExactly(1L, 4L);
        assertThat(versionOf(segment(4))).isEqualTo(2);
        try (FileLogStorage s = FileLogStorage.open(dir, OPTIONS)) {
            assertThat(s.entries(1, s.lastIndex() + 1, Long.MAX_VALUE)).containsExactlyElementsOf(concat(
                    CrashRecoveryTest.entries(1, 3, 1), CrashRecoveryTest.entries(4, 5, 2)));
        }
    }

    @Test
    void aSegmentOfAnUnknownNewerVersionRefusesRatherThanPassingForTorn() throws IOException {
        try (FileLogStorage s = FileLogStorage.open(dir, OPTIONS)) {
            s.append(CrashRecoveryTest.entries(1, 3, 1));
            s.sync();
        }
        byte[] bytes = Files.readAllBytes(segment(1));
        System.arraycopy(Segment.encodeHeader(1, 0, 3).array(), 0, bytes, 0, Segment.HEADER_BYTES);
        Files.write(segment(1), bytes);

        assertThatThrownBy(() -> FileLogStorage.open(dir, OPTIONS).close())
                .isInstanceOf(StorageException.class).hasMessageContaining("format version 3");
        assertThat(segment(1)).exists();
    }

    private static List<LogEntry> concat(List<LogEntry> a, List<LogEntry> b) {
        return Stream.concat(a.stream(), b.stream()).toList();
    }
}
