package org.raftlib.internal.core.scenario;

import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.raftlib.Bytes;
import org.raftlib.ClusterConfig;
import org.raftlib.EntryType;
import org.raftlib.HardState;
import org.raftlib.LogEntry;
import org.raftlib.Member;
import org.raftlib.NodeId;
import org.raftlib.internal.core.CoreConfig;
import org.raftlib.internal.core.IndexedConfig;
import org.raftlib.internal.core.CoreStatus;
import org.raftlib.internal.core.Cores;
import org.raftlib.internal.core.MessageFormat;
import org.raftlib.internal.core.Proposal;
import org.raftlib.internal.core.RaftCore;
import org.raftlib.internal.core.Ready;
import org.raftlib.internal.core.SnapshotPoint;
import org.raftlib.internal.core.TestNode;
import org.raftlib.message.AppendEntries;
import org.raftlib.message.AppendEntriesResponse;
import org.raftlib.message.InstallSnapshot;
import org.raftlib.message.InstallSnapshotResponse;
import org.raftlib.message.RaftMessage;

/**
 * Runs scenario commands against a cluster of cores {@code n1..nN} linked by an in-memory queue of messages. Each
 * command returns its output: the cores' INFO/WARN log lines and what the command prints, or {@code ok}.
 */
final class InteractionEnv {

    private final TreeMap<Integer, TestNode> nodes = new TreeMap<>();
    private final Set<Integer> crashed = new HashSet<>();
    /** Per node, Readies handed to its storage whose sync has not completed ({@code process-ready async=true}). */
    private final Map<Integer, ArrayDeque<Ready>> unsynced = new HashMap<>();
    private final List<RaftMessage> queue = new ArrayList<>();
    /** Per node, what the state machine holds after the snapshot it is installing. */
    private final Map<Integer, List<LogEntry>> restores = new HashMap<>();
    /** Snapshot sends the leaders asked for, not yet delivered: (from, send). */
    private final List<Object[]> snapshotQueue = new ArrayList<>();
    private final List<Set<Integer>> partition = new ArrayList<>();
    private final CapturingLogger logger = new CapturingLogger(this::print);
    private StringBuilder out = new StringBuilder();
    private boolean quiet;
    private int appendsDelivered;
    private int rejectionsDelivered;

    /** Runs one command and returns its output. */
    String handle(Directive d) {
        out = new StringBuilder();
        switch (d.name()) {
            case "add-nodes" -> addNodes(d);
            case "campaign" -> live(d, 0).core().campaign();
            case "tick" -> tick(d);
            case "propose" -> propose(d);
            case "propose-config" -> proposeConfig(d);
            case "read" -> read(d);
            case "transfer" -> transfer(d);
            case "process-ready" -> targets(d).forEach(id -> processReady(nodes.get(id), d.boolOption("async", false)));
            case "sync" -> targets(d).forEach(this::completeSync);
            case "snapshot" -> snapshot(d);
            case "deliver-snapshot" -> deliverSnapshot(d);
            case "check" -> check();
            case "deliver" -> deliver(d);
            case "drop" -> drop(d);
            case "stabilize" -> stabilize(d);
            case "partition" -> partition(d);
            case "heal" -> partition.clear();
            case "crash" -> crash(d);
            case "restart" -> restart(d);
            case "raft-log" -> raftLog(d);
            case "status" -> status(d);
            case "config" -> config(d);
            case "stats" -> stats();
            default -> throw d.fail("unknown command '" + d.name() + "'");
        }
        String s = out.toString().stripTrailing();
        return s.isEmpty() ? "ok" : s;
    }

    private void print(String line) {
        out.append(line).append('\n');
    }

    private void printReady(String line) {
        if (!quiet) {
            print(line);
        }
    }

