package org.raftlib.nemesis;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.Test;

/**
 * The fault suite against key-value example JVMs (see this module's README). In the normal build a short form: three
 * nodes for {@value #SHORT_SECONDS_3} s of faults, then five for {@value #SHORT_SECONDS_5} s.
 * {@code -Dnemesis.minutes=N} makes it a soak of N minutes on {@code -Dnemesis.nodes} nodes (3 by default);
 * {@code -Dnemesis.seed=S} replays a seed's fault schedule and workload; {@code -Dnemesis.unsafeLocalReads=true} runs a
 * deliberately broken build (GETs without ReadIndex), which must fail.
 */
class NemesisIT {

    static final int SHORT_SECONDS_3 = 45;
    static final int SHORT_SECONDS_5 = 30;
    private static final int CLIENTS = 5;

    @Test
    void historyIsLinearizableAndNodesConvergeUnderFaults() throws Exception {
        String minutesProperty = System.getProperty("nemesis.minutes", "");
        double minutes = minutesProperty.isBlank() ? 0 : Double.parseDouble(minutesProperty.trim());
        String seedProperty = System.getProperty("nemesis.seed", "");
        long seed = seedProperty.isBlank() ? ThreadLocalRandom.current().nextLong(1, 1_000_000)
                : Long.parseLong(seedProperty.trim());
        String nodesProperty = System.getProperty("nemesis.nodes", "");
        int nodes = nodesProperty.isBlank() ? 3 : Integer.parseInt(nodesProperty.trim());
        List<NemesisRun.Settings> runs = new ArrayList<>();
        boolean broken = Boolean.getBoolean("nemesis.unsafeLocalReads");
        Path out = Path.of(System.getProperty("nemesis.out", "target/nemesis"));
        if (minutes > 0) {
            runs.add(new NemesisRun.Settings(nodes, Duration.ofSeconds(Math.round(minutes * 60)), seed, CLIENTS,
                    broken, out));
        } else {
            runs.add(new NemesisRun.Settings(3, Duration.ofSeconds(SHORT_SECONDS_3), seed, CLIENTS, broken, out));
            runs.add(new NemesisRun.Settings(5, Duration.ofSeconds(SHORT_SECONDS_5), seed, CLIENTS, broken, out));
        }
        for (NemesisRun.Settings settings : runs) {
            NemesisRun.Result r = NemesisRun.run(settings, System.out);
            assertThat(r.passed()).as("fault run failed, %d nodes, seed %d (rerun with -Dnemesis.seed=%d), artifacts "
                    + "in %s:%n%s", settings.nodes(), seed, seed, r.dir(), r.report()).isTrue();
        }
    }
}
