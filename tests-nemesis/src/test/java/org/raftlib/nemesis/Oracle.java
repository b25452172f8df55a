package org.raftlib.nemesis;

import java.util.List;

/**
 * A brute-force linearizability oracle for tiny single-key histories: tries every order of every admissible subset
 * of the operations. Exponential; only for checking {@link Linearizability} on histories of a few operations.
 */
final class Oracle {

    private Oracle() {
    }

    static boolean linearizable(List<Op> history) {
        List<Op> ops = history.stream().filter(op -> !RegisterModel.irrelevant(op)).toList();
        return search(ops, new boolean[ops.size()], null);
    }

    private static boolean search(List<Op> ops, boolean[] used, String state) {
        boolean allRequired = true;
        for (int i = 0; i < ops.size(); i++) {
            if (!used[i] && RegisterModel.mustLinearize(ops.get(i))) {
                allRequired = false;
            }
        }
        if (allRequired) {
            return true;
        }
        for (int i = 0; i < ops.size(); i++) {
            if (used[i] || !minimal(ops, used, i)) {
                continue;
            }
            RegisterModel.Step step = RegisterModel.step(state, ops.get(i));
            if (step.legal()) {
                used[i] = true;
                boolean found = search(ops, used, step.state());
                used[i] = false;
                if (found) {
                    return true;
                }
            }
        }
        return false;
    }

    /** True if no unused operation that must happen completed before op {@code i} was invoked. */
    private static boolean minimal(List<Op> ops, boolean[] used, int i) {
        for (int j = 0; j < ops.size(); j++) {
            if (!used[j] && j != i && RegisterModel.mustLinearize(ops.get(j))
                    && ops.get(j).complete() < ops.get(i).invoke()) {
                return false;
            }
        }
        return true;
    }
}
