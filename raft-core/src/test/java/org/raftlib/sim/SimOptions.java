package org.raftlib.sim;

import org.raftlib.internal.core.CoreConfig;

/**
 * The shape of one simulation run. Times are in simulated units; a node ticks every {@link #TICK} units.
 *
 * @param nodes cluster size
 * @param faultEvents events to run with faults on, before the liveness phase
 * @param dropRate probability that a message is lost
 * @param duplicateRate probability that a message is delivered twice
 * @param maxDelay a message takes 1 to {@code maxDelay} units, so messages overtake each other
 * @param maxDiskDelay a write completes 0 to {@code maxDiskDelay} units after it was handed out
 * @param crashRate per tick of node 0: probability that a node crashes, losing its unsynced writes
 * @param partitionRate per tick of node 0: probability that a partition starts or heals
 * @param proposalRate per tick event: probability of a proposal to a random node
 * @param flow replication limits; tiny ones (one entry per message) let old-term entries travel alone
 * @param fileSystem how a crash may keep the writes a node had not synced
 * @param snapshots when nodes snapshot and compact (every 0 entries: never)
 * @param spares nodes beyond {@code nodes} that start outside the cluster (joining, no voters); with any, the leader
 *     changes the membership at random: learners added, promoted, members removed, joint changes of several voters
 */
record SimOptions(
        int nodes,
        int faultEvents,
        double dropRate,
        double duplicateRate,
        int maxDelay,
        int maxDiskDelay,
        double crashRate,
        double partitionRate,
        double proposalRate,
        CoreConfig.FlowControl flow,
        SimStorage.FileSystem fileSystem,
        Snapshots snapshots,
        int spares) {

    /**
     * A snapshot after {@code every} applied entries, compaction keeping {@code keep} entries before it.
     *
     * @param every entries between snapshots; 0 for none
     * @param keep entries kept before a snapshot's index
     */
    record Snapshots(int every, int keep) {
        static final Snapshots OFF = new Snapshots(0, 0);
    }

    static final int TICK = 10;
    /**
     * The bound on clock drift the nodes' leases assume ({@link CoreConfig#leaseTicksFor}); each node's tick period
     * differs from {@link #TICK} by less than half of it, so any two clocks' rates are within the bound.
     */
    static final double CLOCK_DRIFT = 0.05;

    static SimOptions defaults(int nodes) {
        return new SimOptions(nodes, 5_000, 0.05, 0.02, 25, 8, 0.05, 0.03, 0.3, CoreConfig.FlowControl.DEFAULT,
                SimStorage.FileSystem.UNORDERED, Snapshots.OFF, 0);
    }

    /**
     * Options for {@code seed}: cluster size, flow limits, file system and disk speed vary with it, so the seeds
     * together cover every combination. Every other seed has a disk slower than a message round trip, so votes and
     * acknowledgements often arrive while a node's own write is still unsynced. Half the seeds snapshot every few
     * entries and compact, so followers install snapshots during the faults. Half the seeds have two spare nodes and
     * random membership changes. {@code -Draftlib.fs=ORDERED} or
     * {@code UNORDERED} runs every seed under one file system.
     */
    static SimOptions forSeed(long seed) {
        SimOptions o = defaults(seed % 2 == 0 ? 3 : 5);
        if (seed % 3 != 0) {
            o = o.withFlow(new CoreConfig.FlowControl(1 + (int) (seed % 4), 1, 64));
        }
        String fs = System.getProperty("raftlib.fs");
        SimStorage.FileSystem fileSystem = fs != null ? SimStorage.FileSystem.valueOf(fs)
                : (seed >> 1) % 2 == 0 ? SimStorage.FileSystem.ORDERED : SimStorage.FileSystem.UNORDERED;
        int diskDelay = (seed / 5) % 2 == 0 ? 60 : o.maxDiskDelay();
        Snapshots snapshots = (seed / 7) % 2 == 0 ? new Snapshots(5 + (int) (seed % 20), (int) (seed % 4))
                : Snapshots.OFF;
        int spares = (seed / 11) % 2 == 0 ? 2 : 0;
        return new SimOptions(o.nodes, o.faultEvents, o.dropRate, o.duplicateRate, o.maxDelay, diskDelay, o.crashRate,
                o.partitionRate, o.proposalRate, o.flow, fileSystem, snapshots, spares);
    }

    SimOptions withFlow(CoreConfig.FlowControl newFlow) {
        return new SimOptions(nodes, faultEvents, dropRate, duplicateRate, maxDelay, maxDiskDelay, crashRate,
                partitionRate, proposalRate, newFlow, fileSystem, snapshots, spares);
    }

    SimOptions withFaultEvents(int events) {
        return new SimOptions(nodes, events, dropRate, duplicateRate, maxDelay, maxDiskDelay, crashRate,
                partitionRate, proposalRate, flow, fileSystem, snapshots, spares);
    }
}
