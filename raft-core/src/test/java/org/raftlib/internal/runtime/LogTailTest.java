package org.raftlib.internal.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.raftlib.LogTail;
import org.raftlib.Member;
import org.raftlib.RaftException;
import org.raftlib.RaftNode;
import org.raftlib.RaftOptions;
import org.raftlib.local.InMemoryLogStorage;
import org.raftlib.local.LocalTransport;
import org.raftlib.testkit.Await;
import org.raftlib.testkit.RecordingStateMachine;

/** {@link RaftNode#logTail(int)} on a single-member group: terms of the newest entries, commit index, timer. */
class LogTailTest {

    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final Member N1 = Member.of("n1", "local-1");

    private final LocalTransport.Hub hub = LocalTransport.hub(3);
    private RaftNode node;

    @AfterEach
    void close() {
        if (node != null) {
            node.close();
        }
        hub.close();
    }

    @Test
    void describesTheNewestEntriesWithTheirTerms() throws Exception {
        node = RaftNode.builder().id("n1").members(N1).stateMachine(new RecordingStateMachine())
                .logStorage(new InMemoryLogStorage()).transport(hub.transport()).randomSeed(1)
                .options(RaftOptions.defaults().withElectionTimeout(Duration.ofMillis(100))
                        .withHeartbeatInterval(Duration.ofMillis(20))).build();
        node.start();
        Await.until("n1 to lead", WAIT, () -> node.status().isLeader());
        for (int i = 0; i < 5; i++) {
            node.submit(("c" + i).getBytes(StandardCharsets.UTF_8)).get(10, TimeUnit.SECONDS);
        }
        long term = node.status().term();
        long last = node.status().lastLogIndex();

        LogTail all = node.logTail(100);
        assertThat(all.lastIndex()).isEqualTo(last);
        assertThat(all.fromIndex()).isEqualTo(1);
        assertThat(all.terms()).hasSize((int) last).containsOnly(term);
        assertThat(all.commitIndex()).isEqualTo(last);
        assertThat(all.term(last)).isEqualTo(term);
        assertThat(all.electionTimeout()).isPositive();
        assertThat(all.electionElapsed()).isLessThanOrEqualTo(all.electionTimeout());

        LogTail three = node.logTail(3);
        assertThat(three.fromIndex()).isEqualTo(last - 2);
        assertThat(three.terms()).hasSize(3);
        assertThatThrownBy(() -> three.term(last - 3)).isInstanceOf(IndexOutOfBoundsException.class);
        assertThat(node.logTail(0).terms()).isEmpty();
        assertThat(node.logTail(0).fromIndex()).isEqualTo(last + 1);
        assertThatThrownBy(() -> node.logTail(RaftNode.MAX_LOG_TAIL + 1))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> node.logTail(-1)).isInstanceOf(IllegalArgumentException.class);

        node.close();
        assertThatThrownBy(() -> node.logTail(10)).isInstanceOf(RaftException.class);
    }

    @Test
    void copiesItsTerms() {
        long[] terms = {1, 2};
        LogTail t = new LogTail(4, 5, 4, terms, Duration.ZERO, Duration.ofMillis(10));
        terms[0] = 9;
        t.terms()[1] = 9;
        assertThat(t.terms()).containsExactly(1, 2);
        assertThat(t).isEqualTo(new LogTail(4, 5, 4, new long[] {1, 2}, Duration.ZERO, Duration.ofMillis(10)));
        assertThatThrownBy(() -> new LogTail(4, 6, 4, new long[] {1}, Duration.ZERO, Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
