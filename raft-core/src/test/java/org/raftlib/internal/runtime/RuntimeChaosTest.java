package org.raftlib.internal.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.raftlib.FollowerBehindException;
import org.raftlib.IndeterminateResultException;
import org.raftlib.Member;
import org.raftlib.NodeId;
import org.raftlib.NotLeaderException;
import org.raftlib.OverloadedException;
import org.raftlib.RaftNode;
import org.raftlib.RaftOptions;
import org.raftlib.Transport;
import org.raftlib.ReadMode;
import org.raftlib.local.InMemoryLogStorage;
import org.raftlib.local.LocalTransport;
import org.raftlib.local.NetworkFaults;
import org.raftlib.testkit.Await;
import org.raftlib.testkit.ExecutorTransport;
import org.raftlib.testkit.RecordingStateMachine;

/**
 * The runtime under a lossy, reordering network with partitions moving every few hundred milliseconds: every
 * acknowledged write is applied exactly once, in the same order, on every node; a write that failed as not-leader
 * is never applied; linearizable reads never miss an acknowledged write. Seeded (the seed is in every message);
 * thread timing still varies, so the assertions are invariants, not exact outcomes. Nodes alternate between a loop
 * thread of their own and a loop on their transport's executor.
 */
class RuntimeChaosTest {

    private static final long SEED = Long.getLong("raftlib.chaosSeed", 20261124L);
    private static final Duration WAIT = Duration.ofSeconds(30);

    private final List<RaftNode> nodes = new ArrayList<>();
    private final List<RecordingStateMachine> machines = new ArrayList<>();
    private LocalTransport.Hub hub;

    @AfterEach
    void closeAll() {
        nodes.forEach(RaftNode::close);
        if (hub != null) {
            hub.close();
        }
    }

    @Test
    void acknowledgedWritesSurvivePartitionsExactlyOnce() throws Exception {
        SplittableRandom random = new SplittableRandom(SEED);
        hub = LocalTransport.hub(SEED, NetworkFaults.builder().dropRate(0.03).duplicateRate(0.02)
                .reorder(0.05, Duration.ofMillis(5)).maxDelay(Duration.ofMillis(2)).build());
        List<Member> members = List.of(Member.of("n1", "a"), Member.of("n2", "b"), Member.of("n3", "c"),
                Member.of("n4", "d"), Member.of("n5", "e"));
        startAll(members);
        Set<String> acked = ConcurrentHashMap.newKeySet();
        Set<String> refused = ConcurrentHashMap.newKeySet();
        long end = System.nanoTime() + Duration.ofSeconds(4).toNanos();
        long nextFault = System.nanoTime();
        int seq = 0;
        while (System.nanoTime() < end) {
            if (System.nanoTime() >= nextFault) {
                injectFault(random, members);
                nextFault = System.nanoTime() + Duration.ofMillis(150 + random.nextInt(300)).toNanos();
            }
            seq = writeRound(random, seq, acked, refused);
            checkLinearizableRead(acked);
        }
        hub.heal();
        int total = awaitConvergence();
        List<String> applied = machines.get(0).applied();
        assertThat(new HashSet<>(applied)).as("seed %d: no command applied twice", SEED).hasSize(total);
        assertThat(new HashSet<>(applied)).as("seed %d: every acknowledged write is applied", SEED)
                .containsAll(acked);
        assertThat(applied).as("seed %d: a write refused as not-leader is never applied", SEED)
                .doesNotContainAnyElementsOf(refused);
        assertThat(acked).as("seed %d: the cluster made progress", SEED).isNotEmpty();
        System.out.printf("chaos seed %d: %d acknowledged, %d refused, %d applied%n", SEED, acked.size(),
                refused.size(), total);
    }

    private void startAll(List<Member> members) throws IOException {
        for (int i = 0; i < members.size(); i++) {
            RecordingStateMachine sm = new RecordingStateMachine();
            RaftNode node = RaftNode.builder().id(members.get(i).id()).members(members).stateMachine(sm)
                    .logStorage(new InMemoryLogStorage()).transport(transport(i, members.get(i).id()))
                    .randomSeed(SEED + i)
                    .options(RaftOptions.defaults().withElectionTimeout(Duration.ofMillis(150))
                            .withHeartbeatInterval(Duration.ofMillis(20)).withTickInterval(Duration.ofMillis(5)))
                    .build();
            nodes.add(node);
            machines.add(sm);
            node.start();
        }
    }

    /** Odd-numbered nodes run their loop on a thread of their own, even ones on their transport's executor. */
    private Transport transport(int i, NodeId id) {
        return i % 2 == 0 ? new ExecutorTransport(hub.transport(), id) : hub.transport();
    }

    private void injectFault(SplittableRandom random, List<Member> members) {
        hub.heal();
        switch (random.nextInt(3)) {
            case 0 -> hub.isolate(members.get(random.nextInt(members.size())).id());
            case 1 -> {
                Set<NodeId> minority = new HashSet<>();
                minority.add(members.get(random.nextInt(members.size())).id());
                minority.add(members.get(random.nextInt(members.size())).id());
                Set<NodeId> rest = new HashSet<>();
                members.forEach(m -> rest.add(m.id()));
                rest.removeAll(minority);
                hub.partition(minority, rest);
            }
            default -> { }                                 // a healthy period
        }
    }

    /** Submits a handful of writes to a random node and waits for their outcomes. */
    private int writeRound(SplittableRandom random, int seq, Set<String> acked, Set<String> refused)
            throws Exception {
        RaftNode node = nodes.get(random.nextInt(nodes.size()));
        List<String> commands = new ArrayList<>();
        List<CompletableFuture<byte[]>> futures = new ArrayList<>();
        int next = seq;
        for (int i = 0; i < 1 + random.nextInt(8); i++) {
            String c = "w" + next++;
            commands.add(c);
            futures.add(node.submit(c.getBytes(StandardCharsets.UTF_8)));
        }
        for (int i = 0; i < futures.size(); i++) {
            try {
                futures.get(i).get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
                acked.add(commands.get(i));
            } catch (java.util.concurrent.ExecutionException e) {
                if (e.getCause() instanceof NotLeaderException) {
                    refused.add(commands.get(i));
                } else if (!(e.getCause() instanceof IndeterminateResultException
                        || e.getCause() instanceof OverloadedException)) {
                    throw e;
                }
            }
        }
        return next;
    }

    /** A linearizable read that succeeds sees at least every write acknowledged before it was issued. */
    private void checkLinearizableRead(Set<String> acked) throws Exception {
        int ackedBefore = acked.size();
        for (RaftNode n : nodes) {
            CompletableFuture<byte[]> read = n.query(new byte[0], ReadMode.LINEARIZABLE);
            try {
                int seen = Integer.parseInt(new String(read.get(WAIT.toMillis(), TimeUnit.MILLISECONDS),
                        StandardCharsets.UTF_8));
                assertThat(seen).as("seed %d: read on %s", SEED, n.id()).isGreaterThanOrEqualTo(ackedBefore);
            } catch (java.util.concurrent.ExecutionException e) {
                assertThat(e.getCause()).isInstanceOfAny(NotLeaderException.class, FollowerBehindException.class);
            }
        }
    }

    private int awaitConvergence() {
        int[] total = new int[1];
        Await.until("seed " + SEED + ": every node to apply the same commands", WAIT, () -> {
            List<String> first = machines.get(0).applied();
            total[0] = first.size();
            return machines.stream().allMatch(m -> m.applied().equals(first))
                    && nodes.stream().allMatch(n -> n.status().appliedIndex() == nodes.get(0).status().commitIndex());
        });
        return total[0];
    }
}
