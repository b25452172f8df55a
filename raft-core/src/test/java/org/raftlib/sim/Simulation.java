package org.raftlib.sim;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.SplittableRandom;
import org.raftlib.Bytes;
import org.raftlib.LogEntry;
import org.raftlib.NodeId;
import org.raftlib.RaftRole;
import org.raftlib.core.CoreConfig;
import org.raftlib.core.CoreStatus;
import org.raftlib.core.Proposal;
import org.raftlib.core.RaftCore;
import org.raftlib.core.Ready;
import org.raftlib.message.RaftMessage;
import org.slf4j.helpers.NOPLogger;

/**
 * A deterministic simulation of a Raft cluster: N cores on a simulated network and simulated disks, driven by one
 * seeded random generator through a discrete event queue. Faults: message loss, duplication, delay and reordering,
 * partitions that come and go, and crash-restarts that keep an arbitrary part of what was not synced
 * ({@link SimStorage}; nodes write through the runtime's own {@link org.raftlib.runtime.ReadyWriter}). The
 * {@link InvariantChecker} runs after every event. The same seed replays the same run exactly.
 */
final class Simulation {

    private enum Kind { TICK, DELIVER, DISK, RESTART }

    private record Event(long time, long seq, Kind kind, int node, RaftMessage message, int epoch)
            implements Comparable<Event> {
        @Override
        public int compareTo(Event o) {
            return time != o.time ? Long.compare(time, o.time) : Long.compare(seq, o.seq);
        }
    }

    private final SimOptions options;
    private final SplittableRandom random;
    private final List<SimNode> nodes = new ArrayList<>();
    private final PriorityQueue<Event> queue = new PriorityQueue<>();
    private final InvariantChecker checker = new InvariantChecker();
    private final ReadChecker reads = new ReadChecker(checker);
    private final List<long[]> acknowledged = new ArrayList<>();
    private final int[] group;
    private boolean faultsOn = true;
    private long now;
    private long seq;
    private long events;
    private long proposalsAccepted;
    private long nextReadId;

    Simulation(long seed, SimOptions options) {
        this.options = options;
        this.random = new SplittableRandom(seed);
        this.group = new int[options.nodes()];
        Set<NodeId> voters = new HashSet<>();
        for (int i = 0; i < options.nodes(); i++) {
            voters.add(id(i));
        }
        for (int i = 0; i < options.nodes(); i++) {
            CoreConfig config = CoreConfig.of(id(i), voters, new SplittableRandom(seed * 1_000_003L + i))
                    .withLogger(NOPLogger.NOP_LOGGER)
                    .withFlow(options.flow());
            nodes.add(new SimNode(id(i), config, options.fileSystem()));
            schedule(i + 1L, Kind.TICK, i, null, 0);
        }
    }

    private static NodeId id(int i) {
        return NodeId.of("n" + (i + 1));
    }

    private static int index(NodeId id) {
        return Integer.parseInt(id.value().substring(1)) - 1;
    }

    List<String> violations() {
        return checker.violations();
    }

    long events() {
        return events;
    }

    long committed() {
        return checker.committedCount();
    }

    long acknowledgedCount() {
        return acknowledged.size();
    }

    long proposalsAccepted() {
        return proposalsAccepted;
    }

    ReadChecker reads() {
        return reads;
    }

    /** Runs the fault phase for {@code options.faultEvents()} events. */
    void runWithFaults() {
        while (events < options.faultEvents()) {
            step();
        }
    }

    /**
     * Stops every fault, restarts crashed nodes, and runs until a single leader is known to every node and every
     * node has applied everything committed, or {@code maxTicks} ticks pass.
     *
     * @return the ticks it took, or -1 if it did not converge
     */
    long stabilize(int maxTicks) {
        faultsOn = false;
        Arrays.fill(group, 0);
        for (int i = 0; i < nodes.size(); i++) {
            if (!nodes.get(i).isUp()) {
                restart(i);
            }
        }
        long start = now;
        long deadline = now + (long) maxTicks * SimOptions.TICK;
        while (now < deadline) {
            step();
            if (isConverged()) {
                for (long[] ack : acknowledged) {
                    checker.checkAcknowledged(ack[0], ack[1]);
                }
                return (now - start) / SimOptions.TICK;
            }
        }
        return -1;
    }

