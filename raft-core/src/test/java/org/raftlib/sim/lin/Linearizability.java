package org.raftlib.sim.lin;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Collections;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * Checks that a history is linearizable with respect to a {@link Model}: that there is a total order of its
 * operations, consistent with real time (an operation answered before another was invoked comes first), in which
 * every answered operation gives its recorded output when applied to the model one at a time. Operations that
 * {@link Operation.Outcome#FAILED failed} take no part; {@link Operation.Outcome#INDETERMINATE indeterminate} ones
 * may be placed anywhere after their invocation, or left out.
 *
 * <p>The search is Wing and Gong's, as refined by Lowe ("Testing for linearizability", 2017): the history is a linked
 * list of call and return entries in time order; the search linearizes the first call it can (one that the model
 * accepts with its output), removing its entries from the list, and backtracks when it meets a return entry, whose
 * operation should have been linearized already. A cache of (linearized set, model state) pairs prunes every
 * configuration reached before, which makes the search polynomial for histories of bounded concurrency. One more
 * pruning: a read-only operation ({@link Model#isReadOnly}) that can be linearized in a configuration may as well be
 * linearized there (in any linearization that places it later, with the same output, it can move forward without
 * changing any state), so if the search fails after linearizing it, the configuration before fails too, and the search
 * backtracks past it without trying the alternatives. Without this, many concurrent reads make the search try their
 * subsets.
 * {@link #check(List, Model, Function)} also splits a history by key first (linearizability is local: a history is
 * linearizable if and only if each object's sub-history is).
 */
public final class Linearizability {

    /**
     * The verdict on a history.
     *
     * @param linearizable whether a linearization exists (false also when the search gave up)
     * @param exhausted whether the search gave up after {@code maxSteps} steps, undecided
     * @param steps search steps taken
     * @param explanation for a failure: the longest linearizable prefix found and the operation that could not follow
     */
    public record Result(boolean linearizable, boolean exhausted, long steps, String explanation) {
    }

    /** A call or return entry of the search's doubly linked list. */
    private static final class Entry {
        final Operation op;
        final boolean call;
        final long time;
        Entry match;
        Entry prev;
        Entry next;

        Entry(Operation op, boolean call, long time) {
            this.op = op;
            this.call = call;
            this.time = time;
        }
    }

    private record Frame(Entry call, Object state, boolean readOnly) {
    }

    private record Configuration(BitSet linearized, Object state) {
    }

    private Linearizability() {
    }

    /**
     * Checks each key's sub-history on its own.
     *
     * @param history the operations, numbered from 0
     * @param model the sequential specification of one key's object
     * @param key the object an operation addresses
     * @param maxSteps the search gives up (an exhausted, failing result) after this many steps per key
     * @return the first failing key's result, or a passing one with the steps of all keys
     */
    public static Result check(List<Operation> history, Model<?> model, Function<Operation, Object> key,
            long maxSteps) {
        Map<Object, List<Operation>> byKey = new LinkedHashMap<>();
        for (Operation op : history) {
            byKey.computeIfAbsent(key.apply(op), k -> new ArrayList<>()).add(op);
        }
        long steps = 0;
        for (Map.Entry<Object, List<Operation>> e : byKey.entrySet()) {
            Result r = check(e.getValue(), model, maxSteps);
            steps += r.steps();
            if (!r.linearizable()) {
                return new Result(false, r.exhausted(), steps, "key " + e.getKey() + ": " + r.explanation());
            }
        }
        return new Result(true, false, steps, "");
    }

    /** Checks the history as one object's; see {@link #check(List, Model, Function, long)}. */
    public static Result check(List<Operation> history, Model<?> model, long maxSteps) {
        return new Search(history, model, maxSteps).run();
    }

    /** Checks with no step limit. */
    public static Result check(List<Operation> history, Model<?> model) {
        return check(history, model, Long.MAX_VALUE);
    }

    /** One search over one sub-history. */
    private static final class Search {
        private final Model<Object> model;
        private final long maxSteps;
        private final Entry head = new Entry(null, false, Long.MIN_VALUE);
        private final Deque<Frame> stack = new ArrayDeque<>();
        private final Set<Configuration> seen = new HashSet<>();
        private final BitSet linearized = new BitSet();
        private Object state;
        private int answeredLeft;
        private long steps;
        private List<Operation> longest = List.of();
        private Entry blockedAtLongest;

        @SuppressWarnings("unchecked")
        Search(List<Operation> history, Model<?> model, long maxSteps) {
            this.model = (Model<Object>) model;
            this.maxSteps = maxSteps;
            this.state = model.initial();
            List<Entry> entries = new ArrayList<>();
            for (Operation op : history) {
                if (op.outcome() == Operation.Outcome.FAILED) {
                    continue;
                }
                Entry call = new Entry(op, true, op.invoke());
                entries.add(call);
                if (op.outcome() == Operation.Outcome.OK) {
                    if (op.complete() < op.invoke()) {
                        throw new IllegalArgumentException("answered before invoked: " + op);
                    }
                    Entry ret = new Entry(op, false, op.complete());
                    call.match = ret;
                    ret.match = call;
                    entries.add(ret);
                    answeredLeft++;
                }
            }
            // By time; at equal times calls first, so that operations touching at a point count as concurrent.
            entries.sort(Comparator.comparingLong((Entry e) -> e.time).thenComparing(e -> !e.call));
            Entry last = head;
            for (Entry e : entries) {
                last.next = e;
                e.prev = last;
                last = e;
            }
        }

        Result run() {
            Entry entry = head.next;
            while (answeredLeft > 0) {
                if (++steps > maxSteps) {
                    return new Result(false, true, steps, "gave up after " + maxSteps + " steps; " + describe());
                }
                if (entry.call) {
                    Object next = model.step(state, entry.op.input(), entry.op.output());
                    if (next != null && linearize(entry, next)) {
                        entry = head.next;
                    } else {
                        entry = entry.next;
                    }
                } else {
                    if (stack.size() > longest.size()) {
                        List<Operation> prefix = new ArrayList<>(stack.stream().map(f -> f.call().op).toList());
                        Collections.reverse(prefix);
                        longest = prefix;
                        blockedAtLongest = entry;
                    }
                    Frame f = backtrack();
                    if (f == null) {
                        return new Result(false, false, steps, describe());
                    }
                    entry = f.call().next;
                }
            }
            return new Result(true, false, steps, "");
        }

        /**
         * Undoes linearizations up to and including the last one that was not read-only; returns its frame, or null
         * if there is none (the history is not linearizable).
         */
        private Frame backtrack() {
            while (!stack.isEmpty()) {
                Frame f = stack.pop();
                state = f.state();
                linearized.clear(f.call().op.id());
                unlift(f.call());
                if (!f.readOnly()) {
                    return f;
                }
            }
            return null;
        }

        /** Linearizes the call's operation next, unless that configuration was explored before. */
        private boolean linearize(Entry call, Object next) {
            BitSet after = (BitSet) linearized.clone();
            after.set(call.op.id());
            if (!seen.add(new Configuration(after, next))) {
                return false;
            }
            stack.push(new Frame(call, state, model.isReadOnly(call.op.input())));
            linearized.set(call.op.id());
            state = next;
            lift(call);
            return true;
        }

        private void lift(Entry call) {
            call.prev.next = call.next;
            if (call.next != null) {
                call.next.prev = call.prev;
            }
            Entry ret = call.match;
            if (ret != null) {
                ret.prev.next = ret.next;
                if (ret.next != null) {
                    ret.next.prev = ret.prev;
                }
                answeredLeft--;
            }
        }

        private void unlift(Entry call) {
            Entry ret = call.match;
            if (ret != null) {
                ret.prev.next = ret;
                if (ret.next != null) {
                    ret.next.prev = ret;
                }
                answeredLeft++;
            }
            call.prev.next = call;
            if (call.next != null) {
                call.next.prev = call;
            }
        }

        private String describe() {
            if (blockedAtLongest == null) {
                Entry first = head.next;
                while (first != null && first.call) {
                    first = first.next;
                }
                return "no operation can come first; the first answered is " + (first == null ? "?" : first.op);
            }
            String prefix = longest.size() <= 12 ? longest.toString()
                    : "[... " + longest.subList(longest.size() - 12, longest.size()) + "]";
            return longest.size() + " operations linearize, ending " + prefix + ", but then " + blockedAtLongest.op
                    + " cannot take effect (explored " + seen.size() + " configurations)";
        }
    }
}
