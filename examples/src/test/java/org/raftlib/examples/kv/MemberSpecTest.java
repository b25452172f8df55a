package org.raftlib.examples.kv;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.raftlib.NodeId;

class MemberSpecTest {

    @Test
    void parsesAndFormatsAList() {
        String text = "n1=127.0.0.1:7001@8001, n2=localhost:7002@8002";
        List<MemberSpec> members = MemberSpec.parseList(text);
        assertThat(members).containsExactly(new MemberSpec(NodeId.of("n1"), "127.0.0.1", 7001, 8001),
                new MemberSpec(NodeId.of("n2"), "localhost", 7002, 8002));
        assertThat(MemberSpec.parseList(MemberSpec.format(members))).isEqualTo(members);
        assertThat(members.get(0).member().address()).isEqualTo("127.0.0.1:7001");
        assertThat(members.get(0).httpUri()).hasToString("http://127.0.0.1:8001");
    }

    @Test
    void rejectsMalformedEntriesWithTheExpectedSyntax() {
        for (String bad : List.of("n1", "n1=host", "n1=host:7001", "=h:1@2", "n1=h:x@2", "n1=h:1@0", "n1=:1@2")) {
            assertThatThrownBy(() -> MemberSpec.parseList(bad)).as(bad).isInstanceOf(IllegalArgumentException.class);
        }
        assertThatThrownBy(() -> MemberSpec.parseList("n1")).hasMessageContaining("ID=HOST:RAFT_PORT@HTTP_PORT");
    }

    @Test
    void rejectsRepeatedIdsAndPorts() {
        assertThatThrownBy(() -> MemberSpec.parseList("n1=h:1@2,n1=h:3@4")).hasMessageContaining("twice");
        assertThatThrownBy(() -> MemberSpec.parseList("n1=h:1@2,n2=h:2@3")).hasMessageContaining("used twice");
    }

    @Test
    void keysRoundTripThroughPercentEncoding() {
        for (String key : List.of("plain", "a/b", "sp ace", "plus+", "ü✓", "%41", "?#&=")) {
            assertThat(KeyPath.decodeKey(KeyPath.encodeKey(key))).as(key).isEqualTo(key);
        }
        assertThat(KeyPath.decodeKey("a+b")).isEqualTo("a+b");
        assertThatThrownBy(() -> KeyPath.decodeKey("a%2")).hasMessageContaining("truncated");
        assertThatThrownBy(() -> KeyPath.decodeKey("%C3")).hasMessageContaining("UTF-8");
    }
}
