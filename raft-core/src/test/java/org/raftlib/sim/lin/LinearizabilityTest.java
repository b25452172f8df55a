package org.raftlib.sim.lin;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.raftlib.sim.lin.AppendLog.Append;
import org.raftlib.sim.lin.AppendLog.Digest;
import org.raftlib.sim.lin.AppendLog.Read;
import org.raftlib.sim.lin.Operation.Outcome;

/**
 * The checker on hand-written histories over the {@link AppendLog} model and a register: linearizable ones pass,
 * and a stale read, a read-your-write violation, a command applied twice or reordered, and a failed write that was
 * seen all fail; indeterminate operations may take effect late or never. Then random linearizable histories of
 * bounded concurrency pass quickly, and each with one read altered fails.
 */
class LinearizabilityTest {

    private static final AppendLog LOG = AppendLog.SEQUENCE;

    private final List<Operation> ops = new ArrayList<>();

    private void append(long command, long invoke, long complete) {
        ops.add(new Operation(ops.size(), new Append(command), null, invoke, complete, Outcome.OK));
    }

    private void append(long command, long invoke, Outcome outcome) {
        ops.add(new Operation(ops.size(), new Append(command), null, invoke, -1, outcome));
    }

    private void read(long invoke, long complete, long... seen) {
        ops.add(new Operation(ops.size(), new Read("c"), LOG.of(seen), invoke, complete, Outcome.OK));
    }

    private boolean linearizable() {
        Linearizability.Result r = Linearizability.check(ops, LOG);
        return r.linearizable();
    }

    @Test
    void sequentialHistoryIsLinearizable() {
        append(1, 1, 2);
        read(3, 4, 1);
        append(2, 5, 6);
        read(7, 8, 1, 2);
        assertThat(linearizable()).isTrue();
    }

    @Test
    void readConcurrentWithAWriteMaySeeItOrNot() {
        append(1, 1, 10);
        read(2, 3);
        read(4, 5, 1);
        assertThat(linearizable()).isTrue();
        read(6, 7);                                       // but not unsee it afterwards
        assertThat(linearizable()).isFalse();
    }

    /** A read invoked after a write was answered misses it: what a deposed leader's lease read does. */
    @Test
    void staleReadIsNotLinearizable() {
        append(1, 1, 2);
        append(2, 3, 4);
        read(5, 6, 1);
        Linearizability.Result r = Linearizability.check(ops, LOG);
        assertThat(r.linearizable()).isFalse();
        assertThat(r.explanation()).contains("read@c");
    }

    /** A client's own write, answered, is missing from its next read, though a concurrent one is there. */
    @Test
    void readYourWriteViolationIsNotLinearizable() {
        append(1, 1, 4);                                  // client A
        append(2, 2, 3);                                  // client B
        read(5, 6, 2);                                    // client A again
        assertThat(linearizable()).isFalse();
        ops.remove(2);
        read(5, 6, 2, 1);                                 // either order of the concurrent writes is fine
        assertThat(linearizable()).isTrue();
        ops.remove(2);
        read(5, 6, 1, 2);
        assertThat(linearizable()).isTrue();
    }

    @Test
    void writeTakingEffectTwiceIsNotLinearizable() {
        append(1, 1, 2);
        read(3, 4, 1, 1);
        assertThat(linearizable()).isFalse();
    }

    @Test
    void writesAnsweredInOrderMustApplyInOrder() {
        append(1, 1, 2);
        append(2, 3, 4);
        read(5, 6, 2, 1);
        assertThat(linearizable()).isFalse();
    }

    /** An unanswered write may take effect long after its invocation, or never; a failed one never. */
    @Test
    void indeterminateWritesMayApplyLateOrNeverAndFailedOnesNever() {
        append(1, 1, Outcome.INDETERMINATE);
        append(2, 2, Outcome.INDETERMINATE);
        read(3, 4);
        append(3, 5, 6);
        read(7, 8, 3, 1);                                 // 1 took effect late, 2 never (so far)
        assertThat(linearizable()).isTrue();
        read(9, 10, 3, 1, 2);                             // 2 took effect even later
        assertThat(linearizable()).isTrue();

        ops.clear();
        append(1, 1, Outcome.FAILED);
        read(2, 3, 1);
        assertThat(linearizable()).isFalse();
    }

    @Test
    void noOperationCanComeFirst() {
        read(1, 2, 7);
        Linearizability.Result r = Linearizability.check(ops, LOG);
        assertThat(r.linearizable()).isFalse();
        assertThat(r.explanation()).contains("no operation can come first");
    }

