package org.raftlib.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.raftlib.HardState;
import org.raftlib.NodeId;

/**
 * A crash at any point of the atomic replace (temp written partly or fully, renamed or not) leaves the old or the new
 * hard state, never a mix or an empty one.
 */
class HardStateFileTest {

    private static final HardState OLD = new HardState(5, Optional.of(NodeId.of("n1")), 7);
    private static final HardState NEW = new HardState(6, Optional.of(NodeId.of("nœud-2")), 9);

    @TempDir
    Path dir;

    private Path main() {
        return dir.resolve(HardStateFile.NAME);
    }

    private Path temp() {
        return AtomicFiles.tempFor(main());
    }

    private static byte[] bytes(HardState state) {
        ByteBuffer buffer = HardStateFile.encode(state);
        byte[] bytes = new byte[buffer.remaining()];
        buffer.get(bytes);
        return bytes;
    }

    @Test
    void roundTrips() throws IOException {
        HardStateFile.save(dir, NEW, FileOps.DEFAULT);
        assertThat(HardStateFile.load(dir, FileOps.DEFAULT)).contains(NEW);
        HardStateFile.save(dir, HardState.INITIAL, FileOps.DEFAULT);
        assertThat(HardStateFile.load(dir, FileOps.DEFAULT)).contains(HardState.INITIAL);
        assertThat(Files.exists(temp())).isFalse();
    }

    @Test
    void aCrashWhileWritingTheTempFileLeavesTheOldState() throws IOException {
        byte[] next = bytes(NEW);
        for (int length = 0; length <= next.length; length++) {
            Files.write(main(), bytes(OLD));
            Files.write(temp(), Arrays.copyOf(next, length));

            assertThat(HardStateFile.load(dir, FileOps.DEFAULT)).as("temp of %d bytes", length).contains(OLD);
            assertThat(Files.exists(temp())).as("temp removed").isFalse();
        }
    }

    @Test
    void aCrashAfterRenameBeforeTheDirectoryFsyncLeavesTheNewState() throws IOException {
        Files.write(main(), bytes(NEW));
        assertThat(HardStateFile.load(dir, FileOps.DEFAULT)).contains(NEW);
    }

    @Test
    void aDamagedMainFileWithACompleteTempFileGivesTheNewState() throws IOException {
        byte[] old = bytes(OLD);
        for (int length = 0; length < old.length; length++) {
            Files.write(main(), Arrays.copyOf(old, length));
            Files.write(temp(), bytes(NEW));

            assertThat(HardStateFile.load(dir, FileOps.DEFAULT)).as("main of %d bytes", length).contains(NEW);
            assertThat(Files.readAllBytes(main())).as("replace finished").isEqualTo(bytes(NEW));
            assertThat(Files.exists(temp())).isFalse();
        }
    }

    @Test
    void aMissingMainFileWithACompleteTempFileGivesTheNewState() throws IOException {
        Files.write(temp(), bytes(NEW));
        assertThat(HardStateFile.load(dir, FileOps.DEFAULT)).contains(NEW);
    }

    @Test
    void aDamagedMainFileWithoutAValidTempFileRefuses() throws IOException {
        byte[] old = bytes(OLD);
        for (int bit = 0; bit < old.length * 8; bit += 5) {
            byte[] damaged = old.clone();
            damaged[bit / 8] ^= (byte) (1 << (bit % 8));
            Files.write(main(), damaged);
            Files.write(temp(), Arrays.copyOf(bytes(NEW), 10));

            assertThatThrownBy(() -> HardStateFile.load(dir, FileOps.DEFAULT)).as("bit %d", bit)
                    .isInstanceOf(StorageException.class).hasMessageContaining("damaged hard state");
        }
    }

    @Test
    void anEmptyMainFileRefusesRatherThanReadingAsInitial() throws IOException {
        Files.write(main(), new byte[0]);
        assertThatThrownBy(() -> HardStateFile.load(dir, FileOps.DEFAULT)).isInstanceOf(StorageException.class);
    }

    @Test
    void theStorageReopensWithTheOldStateAfterACrashMidReplace() throws IOException {
        try (FileLogStorage s = FileLogStorage.open(dir)) {
            s.saveHardState(OLD);
        }
        Files.write(temp(), Arrays.copyOf(bytes(NEW), 17));
        try (FileLogStorage s = FileLogStorage.open(dir)) {
            assertThat(s.hardState()).isEqualTo(OLD);
        }
    }

    @Test
    void theStorageRefusesSegmentsWithoutAHardStateFile() throws IOException {
        try (FileLogStorage s = FileLogStorage.open(dir)) {
            s.append(CrashRecoveryTest.entries(1, 3, 1));
            s.sync();
        }
        Files.delete(main());
        assertThatThrownBy(() -> FileLogStorage.open(dir)).isInstanceOf(StorageException.class)
                .hasMessageContaining("hard state file is missing");
    }
}
