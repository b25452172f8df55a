package org.raftlib.examples.kv;

import java.net.URI;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Collectors;
import org.raftlib.Member;
import org.raftlib.NodeId;
import org.raftlib.RaftException;
import org.raftlib.RaftNode;
import org.raftlib.RaftStatus;
import org.raftlib.SnapshotMeta;

/**
 * Builds the {@code GET /status} answer: a flat JSON object, so members and peers appear as {@code http.<id>},
 * {@code raft.<id>} and {@code peer.<id>.matchIndex} fields.
 */
final class StatusReport {

    private StatusReport() {
    }

    static Reply of(RaftNode node, Map<NodeId, URI> httpAddresses) {
        RaftStatus s;
        try {
            s = node.status();
        } catch (RaftException e) {
            return Reply.error(503, "the node did not report its status: " + e.getMessage());
        }
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("id", s.id().value());
        f.put("http", text(httpAddresses.get(s.id())));
        f.put("state", s.state().name());
        f.put("role", s.role().name());
        f.put("term", s.term());
        f.put("leader", s.leader().map(NodeId::value).orElse(null));
        f.put("leaderHttp", s.leader().map(l -> text(httpAddresses.get(l))).orElse(null));
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
            f.put("http." + m.id(), text(httpAddresses.get(m.id())));
            f.put("raft." + m.id(), m.address());
        }
        s.peers().entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(e -> {
            f.put("peer." + e.getKey() + ".matchIndex", e.getValue().matchIndex());
            f.put("peer." + e.getKey() + ".nextIndex", e.getValue().nextIndex());
        });
        return Reply.of(200, f);
    }

    private static String text(URI uri) {
        return uri == null ? null : uri.toString();
    }
}
