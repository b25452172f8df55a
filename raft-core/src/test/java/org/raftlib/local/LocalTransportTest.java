package org.raftlib.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.raftlib.Member;
import org.raftlib.Transport;
import org.raftlib.message.AppendEntries;
import org.raftlib.message.RaftMessage;
import org.raftlib.message.TimeoutNow;
import org.raftlib.testkit.TransportContract;

class LocalTransportTest extends TransportContract {

    private static final long SEED = Long.getLong("raftlib.seed", 20261124L);

    private LocalTransport.Hub hub;

    @BeforeAll
    static void printSeed() {
        System.out.println("LocalTransportTest seed=" + SEED + " (replay with -Draftlib.seed=" + SEED + ")");
    }

    @BeforeEach
    void newHub() {
        hub = LocalTransport.hub(SEED);
    }

    @AfterEach
    void closeHub() {
        hub.close();
    }

    @Override
    protected Transport newTransport() {
        return hub.transport();
    }

    @Override
    protected Member memberFor(String id) {
        return Member.of(id, "local:" + id);
    }

    @Test
    void partitionDropsMessagesBetweenGroupsAndHealRestoresThem() throws Exception {
        List<Node> nodes = startCluster("a", "b", "c");
        Node a = nodes.get(0);
        Node b = nodes.get(1);
        Node c = nodes.get(2);
        hub.partition(Set.of(a.id()), Set.of(b.id(), c.id()));

        a.transport().send(new TimeoutNow(a.id(), b.id(), 1));
        c.transport().send(new TimeoutNow(c.id(), b.id(), 2));
        awaitCondition("b to receive from c", () -> !b.inbox().isEmpty());
        hub.heal();
        a.transport().send(new TimeoutNow(a.id(), b.id(), 3));

        awaitCondition("b to receive from a after heal", () -> b.inbox().size() == 2);
        assertThat(b.inbox()).extracting(RaftMessage::term).containsExactly(2L, 3L);
        assertThat(hub.dropped()).isEqualTo(1);
    }

    @Test
    void isolatedNodeNeitherSendsNorReceives() throws Exception {
        List<Node> nodes = startCluster("a", "b");
        Node a = nodes.get(0);
        Node b = nodes.get(1);
        hub.isolate(a.id());

        a.transport().send(new TimeoutNow(a.id(), b.id(), 1));
        b.transport().send(new TimeoutNow(b.id(), a.id(), 1));
        hub.heal();
        b.transport().send(new TimeoutNow(b.id(), a.id(), 2));

        awaitCondition("a to receive after heal", () -> !a.inbox().isEmpty());
        assertThat(a.inbox()).extracting(RaftMessage::term).containsExactly(2L);
        assertThat(b.inbox()).isEmpty();
    }

    @Test
    void droppedLinkCutsOneDirectionOnly() throws Exception {
        List<Node> nodes = startCluster("a", "b");
        Node a = nodes.get(0);
        Node b = nodes.get(1);
        hub.dropLink(a.id(), b.id());

        a.transport().send(new TimeoutNow(a.id(), b.id(), 1));
        b.transport().send(new TimeoutNow(b.id(), a.id(), 1));

        awaitCondition("a to receive", () -> !a.inbox().isEmpty());
        assertThat(hub.dropped()).isEqualTo(1);
        assertThat(b.inbox()).isEmpty();
    }

    @Test
    void seededDropRateRoughlyHolds() throws Exception {
        hub.faults(NetworkFaults.builder().dropRate(0.3).build());
        List<Node> nodes = startCluster("a", "b");
        int count = 10_000;
        for (int i = 1; i <= count; i++) {
            nodes.get(0).transport().send(heartbeat(nodes.get(0).id(), nodes.get(1).id(), i));
        }
        awaitCondition("every message delivered or dropped", () -> hub.delivered() + hub.dropped() == count);

        assertThat((double) hub.dropped() / count).as("seed %d", SEED).isBetween(0.27, 0.33);
        List<Long> numbers = nodes.get(1).inbox().stream().map(m -> ((AppendEntries) m).leaderCommit()).toList();
        assertThat(numbers).as("drops keep order, seed %d", SEED).isSorted();
    }

    @Test
    void duplicatesAreDeliveredTwice() throws Exception {
        hub.faults(NetworkFaults.builder().duplicateRate(1.0).build());
        List<Node> nodes = startCluster("a", "b");

        nodes.get(0).transport().send(new TimeoutNow(nodes.get(0).id(), nodes.get(1).id(), 1));

        awaitCondition("two copies", () -> nodes.get(1).inbox().size() == 2);
    }

    @Test
    void delaysReorderButDeliverEverything() throws Exception {
        hub.faults(NetworkFaults.builder().minDelay(Duration.ZERO).maxDelay(Duration.ofMillis(20)).build());
        List<Node> nodes = startCluster("a", "b");
        int count = 500;
        for (int i = 1; i <= count; i++) {
            nodes.get(0).transport().send(heartbeat(nodes.get(0).id(), nodes.get(1).id(), i));
        }

        awaitCondition("all delayed messages", () -> nodes.get(1).inbox().size() == count);
        List<Long> numbers = nodes.get(1).inbox().stream().map(m -> ((AppendEntries) m).leaderCommit()).toList();
        assertThat(numbers).as("seed %d", SEED).isNotEqualTo(numbers.stream().sorted().toList())
                .containsExactlyInAnyOrderElementsOf(numbers.stream().sorted().toList());
    }

    @Test
    void reorderFaultLetsLaterMessagesOvertake() throws Exception {
        hub.faults(NetworkFaults.builder().reorder(0.2, Duration.ofMillis(5)).build());
        List<Node> nodes = startCluster("a", "b");
        int count = 2_000;
        for (int i = 1; i <= count; i++) {
            nodes.get(0).transport().send(heartbeat(nodes.get(0).id(), nodes.get(1).id(), i));
        }

        awaitCondition("all messages", () -> nodes.get(1).inbox().size() == count);
        List<Long> numbers = nodes.get(1).inbox().stream().map(m -> ((AppendEntries) m).leaderCommit()).toList();
        assertThat(numbers).as("seed %d", SEED).isNotEqualTo(numbers.stream().sorted().toList())
                .doesNotHaveDuplicates();
    }

    @Test
    void sameIdTwiceOnOneHubIsRefused() throws Exception {
        startCluster("a");
        Transport second = track(newTransport());

        assertThatThrownBy(() -> second.start(memberFor("a"), m -> { })).isInstanceOf(IOException.class);
    }

    @Test
    void hubCloseStopsTheDispatcherThread() {
        String name = "raft-local-hub-" + SEED + "-dispatcher";
        hub.close();
        hub.close();

        assertThat(Thread.getAllStackTraces().keySet()).extracting(Thread::getName).doesNotContain(name);
        assertThatThrownBy(hub::transport).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void faultsRejectInvalidArguments() {
        assertThatThrownBy(() -> NetworkFaults.builder().dropRate(1.5)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> NetworkFaults.builder().minDelay(Duration.ofMillis(5)).maxDelay(Duration.ZERO)
                .build()).isInstanceOf(IllegalArgumentException.class);
        assertThat(NetworkFaults.none().canReorder()).isFalse();
    }
}
