package org.raftlib.sim;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.SplittableRandom;
import org.raftlib.Bytes;
import org.raftlib.LogEntry;
import org.raftlib.NodeId;
import org.raftlib.RaftRole;
import org.raftlib.internal.core.CoreConfig;
import org.raftlib.internal.core.CoreStatus;
import org.raftlib.internal.core.Proposal;
import org.raftlib.internal.core.RaftCore;
import org.raftlib.internal.core.Ready;
import org.raftlib.internal.core.SnapshotPoint;
import org.raftlib.message.InstallSnapshot;
import org.raftlib.message.InstallSnapshotResponse;
import org.raftlib.message.RaftMessage;
import org.raftlib.sim.lin.AppendLog.Digest;
import org.raftlib.sim.lin.Linearizability;
import org.slf4j.helpers.NOPLogger;

/**
 * A deterministic simulation of a Raft cluster: N cores on a simulated network and simulated disks, driven by one
 * seeded random generator through a discrete event queue. Faults: message loss, duplication, delay and reordering,
 * partitions that come and go, and crash-restarts that keep an arbitrary part of what was not synced
 * ({@link SimStorage}; nodes write through the runtime's own {@link org.raftlib.internal.runtime.ReadyWriter}). The
 * {@link InvariantChecker} runs after every event. The same seed replays the same run exactly.
 */
final class Simulation {

    private enum Kind { TICK, DELIVER, DISK, RESTART, SNAPSHOT_TAKEN, CHUNK, SNAPSHOT_STORED, SNAPSHOT_FAILED }

    /**
     * A snapshot transfer from {@code leader} (incarnation {@code epoch}) to a follower (incarnation
     * {@code followerEpoch}) with {@code chunksLeft} chunks still to arrive, each a message that can be lost.
     */
    private record Transfer(long serial, int leader, int epoch, int to, int followerEpoch, long term,
            SimNode.Snapshot snapshot, int chunksLeft) {
        Transfer nextChunk() {
            return new Transfer(serial, leader, epoch, to, followerEpoch, term, snapshot, chunksLeft - 1);
        }

        long[] failure() {
            return new long[] {to, snapshot.point().index(), serial};
        }
    }

    private record Event(long time, long seq, Kind kind, int node, Object message, int epoch)
            implements Comparable<Event> {
        @Override
        public int compareTo(Event o) {
            return time != o.time ? Long.compare(time, o.time) : Long.compare(seq, o.seq);
        }
    }

    /** The epoch of a DELIVER event whose message no partition can stop any more (see {@link #grayUntil}). */
    private static final int PAST_THE_CUT = 1;

    /** More pending events than this is a storm (messages that beget messages), not a cluster at work. */
    private static final int MAX_QUEUED = 100_000;

    private final SimOptions options;
    private final SplittableRandom random;
    private final List<SimNode> nodes = new ArrayList<>();
    private final PriorityQueue<Event> queue = new PriorityQueue<>();
    private final InvariantChecker checker = new InvariantChecker();
    private final ClientHistory clients = new ClientHistory();
    private final ReadChecker reads = new ReadChecker(checker, clients);
    private final List<long[]> acknowledged = new ArrayList<>();
    private final int[] group;
    private boolean faultsOn = true;
    private long now;
    private long seq;
    private long events;
    private long proposalsAccepted;
    private long nextReadId;
    private long snapshotsInstalled;
    private final SimMembership membership;
    /** The transfer each leader runs to each follower, by {@link #pair}: a new one replaces it, as the runtime's. */
    private final Map<Long, long[]> transfers = new HashMap<>();   // {serial, snapshot index}
    private long transferSerial;
    /** Each node's clock: its tick period (TICK, off by up to half the drift bound) and when it next ticks. */
    private final double[] tickPeriod;
    private final double[] nextTickAt;
    /** A paused process (a GC pause, SIGSTOP) handles nothing until then, and counts the ticks it missed. */
    private final long[] pausedUntil;
    private final int[] missedTicks;
    /**
     * A gray failure of a node (a leader, when it starts) until then: everything it sends is lost, and everything sent
     * to it is slow, 3 to 15 ticks, and already past any partition that starts later (in a queue on the far side). Its
     * followers elect a new leader while acknowledgements of its last heartbeats still arrive, keeping its CheckQuorum
     * satisfied by their arrival time well after the new leader commits: only a lease measured from when the
     * acknowledged round started, and no longer than allowed, has ended by then.
     */
    private final long[] grayUntil;
    private long grayEpisodes;
    private final List<List<Event>> deferred = new ArrayList<>();
    private long leaseReads;
    private long forwardedReads;
    private long pauses;

