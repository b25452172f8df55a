package org.raftlib.examples.benchmark;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A few thousand reads per phase through the real benchmark path; asserts only that the data set's check passed and
 * every answer was valid, no timing (a follower refusing a linearizable read is an error of its phase, not a failure).
 */
class ReadBenchmarkSmokeTest {

    @TempDir
    Path dir;

    @Test
    void smokeRunPassesItsChecks() throws Exception {
        assertThat(ReadBenchmark.run(ReadBenchmark.Options.parse("--smoke", "--dir=" + dir))).isTrue();
    }

    @Test
    void modesAndInFlightCountsAreParsed() {
        ReadBenchmark.Options o = ReadBenchmark.Options.parse("--modes=lease,stale", "--inflight=1,16");
        assertThat(o.targets()).containsExactly(ReadBenchmark.Target.LEASE, ReadBenchmark.Target.STALE);
        assertThat(o.inFlight()).containsExactly(1, 16);
    }

    @Test
    void unknownModeOrOptionIsRefused() {
        assertThatThrownBy(() -> ReadBenchmark.Options.parse("--modes=fast"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("fast");
        assertThatThrownBy(() -> ReadBenchmark.Options.parse("--bogus"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("--bogus");
    }
}