    private boolean isConverged() {
        CoreStatus first = nodes.get(0).core().status();
        if (first.leader().isEmpty()) {
            return false;
        }
        long maxAcked = acknowledged.stream().mapToLong(a -> a[0]).max().orElse(0);
        int leaders = 0;
        for (SimNode n : nodes) {
            CoreStatus s = n.core().status();
            if (s.role() == RaftRole.LEADER) {
                leaders++;
            }
            if (!s.leader().equals(first.leader()) || s.term() != first.term() || n.lastApplied() < maxAcked
                    || n.lastApplied() != s.commitIndex() || s.commitIndex() != s.lastIndex()) {
                return false;
            }
        }
        return leaders == 1;
    }

    private void step() {
        Event e = queue.remove();
        now = e.time();
        events++;
        checker.setEvent(events);
        switch (e.kind()) {
            case TICK -> onTick(e.node());
            case DELIVER -> onDeliver(e.message());
            case DISK -> onDiskDone(e.node(), e.epoch());
            case RESTART -> onQuickRestart(e.node(), e.epoch());
            default -> throw new IllegalStateException(e.kind().toString());
        }
    }

    private void onTick(int i) {
        schedule(now + SimOptions.TICK, Kind.TICK, i, null, 0);
        if (faultsOn && i == 0) {
            injectFaults();
            maybeTransferLeadership();
        }
        SimNode node = nodes.get(i);
        if (!node.isUp()) {
            return;
        }
        node.core().tick();
        if (faultsOn && random.nextDouble() < options.proposalRate()) {
            propose(node);
        }
        if (faultsOn && random.nextDouble() < options.proposalRate()) {
            read(node);
        }
        drain(node);
    }

    private void propose(SimNode node) {
        byte[] payload = new byte[8];
        random.nextBytes(payload);
        Proposal p = node.core().propose(Bytes.wrap(payload));
        if (p.isAccepted()) {
            proposalsAccepted++;
            node.rememberProposal(p.index(), p.term());
        }
    }

    /** Thesis §6.4: asks for a linearizable read; only a leader accepts it. */
    private void read(SimNode node) {
        long requestId = ++nextReadId;
        long commitBound = maxCommitAnywhere();
        if (node.core().readIndex(requestId).isAccepted()) {
            reads.onRegistered(node.id(), requestId, commitBound);
        }
    }

    /** The highest commit index any node knows now or knew before it crashed: every index up to it is committed. */
    private long maxCommitAnywhere() {
        long max = checker.maxCommit();
        for (SimNode n : nodes) {
            if (n.isUp()) {
                max = Math.max(max, n.core().status().commitIndex());
            }
        }
        return max;
    }

    private void injectFaults() {
        if (random.nextDouble() < options.partitionRate()) {
            boolean healed = true;
            for (int g : group) {
                healed &= g == 0;
            }
            for (int i = 0; i < group.length; i++) {
                group[i] = healed ? random.nextInt(2) : 0;
            }
        }
        if (random.nextDouble() < options.crashRate()) {
            int i = switch (random.nextInt(3)) {
                case 0 -> leaderIndex();
                case 1 -> writingIndex();
                default -> random.nextInt(nodes.size());
            };
            long down = nodes.stream().filter(n -> !n.isUp()).count();
            if (nodes.get(i).isUp() && down < (nodes.size() + 1) / 2) {
                nodes.get(i).crash(random);
                reads.onCrash(nodes.get(i).id());
                if (random.nextBoolean()) {                  // a supervisor restarts the process at once
                    schedule(now + (1 + random.nextInt(3)) * (long) SimOptions.TICK, Kind.RESTART, i, null,
                            nodes.get(i).epoch());
                }
            } else if (!nodes.get(i).isUp()) {
                restart(i);
            }
        }
    }