    /**
     * {@code add-nodes N voters=(1,2,3) prevote= checkquorum= election= heartbeat= seed= log=(terms) term=}; with
     * {@code join=true} the new nodes join an existing cluster: no bootstrap voters, they wait to hear from a leader.
     */
    private void addNodes(Directive d) {
        int count = d.node(0);
        int first = nodes.isEmpty() ? 1 : nodes.lastKey() + 1;
        String defaultVoters = d.boolOption("join", false) ? "()" : "(" + String.join(",",
                java.util.stream.IntStream.range(1, first + count).mapToObj(Integer::toString).toList()) + ")";
        Set<NodeId> voters = d.numbers(d.option("voters", defaultVoters)).stream().map(Cores::n)
                .collect(Collectors.toCollection(TreeSet::new));
        long[] terms = d.numbers(d.option("log", "()")).stream().mapToLong(Integer::longValue).toArray();
        long term = d.intOption("term", terms.length == 0 ? 0 : (int) terms[terms.length - 1]);
        int commit = d.intOption("commit", 0);
        long maxBytes = d.intOption("max-bytes", 1 << 20);
        for (int id = first; id < first + count; id++) {
            CoreConfig config = new CoreConfig(Cores.n(id), voters, d.intOption("election", 10),
                    d.intOption("heartbeat", 1), d.boolOption("prevote", false), d.boolOption("checkquorum", false),
                    d.intOption("lease", 0),
                    new CoreConfig.FlowControl(256, maxBytes, 4 << 20),
                    new SplittableRandom(d.intOption("seed", 0) * 31L + id), logger);
            nodes.put(id, TestNode.start(config, Cores.entries(terms), new HardState(term, Optional.empty(), commit)));
        }
    }

    /**
     * {@code tick [nodes...] [times=K] [stabilize=true]}: ticks the given live nodes (all by default) K times; with
     * {@code stabilize}, lets them exchange messages after every tick, printing only log lines.
     */
    private void tick(Directive d) {
        int times = d.intOption("times", 1);
        boolean settle = d.boolOption("stabilize", false);
        for (int t = 0; t < times; t++) {
            for (int id : targets(d)) {
                nodes.get(id).core().tick();
            }
            if (settle) {
                boolean wasQuiet = quiet;
                quiet = true;
                try {
                    settle(d);
                } finally {
                    quiet = wasQuiet;
                }
            }
        }
    }

    /** {@code propose N [text]}. */
    private void propose(Directive d) {
        String text = d.positional().size() > 1 ? d.positional().get(1) : "x";
        Proposal p = live(d, 0).core().propose(Bytes.copyOf(text.getBytes(StandardCharsets.UTF_8)));
        if (!p.isAccepted()) {
            print("refused " + p.outcome() + p.leaderHint().map(h -> " hint=" + h).orElse(""));
        }
    }

    /**
     * {@code propose-config N voters=(1,2,3) [learners=(4,5)] [lag=K]}: asks node N to change the membership to these
     * voters and learners (thesis chapter 4); a new voter may lag the leader's last index by K entries (default 0).
     */
    private void proposeConfig(Directive d) {
        Proposal p;
        try {
            ClusterConfig target = ClusterConfig.of(members(d, "voters"), members(d, "learners"));
            p = live(d, 0).core().proposeConfigChange(target, d.intOption("lag", 0));
        } catch (IllegalArgumentException e) {
            print("error: " + e.getMessage());
            return;
        }
        print(p.isAccepted() ? "accepted index=" + p.index() + " term=" + p.term()
                : "refused " + p.outcome() + p.leaderHint().map(h -> " hint=" + h).orElse(""));
    }

    private static List<Member> members(Directive d, String key) {
        return d.numbers(d.option(key, "()")).stream().map(i -> new Member(Cores.n(i), "")).toList();
    }

    /** {@code read N id=K [lease=true]}: asks node N for a linearizable read (ReadIndex, or under the lease). */
    private void read(Directive d) {
        int id = d.intOption("id", 1);
        Proposal p = d.boolOption("lease", false) ? live(d, 0).core().leaseRead(id) : live(d, 0).core().readIndex(id);
        if (p.outcome() == Proposal.Outcome.FORWARDED) {
            print("forwarded to " + p.leaderHint().orElseThrow());
            return;
        }
        print(p.isAccepted() ? "read index=" + p.index() + " term=" + p.term()
                : "refused " + p.outcome() + p.leaderHint().map(h -> " hint=" + h).orElse(""));
    }

