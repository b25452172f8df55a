package org.raftlib.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.raftlib.HardState;
import org.raftlib.NodeId;

/** Write and fsync failures injected through the {@link FileOps} seam: fail-stop, synced data intact. */
class FaultInjectionTest {

    private static final FileLogOptions SMALL = FileLogOptions.defaults().withSegmentSizeBytes(1024);

    @TempDir
    Path dir;

    private final FaultyChannels channels = new FaultyChannels();

    private FileLogStorage open() throws IOException {
        return FileLogStorage.open(dir, SMALL, channels);
    }

    private static void assertRefusesWrites(FileLogStorage s) {
        assertThatThrownBy(() -> s.append(CrashRecoveryTest.entries(s.lastIndex() + 1, s.lastIndex() + 1, 1)))
                .isInstanceOf(IOException.class).hasMessageContaining("refuses writes");
        assertThatThrownBy(s::sync).isInstanceOf(IOException.class).hasMessageContaining("refuses writes");
        assertThatThrownBy(() -> s.truncateSuffix(s.lastIndex())).isInstanceOf(IOException.class);
        assertThatThrownBy(() -> s.compactPrefix(0)).isInstanceOf(IOException.class);
        assertThatThrownBy(() -> s.saveHardState(HardState.INITIAL)).isInstanceOf(IOException.class);
    }

    @Test
    void oneSyncForcesOnceForManyAppends() throws IOException {
        try (FileLogStorage s = FileLogStorage.open(dir, FileLogOptions.defaults(), channels)) {
            for (long i = 1; i <= 100; i++) {
                s.append(CrashRecoveryTest.entries(i, i, 1));
            }
            int before = channels.segmentForces;
            s.sync();
            assertThat(channels.segmentForces - before).isEqualTo(1);
        }
    }

