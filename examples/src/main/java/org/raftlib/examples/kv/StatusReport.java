package org.raftlib.examples.kv;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Collectors;
import org.raftlib.ClusterConfig;
import org.raftlib.Member;
import org.raftlib.NodeId;
import org.raftlib.RaftException;
import org.raftlib.RaftNode;
import org.raftlib.RaftStatus;
import org.raftlib.SnapshotMeta;

/**
 * Builds the {@code GET /status} answer: a flat JSON object, so members and peers appear as {@code http.<id>},
 * {@code raft.<id>} and {@code peer.<id>.matchIndex} fields.
 *
 * <p>The configuration in force on this node: {@code voters}, {@code learners}, {@code outgoingVoters} (the old
 * voters while {@code joint}), {@code configurationIndex}, {@code configurationCommitted}, {@code member.<id>} (each
 * member's part), and this node's own part as {@code voter} (a boolean) and {@code membership}: {@code voter},
 * {@code learner}, {@code outgoing voter}, {@code removed} (its configuration no longer lists it) or {@code joining}
 * (started with {@code --join}, not added yet). With the state machine: {@code kvKeys}, {@code kvDigest} and
 * {@code kvCommands} (see {@link KvStateMachine.Stats}).
 */
final class StatusReport {

    private StatusReport() {
    }

    static Reply of(RaftNode node, HttpDirectory httpAddresses, KvStateMachine machine) {
        RaftStatus s;
        try {
            s = node.status();
        } catch (RaftException e) {
            return Reply.error(503, "the node did not report its status: " + e.getMessage());
        }
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("id", s.id().value());
        f.put("http", httpAddresses.text(s.id()));
        f.put("state", s.state().name());
        f.put("role", s.role().name());
        f.put("term", s.term());
        f.put("leader", s.leader().map(NodeId::value).orElse(null));
        f.put("leaderHttp", s.leader().map(httpAddresses::text).orElse(null));
        f.put("lastLogIndex", s.lastLogIndex());
        f.put("commitIndex", s.commitIndex());
        f.put("appliedIndex", s.appliedIndex());
        f.put("firstLogIndex", s.firstLogIndex());
        f.put("logEntries", s.lastLogIndex() - s.firstLogIndex() + 1);
        f.put("snapshotIndex", s.latestSnapshot().map(SnapshotMeta::index).orElse(0L));
        f.put("snapshotTerm", s.latestSnapshot().map(SnapshotMeta::term).orElse(0L));
        f.put("snapshotBytes", s.latestSnapshot().map(SnapshotMeta::sizeBytes).orElse(0L));
        f.put("snapshotAgeMillis", s.latestSnapshot().map(m -> System.currentTimeMillis() - m.createdMillis())
                .orElse(null));
        f.put("members", s.members().stream().map(m -> m.id().value()).collect(Collectors.joining(",")));
        for (Member m : s.members()) {
            f.put("http." + m.id(), httpAddresses.text(m.id()));
            f.put("raft." + m.id(), m.address());
        }
        configuration(s, f);
        if (machine != null) {
            KvStateMachine.Stats st = machine.stats();
            f.put("kvKeys", st.keys());
            f.put("kvDigest", String.format("%016x", st.digest()));
            f.put("kvCommands", st.commands());
        }
        s.peers().entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(e -> {
            f.put("peer." + e.getKey() + ".matchIndex", e.getValue().matchIndex());
            f.put("peer." + e.getKey() + ".nextIndex", e.getValue().nextIndex());
            f.put("peer." + e.getKey() + ".reachable", e.getValue().reachable());
            f.put("peer." + e.getKey() + ".heardMillisAgo", e.getValue().sinceHeard().toMillis());
        });
        return Reply.of(200, f);
    }

    private static void configuration(RaftStatus s, Map<String, Object> f) {
        ClusterConfig c = s.configuration();
        f.put("membership", membership(s));
        f.put("voter", s.isVoter());
        f.put("voters", MembershipEndpoints.ids(c.voters()));
        f.put("learners", MembershipEndpoints.ids(c.learners()));
        f.put("outgoingVoters", MembershipEndpoints.ids(c.outgoingVoters()));
        f.put("joint", c.isJoint());
        f.put("configurationIndex", s.configurationIndex());
        f.put("configurationCommitted", s.isConfigurationCommitted());
        for (Member m : c.members()) {
            f.put("member." + m.id(), MembershipEndpoints.roleIn(c, m.id()));
        }
    }

    /** This node's part in its configuration, with "removed" and "joining" for a node that has none. */
    static String membership(RaftStatus s) {
        ClusterConfig c = s.configuration();
        if (c.contains(s.id())) {
            return MembershipEndpoints.roleIn(c, s.id());
        }
        return c.members().isEmpty() ? "joining" : "removed";
    }
}