    /** {@code transfer N to=M}. */
    private void transfer(Directive d) {
        int to = d.numbers(d.option("to", "")).stream().findFirst().orElseThrow(() -> d.fail("missing to="));
        if (!live(d, 0).core().transferLeadership(Cores.n(to))) {
            print("refused: not leader");
        }
    }

    /** Executes one Ready of {@code node} as the runtime would and queues its messages; returns false if none. */
    private boolean processReady(TestNode node) {
        return processReady(node, false);
    }

    /**
     * Executes one Ready; with {@code async}, its writes go to storage but their sync has not completed: messages
     * leave, while the acknowledgements, {@code onPersisted} and applies wait for {@code sync N}. A synchronous Ready
     * first completes the node's earlier asynchronous ones (storage is FIFO).
     */
    private boolean processReady(TestNode node, boolean async) {
        if (!node.core().hasReady()) {
            return false;
        }
        ArrayDeque<Ready> pending = unsynced.computeIfAbsent(number(node.id()), k -> new ArrayDeque<>());
        if (!async) {
            while (!pending.isEmpty()) {
                completeSync(number(node.id()));
            }
        }
        printReady("> " + node.id() + " ready");
        Ready rd = node.core().ready();
        rd.hardState().ifPresent(hs -> printReady("  hard-state term=" + hs.term() + " vote="
                + hs.votedFor().map(NodeId::toString).orElse("-") + " commit=" + hs.commit()));
        rd.truncateFrom().ifPresent(i -> printReady("  truncate from=" + i));
        if (!rd.entries().isEmpty()) {
            printReady("  append " + entries(rd.entries()));
        }
        rd.messages().forEach(m -> printReady("  send " + MessageFormat.describe(m)));
        enqueue(rd.messages());
        rd.compactTo().ifPresent(i -> printReady("  compact to=" + i));
        for (SnapshotPoint.Send send : rd.snapshotSends()) {
            printReady("  send-snapshot " + node.id() + "->" + send.to() + " " + send.point().term() + "/"
                    + send.point().index());
            snapshotQueue.add(new Object[] {number(node.id()), send});
        }
        if (async) {
            printReady("  (writes not yet synced)");
            pending.add(rd);
            return true;
        }
        finishReady(node, rd);
        return true;
    }

    /** {@code sync N}: the oldest unsynced write of node N completes. */
    private void completeSync(int id) {
        Ready rd = unsynced.getOrDefault(id, new ArrayDeque<>()).poll();
        if (rd == null) {
            print("n" + id + " has nothing unsynced");
            return;
        }
        printReady("> n" + id + " synced");
        finishReady(nodes.get(id), rd);
    }

    private void finishReady(TestNode node, Ready rd) {
        rd.install().ifPresent(p -> printReady("  install " + p.term() + "/" + p.index()));
        node.persist(rd);
        rd.afterSync().forEach(m -> printReady("  send-after-sync " + MessageFormat.describe(m)));
        enqueue(rd.afterSync());
        node.core().onPersisted(rd);
        rd.install().ifPresent(p -> {
            node.restore(restores.remove(number(node.id())));
            node.core().onApplied(p.index());
        });
        if (!rd.committed().isEmpty()) {
            printReady("  apply " + entries(rd.committed()));
        }
        rd.readStates().forEach(r -> printReady("  read-state id=" + r.requestId() + " index=" + r.index()));
        rd.abortedReads().forEach(id -> printReady("  read-aborted id=" + id));
        if (!rd.needsSync() && rd.messages().isEmpty() && rd.afterSync().isEmpty() && rd.committed().isEmpty()
                && rd.readStates().isEmpty() && rd.abortedReads().isEmpty()) {
            printReady("  (empty)");
        }
        node.apply(rd);
    }

    /** Queues messages; those crossing the current partition or addressed to no node are lost at once. */
    private void enqueue(List<RaftMessage> messages) {
        messages.stream()
                .filter(m -> nodes.containsKey(number(m.to())) && !crashed.contains(number(m.to()))
                        && connected(number(m.from()), number(m.to())))
                .forEach(queue::add);
    }

