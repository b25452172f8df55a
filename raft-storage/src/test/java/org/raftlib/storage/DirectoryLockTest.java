package org.raftlib.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.File;
import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DirectoryLockTest {

    @TempDir
    Path dir;

    private int probeFromAnotherProcess() throws IOException, InterruptedException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                "-Dorg.slf4j.simpleLogger.defaultLogLevel=off", LockProbe.class.getName(), dir.toString())
                .redirectError(ProcessBuilder.Redirect.DISCARD).redirectOutput(new File("/dev/null"))
                .start();
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).as("probe finished").isTrue();
        return p.exitValue();
    }

    @Test
    void anotherProcessCannotOpenALockedDirectoryEvenAfterAFailedAttemptHere() throws Exception {
        try (FileLogStorage s = FileLogStorage.open(dir)) {
            assertThatThrownBy(() -> FileLogStorage.open(dir)).isInstanceOf(StorageException.class)
                    .hasMessageContaining("already in use");

            assertThat(probeFromAnotherProcess()).as("exit code of the other process (3 = locked)").isEqualTo(3);
        }
        assertThat(probeFromAnotherProcess()).as("after close (0 = opened)").isZero();
    }
}
