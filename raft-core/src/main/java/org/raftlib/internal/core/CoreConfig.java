package org.raftlib.internal.core;

import java.util.Objects;
import java.util.Set;
import java.util.random.RandomGenerator;
import org.raftlib.NodeId;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Everything a {@link RaftCore} is configured with. Times are in ticks; the runtime converts durations.
 *
 * @param id this node
 * @param voters the voting members, usually including {@code id}
 * @param electionTicks T: a follower that hears from no leader for a random time in [T, 2T) starts an election
 * @param heartbeatTicks how often a leader sends heartbeats; less than {@code electionTicks}
 * @param preVote whether to run a pre-vote before raising the term (thesis §9.6)
 * @param checkQuorum whether a leader steps down when it has not heard from a quorum for T ticks (thesis §6.2)
 * @param leaseTicks how long a leader's lease lasts after a quorum acknowledged it (thesis §6.4.1; see
 *     {@link #leaseTicksFor}); 0 turns leases off. With leases on (and CheckQuorum), a leader also steps down once its
 *     lease lapses, and a node grants no vote for its first T ticks after it starts
 * @param flow limits on replication traffic per follower and on apply batches
 * @param random the only source of randomness; seed it for reproducible runs
 * @param logger where role changes and per-message decisions are logged
 */
public record CoreConfig(
        NodeId id,
        Set<NodeId> voters,
        int electionTicks,
        int heartbeatTicks,
        boolean preVote,
        boolean checkQuorum,
        int leaseTicks,
        FlowControl flow,
        RandomGenerator random,
        Logger logger) {

    /**
     * Checks the configuration.
     *
     * @throws NullPointerException if a reference is null
     * @throws IllegalArgumentException if {@code heartbeatTicks < 1}, {@code electionTicks <= heartbeatTicks}, or
     *     {@code leaseTicks} is negative or not below {@code electionTicks}
     */
    public CoreConfig {
        Objects.requireNonNull(id, "id");
        voters = Set.copyOf(voters);
        Objects.requireNonNull(flow, "flow");
        Objects.requireNonNull(random, "random");
        Objects.requireNonNull(logger, "logger");
        if (heartbeatTicks < 1) {
            throw new IllegalArgumentException("heartbeatTicks must be at least 1: " + heartbeatTicks);
        }
        if (electionTicks <= heartbeatTicks) {
            throw new IllegalArgumentException("electionTicks (" + electionTicks + ") must exceed heartbeatTicks ("
                    + heartbeatTicks + ")");
        }
        if (leaseTicks < 0 || leaseTicks >= electionTicks) {
            throw new IllegalArgumentException("leaseTicks (" + leaseTicks + ") must be in [0, electionTicks)");
        }
    }

    /** The clock drift {@link #of} assumes: clocks run within 5% of each other's rate. */
    public static final double DEFAULT_CLOCK_DRIFT = 0.05;

    /**
     * The longest safe lease for an election timeout of {@code electionTicks}, when clocks run within
     * {@code maxDrift} of each other's rate: a voter refuses votes for at least {@code T - 1} of its ticks after
     * hearing from the leader (the first tick may come at once), and the leader cannot tell a tick boundary either,
     * so {@code (L + 1) / (1 - maxDrift) <= (T - 1) / (1 + maxDrift)}.
     *
     * @param electionTicks T
     * @param maxDrift the bound on the difference of clock rates, in [0, 0.5)
     * @return the lease in ticks, 0 if T is too short for any
     * @throws IllegalArgumentException if {@code maxDrift} is out of range
     */
    public static int leaseTicksFor(int electionTicks, double maxDrift) {
        if (!(maxDrift >= 0 && maxDrift < 0.5)) {
            throw new IllegalArgumentException("maxDrift must be in [0, 0.5): " + maxDrift);
        }
        long ticks = (long) Math.floor((electionTicks - 1) * (1 - maxDrift) / (1 + maxDrift)) - 1;
        return (int) Math.max(0, ticks);
    }

    /**
     * Returns a configuration with defaults: 10 election ticks, 1 heartbeat tick, PreVote and CheckQuorum on, no
     * leases, {@link FlowControl#DEFAULT}, and the {@link RaftCore} logger.
     *
     * @param id this node
     * @param voters the voting members
     * @param random the randomness source
     * @return the configuration
     */
    public static CoreConfig of(NodeId id, Set<NodeId> voters, RandomGenerator random) {
        return new CoreConfig(id, voters, 10, 1, true, true, 0, FlowControl.DEFAULT, random,
                LoggerFactory.getLogger(RaftCore.class));
    }

    /** Returns a copy with other election and heartbeat ticks, and leases off. */
    public CoreConfig withTicks(int election, int heartbeat) {
        return new CoreConfig(id, voters, election, heartbeat, preVote, checkQuorum, 0, flow, random, logger);
    }

    /** Returns a copy with leases of {@code ticks} (0: off). */
    public CoreConfig withLease(int ticks) {
        return new CoreConfig(id, voters, electionTicks, heartbeatTicks, preVote, checkQuorum, ticks, flow, random,
                logger);
    }

    /** Returns a copy with PreVote and CheckQuorum set. */
    public CoreConfig withElectionSafeguards(boolean preVoteOn, boolean checkQuorumOn) {
        return new CoreConfig(id, voters, electionTicks, heartbeatTicks, preVoteOn, checkQuorumOn, leaseTicks, flow,
                random, logger);
    }

    /** Returns a copy with other flow limits. */
    public CoreConfig withFlow(FlowControl newFlow) {
        return new CoreConfig(id, voters, electionTicks, heartbeatTicks, preVote, checkQuorum, leaseTicks, newFlow,
                random, logger);
    }

    /** Returns a copy that logs to {@code newLogger}. */
    public CoreConfig withLogger(Logger newLogger) {
        return new CoreConfig(id, voters, electionTicks, heartbeatTicks, preVote, checkQuorum, leaseTicks, flow,
                random, newLogger);
    }

    /**
     * Limits on replication traffic.
     *
     * @param maxInflightMessages AppendEntries in flight per follower in replicate mode
     * @param maxBytesPerMessage soft limit on the entry bytes of one AppendEntries
     * @param maxApplyBytes soft limit on the entry bytes of one batch handed to the state machine; at most twice
     *     this is handed out and not yet reported applied
     */
    public record FlowControl(int maxInflightMessages, long maxBytesPerMessage, long maxApplyBytes) {

        /** 256 messages in flight, 1 MiB per message, 4 MiB per apply batch. */
        public static final FlowControl DEFAULT = new FlowControl(256, 1 << 20, 4 << 20);
        /** The most entry bytes in flight to one follower, unless one message alone is larger. */
        public static final long MAX_INFLIGHT_BYTES = 16L << 20;

        /**
         * Checks the limits.
         *
         * @throws IllegalArgumentException if a limit is less than 1
         */
        public FlowControl {
            if (maxInflightMessages < 1 || maxBytesPerMessage < 1 || maxApplyBytes < 1) {
                throw new IllegalArgumentException("flow limits must be positive: " + maxInflightMessages + ", "
                        + maxBytesPerMessage + ", " + maxApplyBytes);
            }
        }

        /**
         * Returns the most entry bytes in flight to one follower: {@code maxInflightMessages} full messages, at most
         * {@link #MAX_INFLIGHT_BYTES} (at least one message). A leader holds what is in flight (in its transport's
         * queue until the follower acknowledges), so this bounds its memory per lagging follower: with 256 messages
         * of 1 MiB a follower catching up made the leader hold 256 MiB and run out of heap (outside probe).
         */
        public long maxInflightBytes() {
            return Math.max(maxBytesPerMessage, Math.min((long) maxInflightMessages * maxBytesPerMessage,
                    MAX_INFLIGHT_BYTES));
        }
    }
}
