package org.raftlib.internal.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.LongStream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.raftlib.Bytes;
import org.raftlib.HardState;
import org.raftlib.LogEntry;
import org.raftlib.RaftRole;
import org.raftlib.message.RaftMessage;

/**
 * Figure 3 safety properties under seeded faults: messages lost, duplicated and reordered, writes that lag behind
 * Ready hand-out, and crashes that lose unsynced writes. Checks Election Safety (one leader per term) and State
 * Machine Safety (no two nodes apply different entries at an index) after every action. Replay one seed with
 * {@code -Draftlib.seed=S}.
 */
class RandomClusterSafetyTest {

    static LongStream seeds() {
        Long one = Long.getLong("raftlib.seed");
        return one != null ? LongStream.of(one) : LongStream.range(0, 60);
    }

    @ParameterizedTest(name = "seed={0}")
    @MethodSource("seeds")
    void safetyHoldsUnderFaults(long seed) {
        new Run(seed).run(4000);
    }

    /** One seeded run. */
    private static final class Run {

        private final long seed;
        private final SplittableRandom random;
        private final int size;
        private final List<TestNode> nodes = new ArrayList<>();
        private final List<ArrayDeque<Ready>> unsynced = new ArrayList<>();
        private final List<RaftMessage> network = new ArrayList<>();
        private final Map<Long, String> leaderOfTerm = new HashMap<>();
        private final Map<Long, LogEntry> appliedAt = new HashMap<>();
        private int step;

        Run(long seed) {
            this.seed = seed;
            this.random = new SplittableRandom(seed);
            this.size = random.nextBoolean() ? 3 : 5;
            boolean preVote = random.nextBoolean();
            boolean checkQuorum = random.nextBoolean();
            for (int i = 1; i <= size; i++) {
                CoreConfig c = Cores.config(i, size).withElectionSafeguards(preVote, checkQuorum);
                c = new CoreConfig(c.id(), c.voters(), c.electionTicks(), c.heartbeatTicks(), c.preVote(),
                        c.checkQuorum(), c.leaseTicks(), c.flow(), new SplittableRandom(seed * 100 + i), c.logger());
                nodes.add(TestNode.start(c, List.of(), HardState.INITIAL));
                unsynced.add(new ArrayDeque<>());
            }
        }

        void run(int steps) {
            for (step = 0; step < steps; step++) {
                act(random.nextInt(nodes.size()), random.nextInt(100));
                check();
            }
            assertThat(leaderOfTerm).as("seed %d: no leader was ever elected", seed).isNotEmpty();
            checkLogMatching();
        }

        /** Log Matching: if two durable logs hold an entry with the same index and term, they agree up to it. */
        private void checkLogMatching() {
            for (TestNode a : nodes) {
                for (TestNode b : nodes) {
                    List<LogEntry> la = a.log().all();
                    List<LogEntry> lb = b.log().all();
                    for (int k = Math.min(la.size(), lb.size()) - 1; k >= 0; k--) {
                        if (la.get(k).term() == lb.get(k).term()) {
                            assertThat(la.subList(0, k + 1)).as("seed %d: %s vs %s", seed, a.id(), b.id())
                                    .isEqualTo(lb.subList(0, k + 1));
                            break;
                        }
                    }
                }
            }
        }

        private void act(int i, int dice) {
            TestNode node = nodes.get(i);
            if (dice < 25) {
                node.core().tick();
            } else if (dice < 45) {
                handOut(i);
            } else if (dice < 60) {
                sync(i);
            } else if (dice < 88) {
                deliver();
            } else if (dice < 96) {
                node.core().propose(Bytes.copyOf(new byte[] {(byte) step, (byte) (step >> 8)}));
            } else if (dice < 97) {
                unsynced.get(i).clear();                 // crash: writes not yet synced are lost
                network.removeIf(m -> m.to().equals(node.id()));
                node.restart();
            } else if (!network.isEmpty()) {
                network.remove(random.nextInt(network.size()));
            }
        }

        private void handOut(int i) {
            TestNode node = nodes.get(i);
            if (node.core().hasReady()) {
                Ready rd = node.core().ready();
                network.addAll(rd.messages());
                unsynced.get(i).add(rd);
                node.apply(rd);                          // committed entries are durable already
                record(node, rd);
            }
        }

        private void sync(int i) {
            Ready rd = unsynced.get(i).poll();
            if (rd != null) {
                nodes.get(i).persist(rd);
                network.addAll(rd.afterSync());
                nodes.get(i).core().onPersisted(rd);
            }
        }

        private void deliver() {
            if (network.isEmpty()) {
                return;
            }
            int k = random.nextInt(network.size());
            RaftMessage m = random.nextInt(20) == 0 ? network.get(k) : network.remove(k);   // sometimes duplicate
            nodes.get(Integer.parseInt(m.to().value().substring(1)) - 1).core().step(m);
        }

        private void record(TestNode node, Ready rd) {
            for (LogEntry e : rd.committed()) {
                LogEntry before = appliedAt.putIfAbsent(e.index(), e);
                assertThat(before == null || before.equals(e))
                        .as("seed %d step %d: %s applied %s at %d, another node applied %s", seed, step, node.id(),
                                e, e.index(), before)
                        .isTrue();
            }
        }

        private void check() {
            for (TestNode node : nodes) {
                CoreStatus st = node.core().status();
                if (st.role() == RaftRole.LEADER) {
                    String before = leaderOfTerm.putIfAbsent(st.term(), st.id().value());
                    assertThat(before == null || before.equals(st.id().value()))
                            .as("seed %d step %d: two leaders in term %d: %s and %s", seed, step, st.term(), before,
                                    st.id())
                            .isTrue();
                }
            }
        }
    }

}
