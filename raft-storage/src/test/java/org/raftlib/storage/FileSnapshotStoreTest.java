package org.raftlib.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileSnapshotStoreTest {

    private static final long SEED = Long.getLong("raftlib.seed", 20261124L);

    @TempDir
    Path dir;

    private static byte[] payload(long index) {
        return ("state at " + index + " ").repeat((int) (index % 7 + 1)).getBytes(StandardCharsets.UTF_8);
    }

    private FileSnapshotStore.StoredSnapshot write(FileSnapshotStore store, long index, long term) throws IOException {
        try (FileSnapshotStore.Writer w = store.begin(index, term)) {
            w.write(payload(index));
            return w.commit();
        }
    }

    private static byte[] read(FileSnapshotStore.StoredSnapshot s) throws IOException {
        try (InputStream in = s.open()) {
            return in.readAllBytes();
        }
    }

    @Test
    void anEmptyStoreHasNoSnapshot() throws IOException {
        assertThat(FileSnapshotStore.open(dir).latest()).isEmpty();
    }

    @Test
    void readsBackTheLatestSnapshot() throws IOException {
        FileSnapshotStore store = FileSnapshotStore.open(dir);
        write(store, 10, 2);
        write(store, 25, 3);

        FileSnapshotStore.StoredSnapshot latest = store.latest().orElseThrow();

        assertThat(latest.index()).isEqualTo(25);
        assertThat(latest.term()).isEqualTo(3);
        assertThat(latest.sizeBytes()).isEqualTo(payload(25).length);
        assertThat(read(latest)).isEqualTo(payload(25));
    }

    @Test
    void aLargeSnapshotWrittenInPiecesReadsBack() throws IOException {
        FileSnapshotStore store = FileSnapshotStore.open(dir);
        byte[] big = new byte[300_000];
        new SplittableRandom(SEED).nextBytes(big);
        try (OutputStream w = store.begin(7, 1)) {
            for (int off = 0; off < big.length; off += 1000) {
                w.write(big, off, 1000);
            }
            w.write(42);
            ((FileSnapshotStore.Writer) w).commit();
        }
        byte[] read = read(store.latest().orElseThrow());
        assertThat(read).as("seed " + SEED).hasSize(big.length + 1).startsWith(big).endsWith(42);
    }

    @Test
    void keepsOnlyTheNewestN() throws IOException {
        FileSnapshotStore store = FileSnapshotStore.open(dir, 3);
        for (long i = 1; i <= 6; i++) {
            write(store, i * 10, 1);
        }
        try (var files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString()).sorted().toList()).containsExactly(
                    FileSnapshotStore.fileName(40, 1), FileSnapshotStore.fileName(50, 1),
                    FileSnapshotStore.fileName(60, 1));
        }
    }

    @Test
    void aCorruptLatestSnapshotFallsBackToThePreviousValidOne() throws IOException {
        FileSnapshotStore store = FileSnapshotStore.open(dir, 5);
        write(store, 10, 1);
        write(store, 20, 1);
        Path latest = write(store, 30, 2).file();
        SplittableRandom random = new SplittableRandom(SEED);
        byte[] original = Files.readAllBytes(latest);
        for (int round = 0; round < 30; round++) {
            byte[] damaged = original.clone();
            damaged[random.nextInt(damaged.length)] ^= (byte) (1 << random.nextInt(8));
            Files.write(latest, damaged);

            Optional<FileSnapshotStore.StoredSnapshot> found = store.latest();

            assertThat(found).as("seed " + SEED + " round " + round).isPresent();
            assertThat(found.get().index()).as("seed " + SEED + " round " + round).isEqualTo(20);
            assertThat(read(found.get())).isEqualTo(payload(20));
        }
        Files.write(latest, new byte[0]);
        assertThat(store.latest().orElseThrow().index()).isEqualTo(20);
    }

    @Test
    void anAbandonedWriterLeavesNothing() throws IOException {
        FileSnapshotStore store = FileSnapshotStore.open(dir);
        write(store, 5, 1);
        try (FileSnapshotStore.Writer w = store.begin(9, 1)) {
            w.write(payload(9));
        }
        assertThat(store.latest().orElseThrow().index()).isEqualTo(5);
        try (var files = Files.list(dir)) {
            assertThat(files.count()).isEqualTo(1);
        }
    }

    @Test
    void reopeningDeletesTempFilesOfAnUnfinishedWrite() throws IOException {
        FileSnapshotStore store = FileSnapshotStore.open(dir);
        write(store, 5, 1);
        FileSnapshotStore.Writer w = store.begin(9, 1);
        w.write(payload(9));                                         // crash: never committed nor closed

        FileSnapshotStore reopened = FileSnapshotStore.open(dir);

        assertThat(Files.exists(AtomicFiles.tempFor(dir.resolve(FileSnapshotStore.fileName(9, 1))))).isFalse();
        assertThat(reopened.latest().orElseThrow().index()).isEqualTo(5);
        w.close();
    }

    @Test
    void aFinishedWriterRefusesMoreBytes() throws IOException {
        FileSnapshotStore store = FileSnapshotStore.open(dir);
        FileSnapshotStore.Writer w = store.begin(1, 1);
        w.commit();
        assertThatThrownBy(() -> w.write(1)).isInstanceOf(IOException.class);
        assertThatThrownBy(w::commit).isInstanceOf(IOException.class);
        w.close();
        assertThat(store.latest().orElseThrow().sizeBytes()).isZero();
    }

    @Test
    void rejectsBadArguments() throws IOException {
        assertThatThrownBy(() -> FileSnapshotStore.open(dir, 0)).isInstanceOf(IllegalArgumentException.class);
        FileSnapshotStore store = FileSnapshotStore.open(dir);
        assertThatThrownBy(() -> store.begin(-1, 1)).isInstanceOf(IllegalArgumentException.class);
    }
}
