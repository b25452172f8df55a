package org.raftlib.examples.benchmark;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link SnapshotInstallBenchmark} with a 16 MiB state: a follower installs it over Netty from files and restores
 * exactly the state the leader snapshotted; {@link SnapshotCopyBaseline} copies the same size and checks its copy.
 * The 1 GiB runs with {@code -Xmx256m} are manual ones (benchmark README).
 */
class SnapshotInstallBenchmarkSmokeTest {

    @TempDir
    Path dir;

    @Test
    void aFollowerInstallsA16MibSnapshotAndRestoresItExactly() throws Exception {
        assertThat(SnapshotInstallBenchmark.run(dir, 16L << 20)).isTrue();
    }

    @Test
    void theCopyBaselineCopies16MibAndChecksTheCopy() throws Exception {
        assertThat(SnapshotCopyBaseline.run(dir, 16L << 20)).isPositive();
    }
}
