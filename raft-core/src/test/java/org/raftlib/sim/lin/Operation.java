package org.raftlib.sim.lin;

/**
 * One client operation of a history: invoked at {@code invoke}, answered at {@code complete} (times on one clock
 * that orders every invocation and completion; equal times count as concurrent).
 *
 * @param id the operation's number, unique in its history (0, 1, 2, ...)
 * @param input what the operation asks, as the model understands it
 * @param output what the client was told, as the model understands it (null for operations without a result)
 * @param invoke when the client invoked it
 * @param complete when the client got its answer; unused unless {@code outcome} is {@link Outcome#OK}
 * @param outcome what the client knows about the operation's effect
 */
public record Operation(int id, Object input, Object output, long invoke, long complete, Outcome outcome) {

    /** What a client knows about an operation. */
    public enum Outcome {
        /** Answered: it took effect, once, between its invocation and its answer, with the output recorded. */
        OK,
        /** Definitely not applied (the system said so, truthfully): it takes no part in the history. */
        FAILED,
        /**
         * Never answered (a crash, a timeout): it may have taken effect at any point after its invocation, or never;
         * it has no output.
         */
        INDETERMINATE
    }

    @Override
    public String toString() {
        return "#" + id + " " + input + (outcome == Outcome.OK ? " -> " + output : "") + " [" + invoke + ", "
                + (outcome == Outcome.OK ? Long.toString(complete) : outcome.toString()) + "]";
    }
}