    /**
     * {@code deliver [nodes...] [from=(ids)]}: delivers the queued messages addressed to the given nodes (all by
     * default), optionally only those from the given senders.
     */
    private void deliver(Directive d) {
        Set<Integer> from = Set.copyOf(d.numbers(d.option("from", "()")));
        deliverTo(Set.copyOf(targets(d)), from);
    }

    private boolean deliverTo(Set<Integer> to, Set<Integer> from) {
        List<RaftMessage> now = new ArrayList<>();
        queue.removeIf(m -> to.contains(number(m.to())) && (from.isEmpty() || from.contains(number(m.from())))
                && now.add(m));
        for (RaftMessage m : now) {
            int dest = number(m.to());
            if (crashed.contains(dest) || !connected(number(m.from()), dest)) {
                continue;
            }
            count(m);
            nodes.get(dest).core().step(m);
            if (m instanceof InstallSnapshotResponse r) {               // what the runtime's sender reports
                nodes.get(dest).core().onSnapshotSent(r.from(), r.lastIncludedIndex(), r.success());
            }
        }
        return !now.isEmpty();
    }

    /**
     * {@code snapshot N [keep=K]}: node N snapshots what it has applied (durable at once) and compacts its log up to
     * K entries before it.
     */
    private void snapshot(Directive d) {
        TestNode node = live(d, 0);
        long index = node.core().status().appliedIndex();
        long term = index == 0 ? 0 : node.applied().get(node.applied().size() - 1).term();
        node.core().onSnapshotTaken(new SnapshotPoint(index, term));
        node.core().compact(index - d.intOption("keep", 0));
        print("n" + d.node(0) + " snapshot at " + term + "/" + index);
    }

    /**
     * {@code deliver-snapshot N}: the snapshots queued for node N arrive whole (the runtime's chunked transfer is
     * tested elsewhere): the last chunk as the core sees it, then the install the runtime asks for once the snapshot
     * is durable. The follower's acknowledgement tells the sender's core that the send ended. The snapshot carries
     * the last configuration the sender applied up to it (none: the receiver keeps the one in force at its index).
     */
    private void deliverSnapshot(Directive d) {
        int to = d.node(0);
        TestNode follower = live(d, 0);
        List<Object[]> now = new ArrayList<>();
        snapshotQueue.removeIf(e -> ((SnapshotPoint.Send) e[1]).to().equals(follower.id()) && now.add(e));
        for (Object[] e : now) {
            TestNode leader = nodes.get((Integer) e[0]);
            SnapshotPoint p = ((SnapshotPoint.Send) e[1]).point();
            if (!connected((Integer) e[0], to)) {
                print("snapshot " + p.term() + "/" + p.index() + " from " + leader.id() + " lost");
                continue;
            }
            long term = leader.core().currentTerm();
            follower.core().step(new InstallSnapshot(leader.id(), follower.id(), term, p.index(), p.term(), 0,
                    Bytes.EMPTY, true));
            List<LogEntry> covered = leader.applied().stream().filter(x -> x.index() <= p.index()).toList();
            restores.put(to, covered);
            IndexedConfig snapshotConfig = covered.stream().filter(x -> x.type() == EntryType.CONFIGURATION)
                    .reduce((a, b) -> b).map(x -> new IndexedConfig(ClusterConfig.decode(x.data().toByteArray()),
                            x.index())).orElse(null);
            boolean reset = follower.core().installSnapshot(leader.id(), p, snapshotConfig,
                    new InstallSnapshotResponse(follower.id(), leader.id(), term, p.index(), Long.MAX_VALUE, true));
            print(follower.id() + (reset ? " installs" : " does not need") + " the snapshot at " + p.term() + "/"
                    + p.index() + " from " + leader.id());
        }
    }

    private void count(RaftMessage m) {
        if (m instanceof AppendEntries) {
            appendsDelivered++;
        } else if (m instanceof AppendEntriesResponse r && !r.success()) {
            rejectionsDelivered++;
        }
    }

