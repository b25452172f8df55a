package org.raftlib.sim.lin;

import java.util.ArrayList;
import java.util.List;

/**
 * Records a client history as it happens: every invocation and answer takes the next tick of one logical clock, so
 * the recorded real-time order is exactly the order in which things happened. Operations not answered or failed by
 * the end are {@link Operation.Outcome#INDETERMINATE}.
 */
public final class History {

    private final List<Object> inputs = new ArrayList<>();
    private final List<Object> outputs = new ArrayList<>();
    private final List<long[]> times = new ArrayList<>();        // {invoke, complete or -1}
    private final List<Operation.Outcome> outcomes = new ArrayList<>();
    private long clock;

    /** Records an invocation now; returns the operation's id. */
    public int invoke(Object input) {
        inputs.add(input);
        outputs.add(null);
        times.add(new long[] {++clock, -1});
        outcomes.add(Operation.Outcome.INDETERMINATE);
        return inputs.size() - 1;
    }

    /** Records that operation {@code id} was answered now with {@code output}. */
    public void ok(int id, Object output) {
        settle(id, Operation.Outcome.OK);
        outputs.set(id, output);
        times.get(id)[1] = ++clock;
    }

    /** Whether operation {@code id} was neither answered nor failed yet. */
    public boolean isOpen(int id) {
        return outcomes.get(id) == Operation.Outcome.INDETERMINATE;
    }

    /** Records that operation {@code id} definitely did not take effect (for a read: was refused). */
    public void fail(int id) {
        settle(id, Operation.Outcome.FAILED);
    }

    private void settle(int id, Operation.Outcome outcome) {
        if (outcomes.get(id) != Operation.Outcome.INDETERMINATE) {
            throw new IllegalStateException("operation " + id + " " + inputs.get(id) + " was already "
                    + outcomes.get(id) + ", now " + outcome);
        }
        outcomes.set(id, outcome);
    }

    /** Returns the operations invoked so far (how far the clock went is {@link #clock()}). */
    public List<Operation> operations() {
        List<Operation> ops = new ArrayList<>(inputs.size());
        for (int i = 0; i < inputs.size(); i++) {
            ops.add(new Operation(i, inputs.get(i), outputs.get(i), times.get(i)[0], times.get(i)[1],
                    outcomes.get(i)));
        }
        return ops;
    }

    /** The logical clock's current value. */
    public long clock() {
        return clock;
    }

    /** The number of operations invoked. */
    public int size() {
        return inputs.size();
    }
}