    /** Returns a node that believes it leads (crashing leaders drives Figure 8 histories), or a random node. */
    private int leaderIndex() {
        for (int i = 0; i < nodes.size(); i++) {
            SimNode n = nodes.get(i);
            if (n.isUp() && n.core().status().role() == RaftRole.LEADER) {
                return i;
            }
        }
        return random.nextInt(nodes.size());
    }

    /** Returns a node with writes whose sync has not completed (crashing it then is the worst moment), or any. */
    private int writingIndex() {
        int start = random.nextInt(nodes.size());
        for (int k = 0; k < nodes.size(); k++) {
            int i = (start + k) % nodes.size();
            if (nodes.get(i).isUp() && nodes.get(i).hasPendingWrites()) {
                return i;
            }
        }
        return start;
    }

    /** Now and then a leader hands leadership to a random voter (thesis §3.10), under the same faults. */
    private void maybeTransferLeadership() {
        if (random.nextDouble() >= options.crashRate()) {
            return;
        }
        SimNode leader = nodes.get(leaderIndex());
        if (leader.isUp()) {
            NodeId target = id(random.nextInt(nodes.size()));
            if (!target.equals(leader.id())) {
                leader.core().transferLeadership(target);
                drain(leader);
            }
        }
    }

    private void onQuickRestart(int i, int epoch) {
        if (faultsOn && !nodes.get(i).isUp() && nodes.get(i).epoch() == epoch) {
            restart(i);
        }
    }

    private void restart(int i) {
        SimNode node = nodes.get(i);
        node.restart();
        checker.onRestart(node, node.storage().hardState());
        drain(node);
    }

    private void onDeliver(RaftMessage m) {
        SimNode node = nodes.get(index(m.to()));
        if (!node.isUp() || group[index(m.from())] != group[index(m.to())]) {
            return;
        }
        node.core().step(m);
        drain(node);
    }

    private void onDiskDone(int i, int epoch) {
        SimNode node = nodes.get(i);
        if (!node.isUp() || node.epoch() != epoch) {
            return;                                          // the crash lost this write
        }
        Ready rd = node.completeWrite();
        rd.afterSync().forEach(this::send);
        node.core().onPersisted(rd);
        drain(node);
    }

    private void drain(SimNode node) {
        RaftCore core = node.core();
        while (core.hasReady()) {
            CoreStatus before = core.status();
            Ready rd = core.ready();
            checker.onReady(node, before, rd);
            reads.onReady(node.id(), rd);
            rd.messages().forEach(this::send);
            if (rd.needsSync() || !rd.afterSync().isEmpty()) {
                long done = node.queueWrite(rd, now + random.nextInt(options.maxDiskDelay() + 1));
                checker.onWrite(node, rd);
                schedule(done, Kind.DISK, index(node.id()), null, node.epoch());
            }
            if (!rd.committed().isEmpty()) {
                for (LogEntry e : rd.committed()) {
                    if (node.isOwnProposal(e)) {
                        acknowledged.add(new long[] {e.index(), e.term()});
                    }
                }
                core.onApplied(rd.committed().get(rd.committed().size() - 1).index());
            }
            reads.afterApply(node.id(), node.lastApplied());
        }
        checker.afterEvent(node, core.status());
    }

    private void send(RaftMessage m) {
        checker.onSend(nodes.get(index(m.from())), m);
        if (faultsOn && random.nextDouble() < options.dropRate()) {
            return;
        }
        int to = index(m.to());
        schedule(now + 1 + random.nextInt(options.maxDelay()), Kind.DELIVER, to, m, 0);
        if (faultsOn && random.nextDouble() < options.duplicateRate()) {
            schedule(now + 1 + random.nextInt(options.maxDelay()), Kind.DELIVER, to, m, 0);
        }
    }

    private void schedule(long time, Kind kind, int node, RaftMessage m, int epoch) {
        queue.add(new Event(time, seq++, kind, node, m, epoch));
    }
}
