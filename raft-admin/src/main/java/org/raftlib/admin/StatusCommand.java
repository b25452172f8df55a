package org.raftlib.admin;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import org.raftlib.ClusterConfig;
import org.raftlib.Member;
import org.raftlib.NodeId;
import org.raftlib.RaftStatus;
import org.raftlib.transport.netty.AdminClient;
import picocli.CommandLine.Command;
import picocli.CommandLine.ParentCommand;

/**
 * {@code status}: asks every endpoint for its node's status and prints one row per member: the nodes that answered,
 * and the members that did not (role "no answer", or "not asked" when every endpoint given answered and none was
 * theirs) of the leader's configuration, or without a leader among the
 * answers, of the newest configuration an answer holds. A node's role says when it is a learner, removed from the
 * configuration it holds, or joining (no configuration yet). The lag is the leader's last index minus the member's
 * match index, and HEARD how long ago the leader last heard from it ("silent" once an election timeout passed), both
 * as the leader sees them; without a leader among the answers they are unknown. Exits 1 if an endpoint did not
 * answer.
 */
@Command(name = "status", mixinStandardHelpOptions = true,
        description = "Prints one row per member: id, role, term, leader, last/commit/applied index, lag, when the "
                + "leader last heard from it, snapshot.")
final class StatusCommand implements Callable<Integer> {

    private static final String[] HEADER = {"ID", "ENDPOINT", "ROLE", "TERM", "LEADER", "LAST", "COMMIT", "APPLIED",
        "LAG", "HEARD", "SNAPSHOT"};

    @ParentCommand
    private AdminCli cli;

    @Override
    public Integer call() {
        Map<String, Object> answers;
        try (AdminClient client = cli.client()) {
            answers = cli.statuses(client);
        }
        PrintWriter out = cli.spec().commandLine().getOut();
        PrintWriter err = cli.spec().commandLine().getErr();
        int failed = 0;
        Map<NodeId, String> endpoints = new TreeMap<>();
        Map<NodeId, RaftStatus> statuses = new TreeMap<>();
        for (Map.Entry<String, Object> a : answers.entrySet()) {
            if (a.getValue() instanceof RaftStatus s) {
                statuses.put(s.id(), s);
                endpoints.put(s.id(), a.getKey());
            } else {
                failed++;
                err.println("error: " + ((Exception) a.getValue()).getMessage());
            }
        }
        if (!statuses.isEmpty()) {                           // no endpoint answered: the errors say it all
            print(out, rows(statuses, endpoints, failed));
        }
        out.flush();
        err.flush();
        return failed == 0 ? 0 : AdminCli.FAILED;
    }

    /**
     * Returns the table's rows, sorted by member id; a member with no answer is "no answer" if {@code unanswered}
     * endpoints did not answer, else "not asked" (no endpoint given for it).
     */
    static List<String[]> rows(Map<NodeId, RaftStatus> statuses, Map<NodeId, String> endpoints, int unanswered) {
        String missing = unanswered > 0 ? "no answer" : "not asked";
        Optional<RaftStatus> leader = statuses.values().stream().filter(RaftStatus::isLeader)
                .max((a, b) -> Long.compare(a.term(), b.term()));
        Map<NodeId, String[]> rows = new TreeMap<>();
        for (RaftStatus s : statuses.values()) {
            rows.put(s.id(), new String[] {s.id().value(), endpoints.get(s.id()), role(s, leader),
                Long.toString(s.term()),
                s.leader().map(NodeId::value).orElse("-"), Long.toString(s.lastLogIndex()),
                Long.toString(s.commitIndex()), Long.toString(s.appliedIndex()), lag(leader, s.id()),
                heard(leader, s.id()), s.latestSnapshot().map(m -> m.index() + "@" + m.term()).orElse("-")});
        }
        Optional<RaftStatus> reference = leader.or(() -> statuses.values().stream()
                .max(Comparator.comparingLong(RaftStatus::configurationIndex)));
        reference.ifPresent(r -> {
            for (Member m : r.configuration().members()) {
                rows.computeIfAbsent(m.id(), id -> new String[] {id.value(), "-", missing, "-", "-", "-", "-",
                    "-", lag(leader, id), heard(leader, id), "-"});
            }
        });
        List<String[]> out = new ArrayList<>();
        out.add(HEADER);
        out.addAll(rows.values());
        return out;
    }

    /**
     * The node's role, and its part in the configuration when it is not a plain member: the leader's configuration if
     * a leader answered (a node removed while it was cut off or paused does not know it), else its own.
     */
    private static String role(RaftStatus s, Optional<RaftStatus> leader) {
        ClusterConfig own = s.configuration();
        ClusterConfig c = leader.map(RaftStatus::configuration).orElse(own);
        String part = !c.contains(s.id()) ? (own.voters().isEmpty() ? " (joining)" : " (removed)")
                : c.learners().contains(s.id()) ? " (learner)" : "";
        return s.role().name() + part;
    }

    /** When the leader last heard from {@code id}: "-" for itself, or without a leader or progress for it. */
    private static String heard(Optional<RaftStatus> leader, NodeId id) {
        RaftStatus.PeerStatus p = leader.map(l -> l.peers().get(id)).orElse(null);
        if (p == null) {
            return "-";
        }
        String ago = String.format(Locale.ROOT, "%.1fs", p.sinceHeard().toMillis() / 1000.0);
        return p.reachable() ? ago : ago + " silent";
    }

    private static String lag(Optional<RaftStatus> leader, NodeId id) {
        if (leader.isEmpty()) {
            return "-";
        }
        RaftStatus l = leader.get();
        if (l.id().equals(id)) {
            return "0";
        }
        RaftStatus.PeerStatus p = l.peers().get(id);
        return p == null ? "-" : Long.toString(Math.max(0, l.lastLogIndex() - p.matchIndex()));
    }

    /** Prints rows as columns separated by two spaces, each as wide as its widest cell. */
    static void print(PrintWriter out, List<String[]> rows) {
        int[] width = new int[HEADER.length];
        for (String[] r : rows) {
            for (int i = 0; i < r.length; i++) {
                width[i] = Math.max(width[i], r[i].length());
            }
        }
        for (String[] r : rows) {
            StringBuilder line = new StringBuilder();
            for (int i = 0; i < r.length; i++) {
                line.append(i == r.length - 1 ? r[i] : String.format("%-" + width[i] + "s  ", r[i]));
            }
            out.println(line.toString().stripTrailing());
        }
    }
}
