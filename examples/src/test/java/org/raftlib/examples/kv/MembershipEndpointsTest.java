package org.raftlib.examples.kv;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.raftlib.ClusterConfig;
import org.raftlib.IndeterminateResultException;
import org.raftlib.Member;
import org.raftlib.MembershipChangeException;
import org.raftlib.NodeId;
import org.raftlib.RaftClosedException;
import org.raftlib.RaftException;

/** The membership API's parsing, descriptions and error answers, without a cluster. */
class MembershipEndpointsTest {

    private static MembershipEndpoints.NewMember parse(String json) {
        return MembershipEndpoints.NewMember.parse(json.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void aNewMemberDefaultsItsHttpAddressToTheLaunchersLayout() {
        assertThat(parse("{\"id\":\"n4\",\"address\":\"127.0.0.1:7004\"}")).isEqualTo(new MembershipEndpoints
                .NewMember(NodeId.of("n4"), "127.0.0.1:7004", URI.create("http://127.0.0.1:8004")));
        assertThat(parse("{\"id\":\"n4\",\"address\":\"h:7004\",\"httpAddress\":\"http://h:9000/\"}").http())
                .isEqualTo(URI.create("http://h:9000"));
    }

    @Test
    void badMembersAreRefusedWithTheReason() {
        assertThatThrownBy(() -> parse("{\"id\":\"n4\"}")).hasMessageContaining("needs \"id\" and \"address\"");
        assertThatThrownBy(() -> parse("{\"id\":\"n4\",\"address\":\"nohost\"}")).hasMessageContaining("HOST:PORT");
        assertThatThrownBy(() -> parse("{\"id\":\"n4\",\"address\":\"h:0\"}")).hasMessageContaining("HOST:PORT");
        assertThatThrownBy(() -> parse("{\"id\":\"n4\",\"address\":\"h:65000\"}"))
                .hasMessageContaining("give \"httpAddress\"");
        assertThatThrownBy(() -> parse("{\"id\":\"n4\",\"address\":\"h:1\",\"port\":2}"))
                .hasMessageContaining("unknown field \"port\"");
        assertThatThrownBy(() -> parse("{\"id\":\"n4\",\"address\":\"h:1\",\"httpAddress\":\"ftp://h:2\"}"))
                .hasMessageContaining("http://HOST:PORT");
        assertThatThrownBy(() -> parse("{\"id\":\"bad id\",\"address\":\"h:1\"}"))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void failuresBecomeStatusCodesAndMessages() {
        assertThat(MembershipEndpoints.failure(new IllegalArgumentException("n9 is not a member")).status())
                .isEqualTo(400);
        Reply busy = MembershipEndpoints.failure(new MembershipChangeException(
                "another membership change is in progress: x", MembershipChangeException.Reason.IN_PROGRESS));
        assertThat(busy.status()).isEqualTo(409);
        assertThat(Json.decode(busy.json()).get("error")).contains("in progress").contains("retry once");
        assertThat(MembershipEndpoints.failure(new MembershipChangeException("the membership change to x did not "
                + "finish within 30 election timeouts", MembershipChangeException.Reason.TIMED_OUT)).status())
                .isEqualTo(504);
        assertThat(MembershipEndpoints.failure(new MembershipChangeException("would stop commits: bring n3 back",
                MembershipChangeException.Reason.NO_LIVE_QUORUM)).status()).as("nothing appended: a conflict")
                .isEqualTo(409);
        assertThat(MembershipEndpoints.failure(new IndeterminateResultException("n1 stopped leading")).status())
                .isEqualTo(504);
        assertThat(MembershipEndpoints.failure(new CatchUp.NotCaughtUpException("n9 has not caught up")).status())
                .isEqualTo(409);
        assertThat(MembershipEndpoints.failure(new RaftClosedException("closed")).status()).isEqualTo(503);
    }

    @Test
    void aJointConfigurationIsDescribedWithEveryMembersPart() {
        Member n1 = Member.of("n1", "h:1");
        Member n2 = Member.of("n2", "h:2");
        Member n3 = Member.of("n3", "h:3");
        ClusterConfig joint = new ClusterConfig(List.of(n1, n2, n3), Set.of(NodeId.of("n1"), NodeId.of("n2")),
                Set.of(NodeId.of("n1"), NodeId.of("n3")), Set.of());
        HttpDirectory directory = HttpDirectory.of(Map.of(NodeId.of("n1"), URI.create("http://h:8001")));
        Map<String, Object> f = MembershipEndpoints.describe(joint, directory);
        assertThat(f).containsEntry("voters", "n1,n2").containsEntry("outgoingVoters", "n1,n3")
                .containsEntry("joint", true).containsEntry("learners", "").containsEntry("member.n1", "voter")
                .containsEntry("member.n3", "outgoing voter").containsEntry("raft.n2", "h:2")
                .containsEntry("http.n1", "http://h:8001");
        assertThat(f.get("http.n2")).isNull();
    }

    @Test
    void theReplicatedDirectoryWinsOverTheAddressesGivenAtStart() {
        KvStateMachine machine = new KvStateMachine();
        HttpDirectory directory = HttpDirectory.of(Map.of(NodeId.of("n1"), URI.create("http://old:1")), machine);
        assertThat(directory.lookup(NodeId.of("n1"))).contains(URI.create("http://old:1"));
        machine.apply(1, KvCommand.memberHttp("n1", "http://new:2").encode());
        assertThat(directory.lookup(NodeId.of("n1"))).contains(URI.create("http://new:2"));
        assertThat(directory.lookup(NodeId.of("n2"))).isEqualTo(Optional.empty());
    }
}
