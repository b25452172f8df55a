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
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.raftlib.IndeterminateResultException;
import org.raftlib.Member;
import org.raftlib.NotLeaderException;
import org.raftlib.RaftClosedException;
import org.raftlib.RaftNode;
import org.raftlib.RaftOptions;
import org.raftlib.local.ForwardingLogStorage;
import org.raftlib.local.InMemoryLogStorage;
import org.raftlib.local.LocalTransport;
import org.raftlib.testkit.Await;
import org.raftlib.testkit.ExecutorTransport;
import org.raftlib.testkit.RecordingStateMachine;

/**
 * Nodes crash (losing every write not yet synced) and restart on what they made durable, over and over, while
 * clients write: every acknowledged write ends up applied exactly once, in the same order, on every node, and a
 * restarted node rebuilds its state machine by replaying its log. A crash is modelled by cutting the node off the
 * network first (so nothing it does afterwards is seen), then keeping only what it had synced.
 */
class RuntimeCrashRestartTest {

    private static final long SEED = Long.getLong("raftlib.crashSeed", 7L);
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final List<Member> MEMBERS = List.of(Member.of("n1", "a"), Member.of("n2", "b"),
            Member.of("n3", "c"));

    private final LocalTransport.Hub hub = LocalTransport.hub(SEED);
    private final RaftNode[] nodes = new RaftNode[3];
    private final RecordingStateMachine[] machines = new RecordingStateMachine[3];
    private final InMemoryLogStorage[] disks = new InMemoryLogStorage[3];
    private int restarts;

    @AfterEach
    void closeAll() {
        for (RaftNode n : nodes) {
            if (n != null) {
                n.close();
            }
        }
        hub.close();
    }

    @Test
    void acknowledgedWritesSurviveRepeatedCrashesExactlyOnce() throws Exception {
        SplittableRandom random = new SplittableRandom(SEED);
        for (int i = 0; i < 3; i++) {
            disks[i] = new InMemoryLogStorage();
            start(i);
        }
        Set<String> acked = ConcurrentHashMap.newKeySet();
        long end = System.nanoTime() + Duration.ofSeconds(4).toNanos();
        long nextCrash = System.nanoTime() + Duration.ofMillis(300).toNanos();
        int seq = 0;
        while (System.nanoTime() < end) {
            if (seq > 20_000) {
                Thread.sleep(5);                            // enough writes; keep crashing until the end
            }
            if (System.nanoTime() >= nextCrash) {
                crashAndRestart(random.nextInt(3));
                nextCrash = System.nanoTime() + Duration.ofMillis(200 + random.nextInt(300)).toNanos();
            }
            if (seq <= 20_000) {
                seq = writeSome(random, seq, acked);
                Thread.sleep(1);                            // spread the writes over the crashes
            }
        }
        Await.until("seed " + SEED + ": every node to apply the same commands", WAIT, () -> {
            int size = machines[0].size();
            if (size < acked.size() || machines[1].size() != size || machines[2].size() != size) {
                return false;
            }
            List<String> first = machines[0].applied();
            return machines[1].applied().equals(first) && machines[2].applied().equals(first)
                    && nodes[0].status().appliedIndex() == nodes[0].status().commitIndex()
                    && new HashSet<>(first).containsAll(acked);
        });
        List<String> applied = machines[0].applied();
        assertThat(new HashSet<>(applied)).as("seed %d: no command applied twice", SEED).hasSize(applied.size());
        assertThat(new HashSet<>(applied)).as("seed %d: every acknowledged write survives", SEED)
                .containsAll(acked);
        System.out.printf("crash seed %d: %d restarts, %d acknowledged, %d applied%n", SEED, restarts, acked.size(),
                applied.size());
        assertThat(restarts).as("seed %d: crashes happened", SEED).isGreaterThanOrEqualTo(5);
        assertThat(acked).as("seed %d: the cluster made progress", SEED).hasSizeGreaterThan(50);
    }

    private void start(int i) throws IOException {
        machines[i] = new RecordingStateMachine();
        InMemoryLogStorage disk = disks[i];
        nodes[i] = RaftNode.builder().id(MEMBERS.get(i).id()).members(MEMBERS).stateMachine(machines[i])
                .logStorage(new ForwardingLogStorage(disk) {
                    @Override
                    public void close() {
                        // the disk outlives the process; the test reopens it with crashCopy()
                    }
                })
                .transport((restarts + i) % 2 == 0 ? new ExecutorTransport(hub.transport(), MEMBERS.get(i).id())
                        : hub.transport())                  // each restart switches the loop's threading
                .randomSeed(SEED * 31 + restarts * 3L + i)
                .options(RaftOptions.defaults().withElectionTimeout(Duration.ofMillis(150))
                        .withHeartbeatInterval(Duration.ofMillis(20)).withTickInterval(Duration.ofMillis(5)))
                .build();
        nodes[i].start();
    }

    private void crashAndRestart(int i) throws IOException {
        hub.isolate(MEMBERS.get(i).id());
        InMemoryLogStorage survivor = disks[i].crashCopy();
        nodes[i].close();
        disks[i] = survivor;
        hub.heal();
        restarts++;
        start(i);
    }

    private int writeSome(SplittableRandom random, int seq, Set<String> acked) throws Exception {
        RaftNode leader = null;
        for (RaftNode n : nodes) {
            if (n.status().isLeader()) {
                leader = n;
            }
        }
        if (leader == null) {
            Thread.sleep(5);
            return seq;
        }
        int next = seq;
        List<String> commands = new ArrayList<>();
        List<CompletableFuture<byte[]>> futures = new ArrayList<>();
        for (int k = 0; k < 1 + random.nextInt(16); k++) {
            String c = "w" + next++;
            commands.add(c);
            futures.add(leader.submit(c.getBytes(StandardCharsets.UTF_8)));
        }
        for (int k = 0; k < futures.size(); k++) {
            try {
                futures.get(k).get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
                acked.add(commands.get(k));
            } catch (ExecutionException e) {
                Throwable c = e.getCause();
                if (!(c instanceof NotLeaderException || c instanceof IndeterminateResultException
                        || c instanceof RaftClosedException)) {
                    throw e;
                }
            }
        }
        return next;
    }
}