    /** {@code drop [nodes...]}: drops the queued messages addressed to the given nodes, printing them. */
    private void drop(Directive d) {
        Set<Integer> to = Set.copyOf(targets(d));
        queue.removeIf(m -> {
            boolean hit = to.contains(number(m.to()));
            if (hit) {
                print("dropped " + MessageFormat.describe(m));
            }
            return hit;
        });
    }

    /**
     * {@code stabilize [nodes...] [quiet=true]}: processes Readies and delivers messages among the given nodes until
     * nothing is left to do; {@code quiet} prints only log lines.
     */
    private void stabilize(Directive d) {
        boolean wasQuiet = quiet;
        quiet |= d.boolOption("quiet", false);
        try {
            settle(d);
        } finally {
            quiet = wasQuiet;
        }
    }

    private void settle(Directive d) {
        Set<Integer> among = new TreeSet<>(targets(d));
        for (int round = 0; round < 10_000; round++) {
            boolean busy = false;
            for (int id : among) {
                busy |= !crashed.contains(id) && processReady(nodes.get(id));
            }
            busy |= deliverTo(among, Set.of());
            if (!busy) {
                return;
            }
        }
        throw d.fail("never stabilized");
    }

    /** {@code partition (1) (2,3)}: only nodes in the same group talk; {@code heal} ends it. */
    private void partition(Directive d) {
        partition.clear();
        for (String group : d.positional()) {
            partition.add(Set.copyOf(d.numbers(group)));
        }
    }

    private boolean connected(int a, int b) {
        return partition.isEmpty() || partition.stream().anyMatch(g -> g.contains(a) && g.contains(b));
    }

    /**
     * {@code crash N [keep=hard-state]}: the node stops; what it had not synced is lost, and messages to it are
     * dropped. With {@code keep=hard-state}, the unsynced hard states survive, as with a storage that makes the hard
     * state durable on its own (FileLogStorage renames it into place at once).
     */
    private void crash(Directive d) {
        int id = d.node(0);
        TestNode node = live(d, 0);
        ArrayDeque<Ready> pending = unsynced.getOrDefault(id, new ArrayDeque<>());
        if ("hard-state".equals(d.option("keep", ""))) {
            pending.forEach(node::persistHardState);
        }
        pending.clear();
        crashed.add(id);
        queue.removeIf(m -> number(m.to()) == id);
    }

    /** {@code restart N}: a crashed node comes back from its durable log and hard state. */
    private void restart(Directive d) {
        int id = d.node(0);
        if (!crashed.remove(id)) {
            throw d.fail("n" + id + " is not crashed");
        }
        nodes.get(id).restart();
    }

    /**
     * {@code check}: Log Matching over the durable logs (an index and term held by two nodes has the same entries up
     * to it) and State Machine Safety over what the nodes applied (one entry per index).
     */
    private void check() {
        int problems = 0;
        List<TestNode> all = new ArrayList<>(nodes.values());
        for (int a = 0; a < all.size(); a++) {
            for (int b = a + 1; b < all.size(); b++) {
                problems += checkLogMatching(all.get(a), all.get(b));
            }
        }
        Map<Long, LogEntry> appliedAt = new HashMap<>();
        for (TestNode node : nodes.values()) {
            for (LogEntry e : node.applied()) {
                LogEntry other = appliedAt.putIfAbsent(e.index(), e);
                if (other != null && !other.equals(e)) {
                    print("State Machine Safety violated: " + node.id() + " applied " + describeWithData(e)
                            + " where another node applied " + describeWithData(other));
                    problems++;
                }
            }
        }
        if (problems == 0) {
            print("logs match; applied entries agree");
        }
    }

