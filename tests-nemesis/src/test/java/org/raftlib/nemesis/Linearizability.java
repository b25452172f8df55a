package org.raftlib.nemesis;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * A linearizability checker for key-value histories: the search of Wing and Gong with Lowe's memoisation of
 * (operations linearized, state) pairs, run on each key separately (a history of independent registers is
 * linearizable exactly when each key's is). Indeterminate operations may take effect at any time after their
 * invocation, or never. A violation is explained by the longest linearization found and, for each operation that
 * could have come next, why it could not.
 */
final class Linearizability {

    /** Search steps per key before giving up with an unknown verdict. */
    static final long DEFAULT_BUDGET = 50_000_000L;
    private static final int SHOWN_PREFIX = 8;

    private Linearizability() {
    }

    /** The verdict on a history: the keys that are not linearizable, with explanations, and any undecided ones. */
    record Result(int operations, Map<String, String> violations, List<String> undecided) {

        boolean linearizable() {
            return violations.isEmpty() && undecided.isEmpty();
        }

        /** Every explanation, one after another. */
        String explain() {
            StringBuilder b = new StringBuilder();
            violations.values().forEach(v -> b.append(v).append('\n'));
            undecided.forEach(k -> b.append("key ").append(k).append(": undecided (search budget exhausted)\n"));
            return b.toString();
        }
    }

    /** Checks {@code history} key by key. */
    static Result check(List<Op> history) {
        return check(history, DEFAULT_BUDGET);
    }

    static Result check(List<Op> history, long budget) {
        Map<String, List<Op>> byKey = new LinkedHashMap<>();
        for (Op op : history) {
            byKey.computeIfAbsent(op.key(), k -> new ArrayList<>()).add(op);
        }
        Map<String, String> violations = new LinkedHashMap<>();
        List<String> undecided = new ArrayList<>();
        for (Map.Entry<String, List<Op>> e : byKey.entrySet()) {
            KeySearch search = new KeySearch(e.getKey(), e.getValue(), budget);
            Boolean ok = search.run();
            if (ok == null) {
                undecided.add(e.getKey());
            } else if (!ok) {
                violations.put(e.getKey(), search.explain());
            }
        }
        return new Result(history.size(), violations, undecided);
    }

    /** One entry of the search's list: an operation's call, or its return. */
    private static final class Entry {
        final Op op;
        final int index;
        final boolean call;
        Entry match;
        Entry prev;
        Entry next;

        Entry(Op op, int index, boolean call) {
            this.op = op;
            this.index = index;
            this.call = call;
        }
    }

    private record Memo(BitSet linearized, String state) {
    }

    private record Frame(Entry call, String stateBefore) {
    }

    /** The search over one key's operations. */
    private static final class KeySearch {
        private final String key;
        private final List<Op> ops = new ArrayList<>();
        private final Entry head = new Entry(null, -1, false);
        private final long budget;
        private int required;
        private List<Op> bestOrder = List.of();
        private String bestState;
        private BitSet bestSet = new BitSet();

        KeySearch(String key, List<Op> all, long budget) {
            this.key = key;
            this.budget = budget;
            List<Entry> entries = new ArrayList<>();
            Set<String> observed = observed(all);
            for (Op op : all) {
                if (RegisterModel.irrelevant(op) || unobservedWrite(op, observed)) {
                    continue;
                }
                int index = ops.size();
                ops.add(op);
                Entry call = new Entry(op, index, true);
                entries.add(call);
                if (RegisterModel.mustLinearize(op)) {
                    required++;
                    call.match = new Entry(op, index, false);
                    entries.add(call.match);
                }
            }
            entries.sort(Comparator.comparingLong((Entry e) -> e.call ? e.op.invoke() : e.op.complete())
                    .thenComparing(e -> !e.call));
            Entry last = head;
            for (Entry e : entries) {
                last.next = e;
                e.prev = last;
                last = e;
            }
        }

        /**
         * The values that operations depend on: read, replaced or reported by an operation with a known outcome, or
         * expected by any CAS (an indeterminate CAS takes effect only on its expected value).
         */
        private static Set<String> observed(List<Op> all) {
            Set<String> seen = new HashSet<>();
            for (Op op : all) {
                if (RegisterModel.mustLinearize(op)) {
                    seen.add(op.result());
                }
                if (op.kind() == Op.Kind.CAS) {
                    seen.add(op.expected());
                }
            }
            return seen;
        }

        /**
         * An indeterminate PUT or CAS whose (unique) value nothing depends on. Leaving it out changes no verdict:
         * wherever it could be placed, only indeterminate operations that ignore its value (overwrites, CASes that do
         * nothing) can follow it before the value is overwritten, so the same order without it is also legal.
         */
        private static boolean unobservedWrite(Op op, Set<String> observed) {
            return op.outcome() == Op.Outcome.INFO && (op.kind() == Op.Kind.PUT || op.kind() == Op.Kind.CAS)
                    && !observed.contains(op.value());
        }

        /** True if linearizable, false if not, null if the budget ran out. */
        Boolean run() {
            Set<Memo> seen = new HashSet<>();
            List<Frame> stack = new ArrayList<>();
            BitSet linearized = new BitSet();
            String state = null;
            int done = 0;
            Entry entry = head.next;
            for (long steps = 0; done < required; steps++) {
                if (steps > budget) {
                    return null;
                }
                if (entry == null || !entry.call) {
                    if (stack.isEmpty()) {
                        return false;
                    }
                    Frame top = stack.remove(stack.size() - 1);
                    state = top.stateBefore();
                    linearized.clear(top.call().index);
                    if (top.call().match != null) {
                        done--;
                    }
                    unlift(top.call());
                    entry = top.call().next;
                    continue;
                }
                RegisterModel.Step step = RegisterModel.step(state, entry.op);
                // an indeterminate operation that changes nothing here is better left for later, or never
                boolean idle = entry.match == null && Objects.equals(step.state(), state);
                if (step.legal() && !idle) {
                    BitSet next = (BitSet) linearized.clone();
                    next.set(entry.index);
                    if (seen.add(new Memo(next, step.state()))) {
                        stack.add(new Frame(entry, state));
                        linearized = next;
                        state = step.state();
                        if (entry.match != null) {
                            done++;
                        }
                        lift(entry);
                        remember(stack, linearized, state);
                        entry = head.next;
                        continue;
                    }
                }
                entry = entry.next;
            }
            return true;
        }

        private void remember(List<Frame> stack, BitSet linearized, String state) {
            if (stack.size() > bestOrder.size()) {
                bestOrder = stack.stream().map(f -> f.call().op).toList();
                bestState = state;
                bestSet = (BitSet) linearized.clone();
            }
        }

        private static void lift(Entry call) {
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
            }
        }

        private static void unlift(Entry call) {
            Entry ret = call.match;
            if (ret != null) {
                ret.prev.next = ret;
                if (ret.next != null) {
                    ret.next.prev = ret;
                }
            }
            call.prev.next = call;
            if (call.next != null) {
                call.next.prev = call;
            }
        }

        /** Describes the longest linearization found and why nothing could follow it. */
        String explain() {
            StringBuilder b = new StringBuilder("key ").append(key).append(": NOT linearizable (").append(ops.size())
                    .append(" relevant operations, ").append(required).append(" with a known outcome)\n");
            b.append("  longest linearizable prefix: ").append(bestOrder.size()).append(" operations");
            int from = Math.max(0, bestOrder.size() - SHOWN_PREFIX);
            b.append(from > 0 ? "; the last " + (bestOrder.size() - from) + ":\n" : ":\n");
            for (Op op : bestOrder.subList(from, bestOrder.size())) {
                b.append("    ").append(op.describe()).append('\n');
            }
            b.append("  value of ").append(key).append(" after it: ").append(Op.show(bestState)).append('\n');
            long deadline = Long.MAX_VALUE;
            Op blocking = null;
            for (int i = 0; i < ops.size(); i++) {
                Op op = ops.get(i);
                if (!bestSet.get(i) && RegisterModel.mustLinearize(op) && op.complete() < deadline) {
                    deadline = op.complete();
                    blocking = op;
                }
            }
            b.append("  no operation can come next. Candidates (invoked before ")
                    .append(blocking == null ? "the end" : "#" + blocking.id() + " completed at "
                            + Op.seconds(deadline)).append("):\n");
            int idle = 0;
            for (int i = 0; i < ops.size(); i++) {
                Op op = ops.get(i);
                if (!bestSet.get(i) && op.invoke() <= deadline) {
                    RegisterModel.Step s = RegisterModel.step(bestState, op);
                    if (op.outcome() == Op.Outcome.INFO && s.legal() && ++idle > SHOWN_PREFIX) {
                        continue;
                    }
                    b.append("    ").append(op.describe()).append(": ")
                            .append(s.legal() ? "fits here, but nothing fits after it" : s.why()).append('\n');
                }
            }
            if (idle > SHOWN_PREFIX) {
                b.append("    and ").append(idle - SHOWN_PREFIX).append(" more indeterminate operations that fit here,"
                        + " but nothing fits after them\n");
            }
            return b.toString();
        }
    }
}
