package org.raftlib.nemesis;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.raftlib.nemesis.Op.Kind;
import org.raftlib.nemesis.Op.Outcome;

/**
 * The checker against hand-made histories, linearizable and not, and against a brute-force oracle (every order of
 * every admissible subset) on many small random histories.
 */
class LinearizabilityTest {

    private final List<Op> h = new ArrayList<>();

    private record End(Outcome outcome, String result) {
    }

    private void op(Kind kind, String key, String value, String expected, long invoke, long complete, End end) {
        h.add(new Op(h.size(), h.size() % 4, kind, key, value, expected, invoke, complete, end.outcome(),
                end.result()));
    }

    private void put(String key, String value, long from, long to, String previous) {
        op(Kind.PUT, key, value, null, from, to, new End(Outcome.OK, previous));
    }

    private void get(String key, long from, long to, String read) {
        op(Kind.GET, key, null, null, from, to, new End(Outcome.OK, read));
    }

    @Test
    void sequentialHistoryIsLinearizable() {
        put("a", "1", 0, 1, null);
        get("a", 2, 3, "1");
        op(Kind.CAS, "a", "2", "1", 4, 5, new End(Outcome.OK, null));
        op(Kind.CAS, "a", "3", "1", 6, 7, new End(Outcome.FAIL, "2"));
        op(Kind.DELETE, "a", null, null, 8, 9, new End(Outcome.OK, "2"));
        op(Kind.DELETE, "a", null, null, 10, 11, new End(Outcome.OK, null));
        get("a", 12, 13, null);
        assertThat(Linearizability.check(h).linearizable()).isTrue();
    }

    @Test
    void concurrentReadsMaySeeEitherSideOfAWrite() {
        put("a", "1", 0, 1, null);
        put("a", "2", 2, 10, "1");
        get("a", 3, 4, "2");
        get("a", 5, 6, "2");
        get("a", 11, 12, "2");
        assertThat(Linearizability.check(h).linearizable()).isTrue();
    }

    @Test
    void staleReadAfterANewerReadIsAViolation() {
        put("a", "1", 0, 1, null);
        put("a", "2", 2, 10, "1");
        get("a", 3, 4, "2");
        get("a", 5, 6, "1");
        Linearizability.Result r = Linearizability.check(h);
        assertThat(r.linearizable()).isFalse();
        assertThat(r.explain()).contains("key a: NOT linearizable", "#3 c3 GET a: OK (read 1)",
                "it read 1 but the value was 2");
    }

    @Test
    void readOfACompletedOverwrittenValueIsAViolation() {
        put("k", "x", 0, 1, null);
        put("k", "y", 2, 3, "x");
        get("k", 4, 5, "x");
        assertThat(Linearizability.check(h).explain()).contains("NOT linearizable", "value of k after it: y");
    }

    @Test
    void lostAcknowledgedWriteIsAViolation() {
        put("k", "x", 0, 1, null);
        get("k", 2, 3, null);
        assertThat(Linearizability.check(h).linearizable()).isFalse();
    }

    @Test
    void indeterminateWriteMayTakeEffectLateOrNever() {
        op(Kind.PUT, "k", "x", null, 0, 0, new End(Outcome.INFO, null));
        get("k", 1, 2, null);
        get("k", 10, 11, "x");
        op(Kind.PUT, "j", "x", null, 0, 0, new End(Outcome.INFO, null));
        get("j", 1, 2, null);
        assertThat(Linearizability.check(h).linearizable()).isTrue();
        get("k", 12, 13, null);
        assertThat(Linearizability.check(h).violations()).containsOnlyKeys("k");
    }

    @Test
    void refusedWriteNeverTookEffect() {
        op(Kind.PUT, "k", "x", null, 0, 1, new End(Outcome.REFUSED, null));
        get("k", 2, 3, null);
        assertThat(Linearizability.check(h).linearizable()).isTrue();
        get("k", 4, 5, "x");
        assertThat(Linearizability.check(h).violations()).containsOnlyKeys("k");
    }