    Simulation(long seed, SimOptions options) {
        this.options = options;
        this.random = new SplittableRandom(seed);
        this.membership = new SimMembership(random);
        int total = options.nodes() + options.spares();
        this.group = new int[total];
        this.tickPeriod = new double[total];
        this.nextTickAt = new double[total];
        this.pausedUntil = new long[total];
        this.missedTicks = new int[total];
        this.grayUntil = new long[total];
        for (int i = 0; i < total; i++) {
            deferred.add(new ArrayList<>());
        }
        Set<NodeId> voters = new HashSet<>();
        for (int i = 0; i < options.nodes(); i++) {
            voters.add(id(i));
        }
        for (int i = 0; i < total; i++) {
            Set<NodeId> bootstrap = i < options.nodes() ? voters : Set.of();       // spares join later
            CoreConfig config = CoreConfig.of(id(i), bootstrap, new SplittableRandom(seed * 1_000_003L + i))
                    .withLogger(NOPLogger.NOP_LOGGER)
                    .withFlow(options.flow())
                    .withLease(CoreConfig.leaseTicksFor(10, SimOptions.CLOCK_DRIFT));
            nodes.add(new SimNode(id(i), config, options.fileSystem()));
            tickPeriod[i] = SimOptions.TICK * (1 + (random.nextDouble() - 0.5) * SimOptions.CLOCK_DRIFT * 0.98);
            nextTickAt[i] = i + 1.0;
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

    ClientHistory clients() {
        return clients;
    }

    /**
     * Checks the client history for linearizability; if the cluster converged, with a last read of every key from
     * the leader (every member has applied everything committed).
     */
    Linearizability.Result checkLinearizability() {
        Digest[] last = null;
        if (isConverged()) {
            SimNode leader = nodes.get(leaderIndex());
            last = new Digest[ClientHistory.KEYS];
            for (int k = 0; k < last.length; k++) {
                last[k] = leader.read(k);
            }
        }
        return clients.check(last);
    }

    long leaseReads() {
        return leaseReads;
    }

    /** Reads a follower accepted and forwarded to its leader. */
    long forwardedReads() {
        return forwardedReads;
    }

    long grayEpisodes() {
        return grayEpisodes;
    }

    long pauses() {
        return pauses;
    }

    long snapshotsInstalled() {
        return snapshotsInstalled;
    }

    /** Returns {accepted membership changes, of which joint}. */
    long[] configChanges() {
        return membership.counts();
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
        Arrays.fill(grayUntil, 0);
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

    /** One line per node: its core's status, applied index, log bounds and newest snapshot (for failure reports). */
    String describe() {
        StringBuilder sb = new StringBuilder();
        for (SimNode n : nodes) {
            sb.append(n.id()).append(n.isUp() ? " " + n.core().status() : " down").append(" applied=")
                    .append(n.lastApplied()).append(" log=[").append(n.storage().firstIndex()).append(", ")
                    .append(n.storage().lastIndex()).append("] snapshot=")
                    .append(n.snapshot() == null ? "none" : n.snapshot().point()).append('\n');
        }
        return sb.toString();
    }

    /**
     * One leader, and every member of its configuration follows it in its term with everything applied; nodes outside
     * the configuration (spares never added, removed members) are not waited for.
     */
    private boolean isConverged() {
        SimNode leader = null;
        for (SimNode n : nodes) {
            if (n.core().currentRole() == RaftRole.LEADER) {
                if (leader != null) {
                    return false;
                }
                leader = n;
            }
        }
        if (leader == null) {
            return false;
        }
        CoreStatus first = leader.core().status();
        long maxAcked = acknowledged.stream().mapToLong(a -> a[0]).max().orElse(0);
        for (SimNode n : nodes) {
            if (!first.config().contains(n.id())) {
                continue;
            }
            CoreStatus s = n.core().status();
            if (!s.leader().equals(first.leader()) || s.term() != first.term() || n.lastApplied() < maxAcked
                    || n.lastApplied() != s.commitIndex() || s.commitIndex() != s.lastIndex()
                    || s.lastIndex() != first.lastIndex()) {
                return false;
            }
        }
        return !first.config().isJoint() && first.configIndex() <= first.commitIndex();
    }

    /** Now and then the leader changes the membership (see {@link SimMembership}). */
    private void maybeChangeMembership() {
        if (options.spares() == 0 || random.nextDouble() >= 3 * options.crashRate()) {
            return;
        }
        SimNode leader = nodes.get(leaderIndex());
        if (leader.isUp() && leader.core().currentRole() == RaftRole.LEADER) {
            membership.change(leader.core(), nodes.size());
            drain(leader);
        }
    }

    private void step() {
        if (queue.size() > MAX_QUEUED) {
            Map<Kind, Long> kinds = new EnumMap<>(Kind.class);
            queue.forEach(q -> kinds.merge(q.kind(), 1L, Long::sum));
            throw new IllegalStateException("event storm at event " + events + ": " + kinds);
        }
        Event e = queue.remove();
        now = e.time();
        int target = e.kind() == Kind.DELIVER ? index(((RaftMessage) e.message()).to()) : e.node();
        if (e.kind() != Kind.TICK && e.kind() != Kind.RESTART && paused(target)) {
            deferred.get(target).add(e);                      // handled after the process's first tick back
            return;
        }
        events++;
        checker.setEvent(events);
        switch (e.kind()) {
            case TICK -> onTick(e.node());
            case DELIVER -> onDeliver((RaftMessage) e.message(), e.epoch() == PAST_THE_CUT);
            case DISK -> onDiskDone(e.node(), e.epoch());
            case RESTART -> onQuickRestart(e.node(), e.epoch());
            case SNAPSHOT_TAKEN -> onSnapshotWritten(e.node(), e.epoch(), (SimNode.Snapshot) e.message());
            case CHUNK -> onChunk(e.node(), (Transfer) e.message());
            case SNAPSHOT_STORED -> onSnapshotStored(e.node(), (Transfer) e.message());
            case SNAPSHOT_FAILED -> onSnapshotFailed(e.node(), e.epoch(), (long[]) e.message());
            default -> throw new IllegalStateException(e.kind().toString());
        }
    }

    private void onTick(int i) {
        nextTickAt[i] += tickPeriod[i];                       // drifting clocks, within the bound leases assume
        schedule(Math.max(now + 1, Math.round(nextTickAt[i])), Kind.TICK, i, null, 0);
        if (faultsOn && i == 0) {
            injectFaults();
            maybeTransferLeadership();
            maybeChangeMembership();
        }
        SimNode node = nodes.get(i);
        if (!node.isUp()) {
            return;
        }
        if (now < pausedUntil[i]) {
            missedTicks[i]++;
            return;
        }
        node.core().tick(1 + missedTicks[i]);               // a resumed process counts the ticks it missed
        boolean resumed = missedTicks[i] > 0;
        missedTicks[i] = 0;
        if (faultsOn && random.nextDouble() < options.proposalRate()) {
            propose(node);
        }
        if (faultsOn && (resumed || random.nextDouble() < options.proposalRate())) {
            read(node);                                       // a read that waited in a paused process's queue
        }
        drain(node);
        if (resumed) {                                        // then what reached it while it was paused
            deferred.get(i).forEach(d -> schedule(now, d.kind(), d.node(), d.message(), d.epoch()));
            deferred.get(i).clear();
        }
    }

    /** Whether node {@code i} is paused: until its first tick at or after {@code pausedUntil}. */
    private boolean paused(int i) {
        return now < pausedUntil[i] || missedTicks[i] > 0;
    }

    private void propose(SimNode node) {
        long command = clients.invokeWrite();
        Proposal p = node.core().propose(ClientHistory.payload(command));
        if (p.isAccepted()) {
            proposalsAccepted++;
            node.rememberProposal(p.index(), p.term(), command);
        } else {
            clients.refused(command);
        }
    }

    /**
     * Thesis §6.4: asks a random node for a linearizable read of a random key, half of them under the leader's lease;
     * a leader registers it, a follower that knows a leader forwards it there, others refuse.
     */
    private void read(SimNode node) {
        long requestId = ++nextReadId;
        long commitBound = maxCommitAnywhere();
        boolean lease = random.nextBoolean();
        int key = random.nextInt(ClientHistory.KEYS);
        boolean leads = node.core().currentRole() == RaftRole.LEADER;
        int op = clients.invokeRead(node.id() + (lease ? " lease" : " index") + (leads ? "" : " forwarded"), key);
        Proposal p = lease ? node.core().leaseRead(requestId) : node.core().readIndex(requestId);
        if (p.isAccepted()) {
            leaseReads += lease ? 1 : 0;
            forwardedReads += p.outcome() == Proposal.Outcome.FORWARDED ? 1 : 0;
            long leaseTerm = lease && leads ? node.core().currentTerm() : -1;
            reads.onRegistered(requestId,
                    new ReadChecker.Registered(node.id(), commitBound, events, op, key, leaseTerm));
        } else {
            clients.readFailed(op);
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
        if (random.nextDouble() < options.crashRate() / 2) {
            int i = leaderIndex();
            if (nodes.get(i).isUp() && nodes.get(i).core().currentRole() == RaftRole.LEADER && now >= grayUntil[i]) {
                grayUntil[i] = now + (15 + random.nextInt(25)) * (long) SimOptions.TICK;   // 1.5 to 4 timeouts
                grayEpisodes++;
            }
        }
        if (random.nextDouble() < options.crashRate() / 2) {
            int i = random.nextInt(4) > 0 ? leaderIndex() : random.nextInt(nodes.size());
            if (nodes.get(i).isUp() && !paused(i)) {
                pausedUntil[i] = now + (15 + random.nextInt(30)) * (long) SimOptions.TICK;   // 1.5 to 4.5 timeouts
                pauses++;
            }
        }
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
                pausedUntil[i] = 0;
                missedTicks[i] = 0;
                deferred.get(i).clear();                      // a crash loses what the process had not handled
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
            if (!target.equals(leader.id()) && leader.core().configuration().isVoter(target)) {
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
        SimNode.Snapshot s = node.snapshot();
        if (s != null) {
            checker.checkSnapshot(node, s, "restarts from");
        }
        if (node.compactedPastSnapshot() > 0) {
            checker.fail("compaction: " + node.id() + " restarts with its log compacted " + node.compactedPastSnapshot()
                    + " entries past its newest durable snapshot: the runtime refuses to start");
        }
        long upTo = s == null ? 0 : s.point().index();
        node.restart(checker.committedTermsUpTo(upTo), checker.committedChainsUpTo(upTo));
        checker.onRestart(node, node.storage().hardState());
        drain(node);
    }

    private void onDeliver(RaftMessage m, boolean pastTheCut) {
        SimNode node = nodes.get(index(m.to()));
        if (!node.isUp() || (!pastTheCut && group[index(m.from())] != group[index(m.to())])) {
            return;
        }
        node.core().step(m);
        if (m instanceof InstallSnapshotResponse r) {                  // what the runtime's sender reports
            long[] current = transfers.get(pair(index(m.to()), index(m.from())));
            if (current != null && current[1] == r.lastIncludedIndex()) {
                transfers.remove(pair(index(m.to()), index(m.from())));        // that sender is done
            }
            node.core().onSnapshotSent(r.from(), r.lastIncludedIndex(), r.success());
        }
        drain(node);
    }

    /**
     * A leader's snapshot reaches a follower in one to four chunks, each a message that may be lost, delayed or cut
     * by a partition; a crash of either side ends the transfer (the follower's temporary file is gone). After the
     * last chunk the follower makes the snapshot durable (a disk delay a crash may interrupt), and only then does the
     * core hear of it, as the runtime's receiver does. A transfer that cannot complete is reported failed to the
     * leader after a while, as the sender's stall timeout does, and the leader starts it again.
     */
    private void startTransfer(SimNode leader, SnapshotPoint.Send send) {
        int from = index(leader.id());
        int to = index(send.to());
        SimNode.Snapshot snap = leader.snapshotAt(send.point().index());
        long serial = ++transferSerial;
        transfers.put(pair(from, to), new long[] {serial, send.point().index()});
        if (snap == null || !snap.point().equals(send.point())) {
            schedule(now + 10L * SimOptions.TICK, Kind.SNAPSHOT_FAILED, from,
                    new long[] {to, send.point().index(), serial}, leader.epoch());
            return;
        }
        Transfer t = new Transfer(serial, from, leader.epoch(), to, nodes.get(to).epoch(), leader.core().currentTerm(),
                snap, 1 + random.nextInt(4));
        schedule(now + 20L * SimOptions.TICK, Kind.SNAPSHOT_FAILED, from, t.failure(),
                leader.epoch());                                   // no answer by then: the sender gives up
        sendChunk(t);
    }

    private static long pair(int leader, int follower) {
        return (long) leader << 32 | follower;
    }

    private boolean isCurrent(int leader, int follower, long serial) {
        long[] current = transfers.get(pair(leader, follower));
        return current != null && current[0] == serial;
    }

    /** Sends the transfer's next chunk, unless the sender died or the chunk is lost on the way. */
    private void sendChunk(Transfer t) {
        SimNode leader = nodes.get(t.leader());
        boolean lost = group[t.leader()] != group[t.to()] || (faultsOn && random.nextDouble() < options.dropRate());
        if (leader.isUp() && leader.epoch() == t.epoch() && !lost) {
            schedule(now + 1 + random.nextInt(options.maxDelay()), Kind.CHUNK, t.to(), t, 0);
        }
    }

    private boolean receiverLost(Transfer t) {
        SimNode follower = nodes.get(t.to());
        return !follower.isUp() || follower.epoch() != t.followerEpoch() || !isCurrent(t.leader(), t.to(), t.serial());
    }

    private void onChunk(int to, Transfer t) {
        if (receiverLost(t)) {
            return;                                                // the leader's stall timeout reports it
        }
        if (t.chunksLeft() > 1) {
            sendChunk(t.nextChunk());                             // acknowledged: the window moves on
        } else {
            schedule(now + random.nextInt(options.maxDiskDelay() + 1), Kind.SNAPSHOT_STORED, to, t, 0);
        }
    }

    /** The last chunk is in: the snapshot file is verified, renamed and synced; now the core decides. */
    private void onSnapshotStored(int to, Transfer t) {
        if (receiverLost(t)) {
            return;                                                // crashed before the file was durable
        }
        SimNode follower = nodes.get(to);
        SimNode leader = nodes.get(t.leader());
        follower.receivedSnapshot(t.snapshot());
        follower.core().step(new InstallSnapshot(leader.id(), follower.id(), t.term(), t.snapshot().point().index(),
                t.snapshot().point().term(), 0, Bytes.EMPTY, true));           // the last chunk, as the core sees it
        InstallSnapshotResponse reply = new InstallSnapshotResponse(follower.id(), leader.id(), t.term(),
                t.snapshot().point().index(), Long.MAX_VALUE, true);
        if (follower.core().currentTerm() == t.term()) {
            follower.core().installSnapshot(leader.id(), t.snapshot().point(), t.snapshot().config(), reply);
        }
        follower.core().onSnapshotTaken(t.snapshot().point());          // as the runtime does: it is durable here
        drain(follower);
    }

    private void onSnapshotFailed(int leaderIndex, int epoch, long[] peerAndIndex) {
        SimNode leader = nodes.get(leaderIndex);
        boolean current = isCurrent(leaderIndex, (int) peerAndIndex[0], peerAndIndex[2]);
        if (leader.isUp() && leader.epoch() == epoch && current) {
            transfers.remove(pair(leaderIndex, (int) peerAndIndex[0]));
            leader.core().onSnapshotSent(id((int) peerAndIndex[0]), peerAndIndex[1], false);
            drain(leader);
        }
    }

    /**
     * The snapshot policy: every so many applied entries, capture what is applied; the snapshot is written for a
     * while (applies go on, a crash loses it) and only once durable does the core hear of it and compact behind it.
     * Half the time the compaction asked for reaches past the snapshot (to the applied index): the core must cap it.
     */
    private void maybeSnapshot(SimNode node) {
        SimOptions.Snapshots policy = options.snapshots();
        long last = node.snapshot() == null ? 0 : node.snapshot().point().index();
        if (policy.every() > 0 && node.lastApplied() - last >= policy.every() && !node.isSnapshotting()) {
            schedule(now + random.nextInt(4 * options.maxDiskDelay() + 1), Kind.SNAPSHOT_TAKEN, index(node.id()),
                    node.captureSnapshot(), node.epoch());
        }
    }

    private void onSnapshotWritten(int i, int epoch, SimNode.Snapshot s) {
        SimNode node = nodes.get(i);
        if (!node.isUp() || node.epoch() != epoch) {
            return;                                                // the crash lost the half-written file
        }
        node.snapshotStored(s);
        node.core().onSnapshotTaken(s.point());
        node.core().compact(random.nextBoolean() ? s.point().index() - options.snapshots().keep() : node.lastApplied());
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
            reads.onReady(node.id(), rd, events);
            rd.messages().forEach(this::send);
            if (rd.needsSync() || !rd.afterSync().isEmpty()) {
                long done = node.queueWrite(rd, now + random.nextInt(options.maxDiskDelay() + 1));
                checker.onWrite(node, rd);
                schedule(done, Kind.DISK, index(node.id()), null, node.epoch());
            }
            if (rd.install().isPresent()) {
                snapshotsInstalled++;
                core.onApplied(rd.install().get().index());              // the state machine was restored
            }
            rd.snapshotSends().forEach(send -> startTransfer(node, send));
            if (!rd.committed().isEmpty()) {
                for (LogEntry e : rd.committed()) {
                    clients.onApplied(e);
                    long[] mine = node.takeProposal(e);          // {term, command}
                    if (mine != null) {
                        if (mine[0] == e.term()) {
                            acknowledged.add(new long[] {e.index(), e.term()});
                        }
                        clients.writeApplied(mine[1], mine[0] == e.term());
                    }
                }
                core.onApplied(rd.committed().get(rd.committed().size() - 1).index());
                maybeSnapshot(node);
            }
            reads.afterApply(node);
        }
        checker.afterEvent(node, core.status());
    }

    private void send(RaftMessage m) {
        checker.onSend(nodes.get(index(m.from())), m);
        if (faultsOn && random.nextDouble() < options.dropRate()) {
            return;
        }
        int from = index(m.from());
        int to = index(m.to());
        if (now < grayUntil[from]) {
            return;
        }
        if (now < grayUntil[to]) {
            if (group[from] == group[to]) {
                schedule(now + (5 + random.nextInt(16)) * (long) SimOptions.TICK, Kind.DELIVER, to, m, PAST_THE_CUT);
            }
            return;
        }
        schedule(now + 1 + random.nextInt(options.maxDelay()), Kind.DELIVER, to, m, 0);
        if (faultsOn && random.nextDouble() < options.duplicateRate()) {
            schedule(now + 1 + random.nextInt(options.maxDelay()), Kind.DELIVER, to, m, 0);
        }
    }

    private void schedule(long time, Kind kind, int node, Object m, int epoch) {
        queue.add(new Event(time, seq++, kind, node, m, epoch));
    }
}
