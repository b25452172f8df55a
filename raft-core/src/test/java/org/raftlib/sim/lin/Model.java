package org.raftlib.sim.lin;

/**
 * A sequential specification: the object a linearizable history must behave as, one operation at a time. States
 * must be immutable values ({@code equals} and {@code hashCode}): the checker memoizes them.
 *
 * @param <S> the state type
 */
public interface Model<S> {

    /** The state before any operation. */
    S initial();

    /**
     * Applies one operation sequentially.
     *
     * @param state the state before it
     * @param input what it asks
     * @param output what its client was told; null when the operation never completed (its output is unknown)
     * @return the state after it, or null if the operation cannot give {@code output} in {@code state}
     */
    S step(S state, Object input, Object output);

    /**
     * Whether an operation never changes the state, in any state (a read). The search then never needs another
     * choice where it linearized one: see {@link Linearizability}. Default: false.
     */
    default boolean isReadOnly(Object input) {
        return false;
    }
}
