package org.raftlib.nemesis;

import java.util.Objects;

/**
 * The key-value example seen from one key: a register that is absent (null) or holds a string. {@link #step} applies
 * one operation to a state and says whether the operation's recorded outcome fits that state.
 */
final class RegisterModel {

    private RegisterModel() {
    }

    /** The state after an operation, or why the operation cannot happen in the state it was given. */
    record Step(boolean legal, String state, String why) {
    }

    /** True if the checker must place {@code op} somewhere (its effect is known and it happened). */
    static boolean mustLinearize(Op op) {
        return op.outcome() == Op.Outcome.OK || op.outcome() == Op.Outcome.FAIL && op.kind() == Op.Kind.CAS;
    }

    /**
     * True if {@code op} says nothing about the register: a read that failed or never answered, a failed or refused
     * write.
     */
    static boolean irrelevant(Op op) {
        if (op.outcome() == Op.Outcome.OK) {
            return false;
        }
        if (op.outcome() == Op.Outcome.REFUSED) {
            return true;
        }
        if (op.kind() == Op.Kind.GET) {
            return true;
        }
        return op.outcome() == Op.Outcome.FAIL && op.kind() != Op.Kind.CAS;
    }

    /** Applies {@code op} to {@code state}. */
    static Step step(String state, Op op) {
        boolean info = op.outcome() == Op.Outcome.INFO;
        return switch (op.kind()) {
            case PUT -> info || same(state, op.result()) ? ok(op.value())
                    : bad("it replaced " + Op.show(op.result()) + " but the value was " + Op.show(state));
            case GET -> same(state, op.result()) ? ok(state)
                    : bad("it read " + Op.show(op.result()) + " but the value was " + Op.show(state));
            case DELETE -> info ? ok(null) : same(state, op.result()) ? ok(null)
                    : bad("it " + (op.result() == null ? "found the key absent" : "removed " + op.result())
                    + " but the value was " + Op.show(state));
            case CAS -> cas(state, op);
        };
    }

    private static Step cas(String state, Op op) {
        boolean matches = same(state, op.expected());
        return switch (op.outcome()) {
            case INFO -> ok(matches ? op.value() : state);
            case OK -> matches ? ok(op.value())
                    : bad("it succeeded expecting " + Op.show(op.expected()) + " but the value was " + Op.show(state));
            case FAIL -> !matches && same(state, op.result()) ? ok(state)
                    : bad("it failed reporting " + Op.show(op.result()) + " but the value was " + Op.show(state));
            case REFUSED -> ok(state);                        // never reaches the search: irrelevant()
        };
    }

    private static boolean same(String a, String b) {
        return Objects.equals(a, b);
    }

    private static Step ok(String state) {
        return new Step(true, state, null);
    }

    private static Step bad(String why) {
        return new Step(false, null, why);
    }
}