    /** A register (a pluggable model); two keys checked apart, each linearizable alone, one not. */
    @Test
    void registerModelPerKey() {
        Model<Long> register = new Model<>() {
            @Override
            public Long initial() {
                return 0L;
            }

            @Override
            public Long step(Long state, Object input, Object output) {
                long[] in = (long[]) input;                       // {key, 0 = read | 1 = write, value}
                if (in[1] == 1) {
                    return in[2];
                }
                return output == null || output.equals(state) ? state : null;
            }
        };
        ops.add(new Operation(0, new long[] {1, 1, 5}, null, 1, 2, Outcome.OK));
        ops.add(new Operation(1, new long[] {2, 0, 0}, 0L, 3, 4, Outcome.OK));
        ops.add(new Operation(2, new long[] {1, 0, 0}, 5L, 3, 4, Outcome.OK));
        assertThat(Linearizability.check(ops, register, op -> ((long[]) op.input())[0], 1_000).linearizable())
                .isTrue();
        ops.add(new Operation(3, new long[] {1, 0, 0}, 0L, 5, 6, Outcome.OK));
        Linearizability.Result r = Linearizability.check(ops, register, op -> ((long[]) op.input())[0], 1_000);
        assertThat(r.linearizable()).isFalse();
        assertThat(r.explanation()).startsWith("key 1:");
    }

    /**
     * Random histories of a linearizable log (operations invoked 2 units apart, each taking effect at a random point
     * of its interval) pass within a bounded number of steps; the same history with one read missing a command
     * answered before the read was invoked (a stale read) fails. Under the multiset model two operations in three are
     * writes, lasting 1 to 16 units; under the sequence model, whose states are orders (a run of overlapping writes
     * without a read between has exponentially many), half are, lasting 1 to 4 units.
     */
    @Test
    void randomLinearizableHistoriesPassAndStaleReadsFail() {
        long seed = System.nanoTime();
        System.out.println("LinearizabilityTest seed " + seed);
        SplittableRandom random = new SplittableRandom(seed);
        long maxSteps = 0;
        for (AppendLog model : List.of(AppendLog.SEQUENCE, AppendLog.MULTISET)) {
            for (int round = 0; round < 50; round++) {
                List<Operation> history = new ArrayList<>();
                List<Operation> stale = randomHistory(random, model, 300, history);
                maxSteps = Math.max(maxSteps, Linearizability.check(history, model).steps());
                Linearizability.Result r = Linearizability.check(history, model, 100_000);
                assertThat(r.linearizable()).as("seed %d round %d: %s", seed, round, r.explanation()).isTrue();
                if (stale != null) {
                    assertThat(Linearizability.check(stale, model, 100_000).linearizable())
                            .as("seed %d round %d, stale read", seed, round).isFalse();
                }
            }
        }
        System.out.println("LinearizabilityTest max steps " + maxSteps);
    }

    /** Twenty concurrent appends and one read after them: the multiset's 2^20 states need not be explored. */
    @Test
    void manyConcurrentAppendsAreCheapUnderTheMultisetModel() {
        long[] commands = new long[20];
        for (int i = 0; i < commands.length; i++) {
            commands[i] = 19 - i;
            ops.add(new Operation(i, new Append(i), null, i, 100 + i, Outcome.OK));
        }
        ops.add(new Operation(20, new Read("c"), AppendLog.MULTISET.of(commands), 200, 201, Outcome.OK));
        Linearizability.Result r = Linearizability.check(ops, AppendLog.MULTISET, 1_000);
        assertThat(r.linearizable()).isTrue();
        assertThat(r.steps()).isLessThan(100);
    }

    /**
     * Fills {@code out} with a random linearizable history; returns a copy with one read made stale, or null if no
     * read could be.
     */
    private static List<Operation> randomHistory(SplittableRandom random, AppendLog model, int size,
            List<Operation> out) {
        double[] at = new double[size];
        Integer[] byEffect = new Integer[size];
        for (int i = 0; i < size; i++) {
            long invoke = 2L * i;
            boolean sequence = model == AppendLog.SEQUENCE;
            long complete = invoke + 1 + random.nextInt(sequence ? 4 : 16);
            boolean write = sequence ? random.nextBoolean() : random.nextInt(3) > 0;
            at[i] = invoke + random.nextDouble() * (complete - invoke);
            byEffect[i] = i;
            out.add(new Operation(i, write ? new Append(i) : new Read("r"), null, invoke, complete, Outcome.OK));
        }
        java.util.Arrays.sort(byEffect, (a, b) -> Double.compare(at[a], at[b]));
        List<Long> applied = new ArrayList<>();
        List<Operation> stale = null;
        for (int i : byEffect) {
            Operation op = out.get(i);
            if (op.input() instanceof Append a) {
                applied.add(a.command());
                continue;
            }
            long[] seen = applied.stream().mapToLong(Long::longValue).toArray();
            out.set(i, withOutput(op, model.of(seen)));
            Operation done = applied.stream().map(c -> out.get((int) (long) c))
                    .filter(w -> w.complete() < op.invoke()).findAny().orElse(null);
            if (done != null && stale == null) {
                long[] missing = applied.stream().mapToLong(Long::longValue).filter(c -> c != done.id()).toArray();
                stale = new ArrayList<>();
                stale.add(withOutput(op, model.of(missing)));
            }
        }
        if (stale == null) {
            return null;
        }
        Operation staleRead = stale.get(0);
        List<Operation> copy = new ArrayList<>(out);
        copy.set(staleRead.id(), staleRead);
        return copy;
    }

    private static Operation withOutput(Operation op, Digest output) {
        return new Operation(op.id(), op.input(), output, op.invoke(), op.complete(), op.outcome());
    }
}
