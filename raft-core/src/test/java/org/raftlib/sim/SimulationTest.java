package org.raftlib.sim;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.raftlib.sim.lin.Linearizability;

/**
 * Deterministic simulation of 3- and 5-node clusters under seeded faults, with every safety invariant checked
 * after every event, then a liveness phase without faults. {@code -Draftlib.seeds=N} runs N seeds (CI: 500) from
 * {@code -Draftlib.firstSeed=F} (default 0, so that a soak can try seeds CI never ran), {@code -Draftlib.seed=S}
 * replays one; a failure prints the replay command. At the end of each seed the clients'
 * history (writes, and reads of every kind) must be linearizable ({@link ClientHistory}); {@code -Draftlib.stats=true}
 * prints its size and the search's cost per seed.
 */
class SimulationTest {

    private static final int LIVENESS_TICKS = 300;

    static LongStream seeds() {
        Long one = Long.getLong("raftlib.seed");
        long first = Long.getLong("raftlib.firstSeed", 0);
        return one != null ? LongStream.of(one) : LongStream.range(first, first + Long.getLong("raftlib.seeds", 500));
    }

    @ParameterizedTest(name = "seed={0}")
    @MethodSource("seeds")
    void clusterStaysSafeUnderFaultsAndRecoversAfter(long seed) {
        SimOptions options = SimOptions.forSeed(seed);
        int nodes = options.nodes();
        Simulation sim = new Simulation(seed, options);
        String replay = "replay: mvn -pl raft-core test -Dtest=SimulationTest -Draftlib.seed=" + seed;

        try {
            sim.runWithFaults();
        } catch (RuntimeException e) {
            throw new AssertionError("a node threw during the faults (" + sim.violations() + "); " + replay, e);
        }
        assertThat(sim.violations()).as("safety during faults, %d nodes; %s", nodes, replay).isEmpty();

        // A voter promoted far behind (the simulation ignores the catch-up bound half the time) catches up one entry
        // per round trip on the tiny-flow, slow-disk seeds: membership seeds get twice the time.
        int liveness = options.spares() > 0 ? 2 * LIVENESS_TICKS : LIVENESS_TICKS;
        long ticks = sim.stabilize(liveness);
        assertThat(sim.violations()).as("safety after faults, %d nodes; %s", nodes, replay).isEmpty();
        Linearizability.Result lin = sim.checkLinearizability();
        if (Boolean.getBoolean("raftlib.stats")) {
            System.out.printf("seed %d: %d gray episodes, %d operations (answered writes, answered reads, writes never"
                    + " applied: %s), %d search steps%n", seed, sim.grayEpisodes(), sim.clients().operations(),
                    Arrays.toString(sim.clients().counts()), lin.steps());
        }
        assertThat(lin.linearizable()).as("linearizable client history (%d operations, %d search steps): %s; %s",
                sim.clients().operations(), lin.steps(), lin.explanation(), replay).isTrue();
        assertThat(ticks).as("converged within %d ticks after faults stopped; %s", liveness, replay)
                .isGreaterThanOrEqualTo(0);
    }

    /** Seeds with snapshots on compact their logs and have followers install snapshots during the faults. */
    @Test
    void snapshotsAreInstalledDuringFaults() {
        long installed = 0;
        for (long seed = 0; seed < 28; seed++) {
            Simulation sim = new Simulation(seed, SimOptions.forSeed(seed));
            sim.runWithFaults();
            assertThat(sim.violations()).as("seed %d", seed).isEmpty();
            installed += sim.snapshotsInstalled();
        }
        assertThat(installed).isPositive();
    }

    /**
     * The seeds exercise ReadIndex and leases both ways: reads are confirmed and served, some at once under a lease
     * (with drifting clocks), some forwarded by followers, and reads are aborted; leaders suffer gray failures.
     */
    @Test
    void readsAreConfirmedServedAndAborted() {
        long served = 0;
        long aborted = 0;
        long atOnce = 0;
        long leaseReads = 0;
        long forwarded = 0;
        long gray = 0;
        for (long seed = 0; seed < 10; seed++) {
            Simulation sim = new Simulation(seed, SimOptions.forSeed(seed));
            sim.runWithFaults();
            assertThat(sim.violations()).as("seed %d", seed).isEmpty();
            served += sim.reads().served();
            aborted += sim.reads().aborted();
            atOnce += sim.reads().confirmedAtOnce();
            leaseReads += sim.leaseReads();
            forwarded += sim.forwardedReads();
            gray += sim.grayEpisodes();
        }
        assertThat(forwarded).isPositive();
        assertThat(gray).isPositive();
        assertThat(served).isPositive();
        assertThat(aborted).isPositive();
        assertThat(atOnce).as("of %d lease reads a leader accepted", leaseReads).isGreaterThan(leaseReads / 20);
    }
}
