package org.raftlib.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.raftlib.storage.CrashRecoveryTest.entries;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.raftlib.HardState;
import org.raftlib.NodeId;

/**
 * A log directory records the node it belongs to ({@code node-id}, written at the first bind): another node is
 * refused and changes nothing, a damaged file refuses naming it, a directory of an earlier release is adopted, and a
 * crash before the file's rename leaves a directory that binds cleanly. Before, any node opened any directory.
 */
class NodeIdentityFileTest {

    private static final NodeId N1 = NodeId.of("n1");
    private static final NodeId N2 = NodeId.of("n2");
    private static final FileLogOptions SMALL = FileLogOptions.defaults().withSegmentSizeBytes(2048);

    @TempDir
    Path dir;

    private Path file() {
        return dir.resolve(NodeIdentityFile.NAME);
    }

    /** Writes a log of 20 entries and a hard state into {@code dir}, bound to {@code node} unless it is null. */
    private void writeLog(NodeId node) throws IOException {
        try (FileLogStorage s = FileLogStorage.open(dir, SMALL)) {
            if (node != null) {
                s.bind(node);
            }
            s.append(entries(1, 20, 3));
            s.saveHardState(new HardState(3, Optional.of(N1), 20));
            s.sync();
        }
    }

    /** Every file of {@code dir} and its bytes, but the lock and the spare segment (scratch, rewritten at open). */
    static Map<String, byte[]> files(Path dir) throws IOException {
        Map<String, byte[]> files = new TreeMap<>();
        try (Stream<Path> list = Files.list(dir)) {
            for (Path p : list.toList()) {
                String name = p.getFileName().toString();
                if (!name.equals(DirectoryLock.NAME) && !name.equals(SpareSegment.NAME)) {
                    files.put(name, Files.readAllBytes(p));
                }
            }
        }
        return files;
    }

    private static byte[] bytes(NodeId node) {
        ByteBuffer buffer = NodeIdentityFile.encode(node);
        byte[] bytes = new byte[buffer.remaining()];
        buffer.get(bytes);
        return bytes;
    }

    private void bind(NodeId node) throws IOException {
        try (FileLogStorage s = FileLogStorage.open(dir, SMALL)) {
            s.bind(node);
        }
    }

    @Test
    void theFirstBindRecordsTheNodeDurablyAndTheSameNodeBindsAgain() throws IOException {
        writeLog(N1);
        assertThat(NodeIdentityFile.decode(Files.readAllBytes(file()))).contains(N1);
        assertThat(Files.exists(AtomicFiles.tempFor(file()))).isFalse();
        byte[] recorded = Files.readAllBytes(file());

        bind(N1);

        assertThat(Files.readAllBytes(file())).isEqualTo(recorded);
    }

    @Test
    void anotherNodeIsRefusedNamingBothAndTheDirectoryWhichIsLeftAsItWas() throws IOException {
        writeLog(N1);
        Map<String, byte[]> before = files(dir);

        assertThatThrownBy(() -> bind(N2)).isInstanceOf(StorageException.class)
                .hasMessageContaining("log directory " + dir.toAbsolutePath() + " belongs to node n1, not to n2")
                .hasMessageContaining("start n2 on its own directory")
                .hasMessageContaining("a new member starts on an empty directory")
                .satisfies(e -> assertThat(((StorageException) e).file()).isEqualTo(file().toAbsolutePath()));

        Map<String, byte[]> after = files(dir);
        assertThat(after.keySet()).isEqualTo(before.keySet());
        before.forEach((name, content) -> assertThat(after.get(name)).as(name).isEqualTo(content));
        try (FileLogStorage s = FileLogStorage.open(dir, SMALL)) {
            s.bind(N1);
            assertThat(s.entries(1, 21, Long.MAX_VALUE)).isEqualTo(entries(1, 20, 3));
        }
    }

    @Test
    void aDamagedFileRefusesNamingIt() throws IOException {
        writeLog(N1);
        byte[] good = Files.readAllBytes(file());
        for (int bit = 0; bit < good.length * 8; bit += 3) {
            byte[] damaged = good.clone();
            damaged[bit / 8] ^= (byte) (1 << (bit % 8));
            Files.write(file(), damaged);

            assertThatThrownBy(() -> bind(N1)).as("bit %d", bit).isInstanceOf(StorageException.class)
                    .hasMessageContaining("is damaged").hasMessageContaining("replace the member")
                    .hasMessageContaining(file().toString());
        }
        Files.write(file(), new byte[0]);
        assertThatThrownBy(() -> bind(N1)).as("empty").isInstanceOf(StorageException.class);
    }

    @Test
    void aDirectoryOfAnEarlierReleaseIsTakenAsTheFirstBindingNodesAndThenRefusesOthers() throws IOException {
        writeLog(null);
        assertThat(Files.exists(file())).isFalse();

        bind(N2);

        assertThat(NodeIdentityFile.decode(Files.readAllBytes(file()))).contains(N2);
        assertThatThrownBy(() -> bind(N1)).isInstanceOf(StorageException.class)
                .hasMessageContaining("belongs to node n2, not to n1");
    }

    @Test
    void aCrashWhileWritingTheTemporaryFileLeavesADirectoryThatAnyNodeBinds() throws IOException {
        writeLog(null);
        byte[] full = bytes(N1);
        for (int length = 0; length < full.length; length++) {
            Files.deleteIfExists(file());
            Files.write(AtomicFiles.tempFor(file()), Arrays.copyOf(full, length));

            bind(N2);

            assertThat(NodeIdentityFile.decode(Files.readAllBytes(file()))).as("temp of %d bytes", length).contains(N2);
            assertThat(Files.exists(AtomicFiles.tempFor(file()))).as("temp removed").isFalse();
        }
    }

    @Test
    void aCrashBeforeTheRenameOfACompleteTemporaryFileIsFinishedForItsNode() throws IOException {
        writeLog(null);
        Files.write(AtomicFiles.tempFor(file()), bytes(N1));

        bind(N1);

        assertThat(Files.readAllBytes(file())).isEqualTo(bytes(N1));
        assertThat(Files.exists(AtomicFiles.tempFor(file()))).isFalse();
        assertThatThrownBy(() -> bind(N2)).isInstanceOf(StorageException.class);
    }

    @Test
    void idsOfEveryLengthRoundTrip() {
        for (String id : new String[] {"a", "nœud-7", "x".repeat(NodeId.MAX_LENGTH)}) {
            assertThat(NodeIdentityFile.decode(bytes(NodeId.of(id)))).contains(NodeId.of(id));
        }
    }
}