    /**
     * The data directory deleted under a running log (an outside probe: rm -rf of a follower's directory). Appends and
     * forces of the open, unlinked file still succeed, so without a check the node acknowledged entries a restart
     * could not find; the sync now fails and the storage refuses writes.
     */
    @Test
    void aSyncFailsOnceTheDirectoryWasDeletedUnderTheLog() throws IOException {
        Path data = dir.resolve("data");
        try (FileLogStorage s = FileLogStorage.open(data, SMALL, channels)) {
            s.append(CrashRecoveryTest.entries(1, 3, 1));
            s.sync();
            try (Stream<Path> files = Files.walk(data)) {
                for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                    Files.delete(p);
                }
            }
            s.append(CrashRecoveryTest.entries(4, 5, 1));

            assertThatThrownBy(s::sync).isInstanceOf(IOException.class).hasMessageContaining("no longer exists");
            assertRefusesWrites(s);
        }
    }

    /** A segment file replaced by another one at its name (a restore from a backup under a running node, say). */
    @Test
    void aSyncFailsOnceTheSegmentFileWasReplaced() throws IOException {
        try (FileLogStorage s = open()) {
            s.append(CrashRecoveryTest.entries(1, 3, 1));
            s.sync();
            Path segment = dir.resolve(Segment.fileName(1));
            Path copy = dir.resolve("copy");
            Files.copy(segment, copy);
            Files.move(copy, segment, StandardCopyOption.REPLACE_EXISTING);
            s.append(CrashRecoveryTest.entries(4, 5, 1));

            assertThatThrownBy(s::sync).isInstanceOf(IOException.class).hasMessageContaining("was replaced");
            assertRefusesWrites(s);
        }
    }

    /**
     * The hard state failing to be written at first open (a full disk) names the file: the node reported only "No
     * space left on device" (outside probe).
     */
    @Test
    void aHardStateThatCannotBeWrittenIsNamed() {
        FileOps failingTemp = (path, options) -> {
            if (path.getFileName().toString().equals(HardStateFile.NAME + AtomicFiles.TEMP_SUFFIX)) {
                channels.failWrites = true;
            }
            return channels.open(path, options);
        };
        assertThatThrownBy(() -> FileLogStorage.open(dir, SMALL, failingTemp)).isInstanceOf(IOException.class)
                .hasMessageContaining("cannot write " + dir.resolve(HardStateFile.NAME + AtomicFiles.TEMP_SUFFIX))
                .hasMessageContaining("injected write failure");
    }

    /** A directory where the hard state or the node's id should be names the file (it read "Is a directory"). */
    @ParameterizedTest
    @ValueSource(strings = {HardStateFile.NAME, NodeIdentityFile.NAME})
    void aFileThatCannotBeReadIsNamed(String name) throws IOException {
        try (FileLogStorage s = open()) {
            s.bind(NodeId.of("n1"));
        }
        Files.delete(dir.resolve(name));
        Files.createDirectory(dir.resolve(name));

        assertThatThrownBy(() -> {
            try (FileLogStorage s = open()) {
                s.bind(NodeId.of("n1"));
            }
        }).isInstanceOf(IOException.class).hasMessageContaining("cannot read " + dir.resolve(name));
    }

    /**
     * A segment whose creation fails is deleted: left behind, its zeros kept a full disk full and a restart adopted
     * it as a segment without preallocation (outside probe).
     */
    @Test
    void aSegmentWhoseCreationFailsIsDeleted() {
        FileOps unwritable = (path, options) -> {
            FileChannel c = FileChannel.open(path, options);
            c.close();                                       // every write now fails, as on a full disk
            return c;
        };
        Path seg = dir.resolve(Segment.fileName(7));

        assertThatThrownBy(() -> Segment.create(seg, 7, 1, SMALL, unwritable)).isInstanceOf(IOException.class)
                .hasMessageContaining("cannot create the log segment " + seg);
        assertThat(seg).doesNotExist();
    }

    /** A segment that cannot be created (a full disk while it is zero-filled) names the segment. */
    @Test
    void aSegmentThatCannotBeCreatedIsNamed() {
        FileOps onlySegments = (path, options) -> {
            if (path.getFileName().toString().endsWith(".seg")) {
                channels.failWrites = true;
            }
            return channels.open(path, options);
        };
        assertThatThrownBy(() -> FileLogStorage.open(dir, SMALL, onlySegments)).isInstanceOf(IOException.class)
                .hasMessageContaining("cannot create the log segment " + dir.resolve(Segment.fileName(1)))
                .hasMessageContaining("injected write failure");
    }

    @Test
    void anFsyncFailureSurfacesAndLaterWritesAreRefused() throws IOException {
        try (FileLogStorage s = open()) {
            s.append(CrashRecoveryTest.entries(1, 30, 1));
            s.sync();
            s.append(CrashRecoveryTest.entries(31, 35, 1));
            channels.failForces = true;

            assertThatThrownBy(s::sync).isInstanceOf(IOException.class).hasMessageContaining("injected fsync");
            channels.failForces = false;
            assertRefusesWrites(s);
            assertThat(s.entries(1, 31, Long.MAX_VALUE)).as("synced entries stay readable")
                    .isEqualTo(CrashRecoveryTest.entries(1, 30, 1));
        }
        try (FileLogStorage s = open()) {
            assertThat(s.lastIndex()).isGreaterThanOrEqualTo(30);
            assertThat(s.entries(1, 31, Long.MAX_VALUE)).isEqualTo(CrashRecoveryTest.entries(1, 30, 1));
        }
    }

    @Test
    void aWriteFailureSurfacesAndLaterWritesAreRefused() throws IOException {
        try (FileLogStorage s = open()) {
            s.append(CrashRecoveryTest.entries(1, 30, 1));
            s.sync();
            channels.failWrites = true;

            assertThatThrownBy(() -> s.append(CrashRecoveryTest.entries(31, 80, 1)))
                    .isInstanceOf(IOException.class).hasMessageContaining("injected write")
                    .hasMessageContaining("the log segment " + dir);   // names the file (a full disk, say)
            channels.failWrites = false;
            assertRefusesWrites(s);
        }
        try (FileLogStorage s = open()) {
            assertThat(s.entries(1, 31, Long.MAX_VALUE)).isEqualTo(CrashRecoveryTest.entries(1, 30, 1));
        }
    }

    @Test
    void aFailedRollKeepsTheSyncedLog() throws IOException {
        try (FileLogStorage s = open()) {
            s.append(CrashRecoveryTest.entries(1, 10, 1));
            s.sync();
            channels.failForces = true;                              // the roll forces the full segment

            assertThatThrownBy(() -> s.append(CrashRecoveryTest.entries(11, 200, 1))).isInstanceOf(IOException.class);
            channels.failForces = false;
            assertRefusesWrites(s);
        }
        try (FileLogStorage s = open()) {
            assertThat(s.entries(1, 11, Long.MAX_VALUE)).isEqualTo(CrashRecoveryTest.entries(1, 10, 1));
        }
    }

    @Test
    void whatARestartReadsAfterAFailedDirectoryFsyncIsDurable() throws IOException {
        HardState old = new HardState(3, Optional.of(NodeId.of("n1")), 0);
        HardState renamed = new HardState(4, Optional.of(NodeId.of("n2")), 0);
        try (FileLogStorage s = open()) {
            s.saveHardState(old);
        }
        FileOpLog log = new FileOpLog(dir);
        FaultyChannels recorded = new FaultyChannels(log, false);
        try (FileLogStorage s = FileLogStorage.open(dir, SMALL.withPreallocate(false), recorded)) {
            recorded.failDirectoryForces = true;                     // renamed, but the rename is not durable
            assertThatThrownBy(() -> s.saveHardState(renamed)).isInstanceOf(IOException.class);
            recorded.failDirectoryForces = false;
        }
        try (FileLogStorage s = FileLogStorage.open(dir, SMALL.withPreallocate(false), recorded)) {
            assertThat(s.hardState()).as("a restart after the failure reads the renamed file").isEqualTo(renamed);
        }
        CrashModel disk = new CrashModel(log.initial(), log.ops(), CrashModel.Fs.UNORDERED, 512);
        for (long n = 0; n < disk.stateCount(); n++) {
            CrashModel.write(disk.image(disk.state(n)), dir);
            try (FileLogStorage s = FileLogStorage.open(dir, SMALL)) {
                assertThat(s.hardState()).as("a crash after that restart, " + disk.lost(disk.state(n)))
                        .isEqualTo(renamed);
            }
        }
    }

    @Test
    void aFailedHardStateSaveKeepsTheOldStateAndRefusesWrites() throws IOException {
        HardState old = new HardState(3, Optional.of(NodeId.of("n1")), 0);
        try (FileLogStorage s = open()) {
            s.saveHardState(old);
            channels.failForces = true;

            assertThatThrownBy(() -> s.saveHardState(new HardState(4, Optional.empty(), 0)))
                    .isInstanceOf(IOException.class);
            channels.failForces = false;
            assertThat(s.hardState()).isEqualTo(old);
            assertRefusesWrites(s);
        }
        try (FileLogStorage s = open()) {
            assertThat(s.hardState()).isEqualTo(old);
            s.append(List.of());
        }
    }
}
