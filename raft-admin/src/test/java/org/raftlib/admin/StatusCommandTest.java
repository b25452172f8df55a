package org.raftlib.admin;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.raftlib.ClusterConfig;
import org.raftlib.Member;
import org.raftlib.NodeId;
import org.raftlib.NodeState;
import org.raftlib.RaftRole;
import org.raftlib.RaftStatus;

/**
 * The rows of {@code status}, from statuses built here: what an operator sees of a dead follower, of members that do
 * not answer when no leader does, and of removed and joining nodes (an operability probe found each misleading).
 */
class StatusCommandTest {

    private static final ClusterConfig THREE = ClusterConfig.ofVoters(List.of(Member.of("n1", "h1:7001"),
            Member.of("n2", "h2:7001"), Member.of("n3", "h3:7001")));

    private static RaftStatus status(String id, RaftRole role, String leader, ClusterConfig config,
            Map<NodeId, RaftStatus.PeerStatus> peers) {
        return new RaftStatus(NodeId.of(id), NodeState.RUNNING, role, 4, Optional.ofNullable(leader).map(NodeId::of),
                20, 18, 18, 1, Optional.empty(), config.members(), config, 0, peers);
    }

    /** The rows when the answers came and one more endpoint did not answer. */
    private static Map<String, String[]> rows(RaftStatus... answers) {
        return rows(1, answers);
    }

    private static Map<String, String[]> rows(int unanswered, RaftStatus... answers) {
        Map<NodeId, RaftStatus> statuses = new TreeMap<>();
        Map<NodeId, String> endpoints = new TreeMap<>();
        for (RaftStatus s : answers) {
            statuses.put(s.id(), s);
            endpoints.put(s.id(), s.id() + ":7101");
        }
        List<String[]> rows = StatusCommand.rows(statuses, endpoints, unanswered);
        assertThat(rows.get(0)).contains("ROLE", "LAG", "HEARD");
        Map<String, String[]> byId = new TreeMap<>();
        rows.stream().skip(1).forEach(r -> byId.put(r[0], r));
        return byId;
    }

    @Test
    void aFollowerTheLeaderCannotHearIsMarkedSilentEvenWithItsOldMatchIndex() {
        RaftStatus leader = status("n1", RaftRole.LEADER, "n1", THREE, Map.of(
                NodeId.of("n2"), new RaftStatus.PeerStatus(20, 21, true, Duration.ofMillis(40)),
                NodeId.of("n3"), new RaftStatus.PeerStatus(20, 21, false, Duration.ofMillis(35_000))));

        Map<String, String[]> rows = rows(leader, status("n2", RaftRole.FOLLOWER, "n1", THREE, Map.of()));

        assertThat(rows.get("n2")).containsSequence("0", "0.0s");
        assertThat(rows.get("n3")).contains("no answer").containsSequence("0", "35.0s silent");
        assertThat(rows.get("n1")[9]).isEqualTo("-");
    }

    /**
     * With every endpoint given answering, the members not given are "not asked", not "no answer" (an outside probe:
     * live members looked down next to their lag and heard times).
     */
    @Test
    void membersNoEndpointWasGivenForAreNotAskedNotSilent() {
        RaftStatus leader = status("n1", RaftRole.LEADER, "n1", THREE, Map.of(
                NodeId.of("n2"), new RaftStatus.PeerStatus(20, 21, true, Duration.ofMillis(40)),
                NodeId.of("n3"), new RaftStatus.PeerStatus(20, 21, true, Duration.ofMillis(30))));

        Map<String, String[]> rows = rows(0, leader);

        assertThat(rows.get("n2")).contains("not asked").doesNotContain("no answer").containsSequence("0", "0.0s");
    }

    @Test
    void withoutALeaderTheMembersThatDoNotAnswerStillHaveARow() {
        Map<String, String[]> rows = rows(status("n1", RaftRole.CANDIDATE, null, THREE, Map.of()));

        assertThat(rows).containsOnlyKeys("n1", "n2", "n3");
        assertThat(rows.get("n2")).contains("no answer");
        assertThat(rows.get("n3")[8]).as("lag unknown").isEqualTo("-");
    }

    @Test
    void removedJoiningAndLearnerNodesSayWhatTheyAre() {
        ClusterConfig withLearner = new ClusterConfig(Stream.concat(THREE.members().stream(),
                Stream.of(Member.of("n5", "h5:7001"))).toList(), THREE.voters(), java.util.Set.of(),
                java.util.Set.of(NodeId.of("n5")));
        Map<String, String[]> rows = rows(status("n1", RaftRole.LEADER, "n1", withLearner, Map.of()),
                status("n4", RaftRole.FOLLOWER, null, THREE, Map.of()),
                status("n5", RaftRole.FOLLOWER, "n1", withLearner, Map.of()),
                status("n6", RaftRole.FOLLOWER, null, ClusterConfig.EMPTY, Map.of()));

        assertThat(rows.get("n4")[2]).isEqualTo("FOLLOWER (removed)");
        assertThat(rows.get("n5")[2]).isEqualTo("FOLLOWER (learner)");
        assertThat(rows.get("n6")[2]).isEqualTo("FOLLOWER (joining)");
        assertThat(rows.get("n1")[2]).isEqualTo("LEADER");
    }

    /** A node removed while it was paused does not know it: the leader's configuration decides (outside probe). */
    @Test
    void aNodeTheLeadersConfigurationLeavesOutIsRemovedWhateverItThinks() {
        ClusterConfig two = ClusterConfig.ofVoters(List.of(Member.of("n2", "h2:7001"), Member.of("n3", "h3:7001")));
        Map<String, String[]> rows = rows(status("n2", RaftRole.LEADER, "n2", two, Map.of()),
                status("n1", RaftRole.PRE_CANDIDATE, null, THREE, Map.of()));

        assertThat(rows.get("n1")[2]).isEqualTo("PRE_CANDIDATE (removed)");
        assertThat(rows.get("n2")[2]).isEqualTo("LEADER");
    }
}