    @Test
    void failedCasMustHaveSeenItsReportedValue() {
        put("k", "x", 0, 1, null);
        op(Kind.CAS, "k", "z", "y", 2, 3, new End(Outcome.FAIL, "w"));
        assertThat(Linearizability.check(h).explain()).contains("it failed reporting w but the value was x");
    }

    @Test
    void putMustReplaceTheValueBeforeIt() {
        put("k", "x", 0, 1, null);
        put("k", "y", 2, 3, null);
        assertThat(Linearizability.check(h).explain()).contains("it replaced absent but the value was x");
    }

    @Test
    void keysAreCheckedIndependently() {
        put("a", "1", 0, 1, null);
        put("b", "1", 0, 1, null);
        get("a", 2, 3, "1");
        get("b", 2, 3, "2");
        assertThat(Linearizability.check(h).violations()).containsOnlyKeys("b");
    }

    @Test
    void agreesWithBruteForceOnRandomSmallHistories() {
        long seed = Long.getLong("checker.seed", 17L);
        Random random = new Random(seed);
        int violations = 0;
        for (int round = 0; round < 4000; round++) {
            List<Op> history = randomHistory(random, 1 + random.nextInt(7));
            boolean expected = Oracle.linearizable(history);
            boolean actual = Linearizability.check(history).linearizable();
            assertThat(actual).as("seed %d round %d, history:%n%s", seed, round, describe(history))
                    .isEqualTo(expected);
            violations += expected ? 0 : 1;
        }
        assertThat(violations).as("both verdicts must occur (seed %d)", seed).isBetween(400, 3600);
    }

    /**
     * Ops on one key with random intervals; results computed from a real register at random points in each
     * interval (some writes indeterminate, some of those never applied), then one result sometimes corrupted.
     */
    static List<Op> randomHistory(Random random, int n) {
        String[] values = {"v1", "v2", "v3"};
        long[][] points = new long[n][];
        for (int i = 0; i < n; i++) {
            long invoke = random.nextInt(20);
            long complete = invoke + 1 + random.nextInt(8);
            points[i] = new long[] {invoke + random.nextInt((int) (complete - invoke) + 1), i, invoke, complete};
        }
        java.util.Arrays.sort(points, (a, b) -> Long.compare(a[0], b[0]));
        String state = null;
        Op[] byIndex = new Op[n];
        for (long[] p : points) {
            int i = (int) p[1];
            Kind kind = Kind.values()[random.nextInt(4)];
            long invoke = p[2];
            long complete = p[3];
            String value = values[random.nextInt(3)] + "-" + i;
            String expected = random.nextInt(3) == 0 ? null : state;
            boolean info = kind != Kind.GET && random.nextInt(4) == 0;
            boolean applied = !info || random.nextBoolean();
            String before = state;
            Outcome outcome = Outcome.OK;
            String result = before;
            if (kind == Kind.CAS && random.nextBoolean()) {
                expected = values[random.nextInt(3)];
            }
            if (applied) {
                switch (kind) {
                    case PUT -> state = value;
                    case DELETE -> state = null;
                    case CAS -> {
                        if (java.util.Objects.equals(before, expected)) {
                            state = value;
                        } else {
                            outcome = Outcome.FAIL;
                        }
                    }
                    default -> { }
                }
            }
            if (random.nextInt(6) == 0) {
                result = random.nextBoolean() ? null : values[random.nextInt(3)] + "-" + random.nextInt(n);
            }
            byIndex[i] = new Op(i, i, kind, "k", kind == Kind.PUT || kind == Kind.CAS ? value : null,
                    kind == Kind.CAS ? expected : null, invoke, complete, info ? Outcome.INFO : outcome,
                    kind == Kind.CAS && outcome == Outcome.OK ? null : result);
        }
        return List.of(byIndex);
    }

    static String describe(List<Op> history) {
        StringBuilder b = new StringBuilder();
        history.forEach(op -> b.append("  ").append(op.describe()).append('\n'));
        return b.toString();
    }
}
