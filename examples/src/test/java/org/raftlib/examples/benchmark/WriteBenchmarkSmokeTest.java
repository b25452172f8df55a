package org.raftlib.examples.benchmark;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A few hundred writes per phase through the real benchmark path; asserts only the correctness check, no timing. */
class WriteBenchmarkSmokeTest {

    @TempDir
    Path dir;

    @Test
    void smokeRunPassesTheCorrectnessCheck() throws Exception {
        assertThat(WriteBenchmark.run(WriteBenchmark.Options.parse("--smoke", "--dir=" + dir))).isTrue();
    }

    @Test
    void unknownOptionIsRefused() {
        assertThatThrownBy(() -> WriteBenchmark.Options.parse("--bogus"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("--bogus");
    }
}