    /**
     * Log Matching over the indexes both durable logs hold (a log may start after a snapshot): if they hold an entry
     * of the same term at some index, every common entry up to it is the same.
     */
    private int checkLogMatching(TestNode a, TestNode b) {
        Map<Long, LogEntry> inB = new HashMap<>();
        b.log().all().forEach(e -> inB.put(e.index(), e));
        List<LogEntry> common = a.log().all().stream().filter(e -> inB.containsKey(e.index())).toList();
        long upTo = 0;
        for (LogEntry e : common) {
            if (e.term() == inB.get(e.index()).term()) {
                upTo = e.index();
            }
        }
        for (LogEntry e : common) {
            if (e.index() <= upTo && !e.equals(inB.get(e.index()))) {
                print("Log Matching violated: " + a.id() + " and " + b.id() + " hold " + upTo + " in the same term but"
                        + " differ at " + MessageFormat.describe(e));
                return 1;
            }
        }
        return 0;
    }

    private static String describeWithData(LogEntry e) {
        return MessageFormat.describe(e) + " '" + new String(e.data().toByteArray(), StandardCharsets.UTF_8) + "'";
    }

    /** {@code raft-log N}: the node's durable log. */
    private void raftLog(Directive d) {
        TestNode node = node(d, 0);
        List<LogEntry> log = node.log().all();
        print(log.isEmpty() ? "log is empty" : entries(log));
    }

    /** {@code status [nodes...]}: role, term, vote, leader, last/commit/applied, and a leader's progress. */
    private void status(Directive d) {
        for (int id : d.positional().isEmpty() ? nodes.keySet() : d.numbers(String.join(",", d.positional()))) {
            if (crashed.contains(id)) {
                print("n" + id + " crashed");
                continue;
            }
            CoreStatus s = nodes.get(id).core().status();
            print(s.id() + " " + s.role().toString().toLowerCase(java.util.Locale.ROOT) + " term=" + s.term()
                    + " vote=" + s.votedFor().map(NodeId::toString).orElse("-") + " lead="
                    + s.leader().map(NodeId::toString).orElse("-") + " last=" + s.lastIndex() + " commit="
                    + s.commitIndex() + " applied=" + s.appliedIndex());
            new TreeMap<>(s.peers()).forEach((peer, p) -> print("  " + peer + " match=" + p.matchIndex() + " next="
                    + p.nextIndex() + " " + p.mode().toString().toLowerCase(java.util.Locale.ROOT)));
        }
    }

    /**
     * {@code config [nodes...]}: the configuration in force on each node (the last one in its log, thesis §4.1), the
     * index of its entry (that of the bootstrap or snapshot when the log holds none), and whether the node knows
     * that it committed.
     */
    private void config(Directive d) {
        for (int id : d.positional().isEmpty() ? nodes.keySet() : d.numbers(String.join(",", d.positional()))) {
            if (crashed.contains(id)) {
                print("n" + id + " crashed");
                continue;
            }
            RaftCore core = nodes.get(id).core();
            long index = core.configurationIndex();
            print("n" + id + " " + core.configuration() + " index=" + index
                    + (index > core.status().commitIndex() ? " uncommitted" : ""));
        }
    }

    /** {@code stats}: AppendEntries and rejections delivered since the last {@code stats}. */
    private void stats() {
        print("appends-delivered=" + appendsDelivered + " rejections-delivered=" + rejectionsDelivered);
        appendsDelivered = 0;
        rejectionsDelivered = 0;
    }

    private List<Integer> targets(Directive d) {
        List<Integer> ids = d.positional().isEmpty() ? new ArrayList<>(nodes.keySet())
                : d.numbers(String.join(",", d.positional()));
        ids.removeIf(crashed::contains);
        for (int id : ids) {
            if (!nodes.containsKey(id)) {
                throw d.fail("no node n" + id);
            }
        }
        return ids;
    }

    private TestNode node(Directive d, int arg) {
        TestNode node = nodes.get(d.node(arg));
        if (node == null) {
            throw d.fail("no node n" + d.node(arg));
        }
        return node;
    }

    private TestNode live(Directive d, int arg) {
        TestNode node = node(d, arg);
        if (crashed.contains(d.node(arg))) {
            throw d.fail(node.id() + " is crashed");
        }
        return node;
    }

    private static int number(NodeId id) {
        return Integer.parseInt(id.value().substring(1));
    }

    private static String entries(List<LogEntry> entries) {
        return entries.stream().map(MessageFormat::describe).collect(Collectors.joining(" "));
    }
}
