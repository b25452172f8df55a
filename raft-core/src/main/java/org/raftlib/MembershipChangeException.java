package org.raftlib;

import java.util.Objects;

/**
 * A membership change ({@link RaftNode#changeMembership} and the methods built on it) could not be made; {@link
 * #reason()} says why, so callers can tell "retry later" from "gave up".
 */
public class MembershipChangeException extends RaftException {

    private static final long serialVersionUID = 1L;

    /** Why a membership change failed. */
    public enum Reason {
        /** Another change is in progress on this leader; retry once it has finished. */
        IN_PROGRESS,
        /**
         * The change could not start in time: a new voter did not catch up, or no quorum could be reached. Nothing of
         * the change proper was appended (learners added for it stay learners).
         */
        TIMED_OUT,
        /**
         * The change would make a configuration (or a step of it) whose voters have no majority the leader hears from:
         * removing a live voter while another is down, say. Appended, it would stop commits at once (a configuration
         * takes effect when appended), for good if the silent voters never return. Nothing was appended: bring the
         * silent voters back, or remove them first.
         */
        NO_LIVE_QUORUM
    }

    private final Reason reason;

    /**
     * Creates the exception.
     *
     * @param message what failed
     * @param reason why
     * @throws NullPointerException if {@code reason} is null
     */
    public MembershipChangeException(String message, Reason reason) {
        super(message);
        this.reason = Objects.requireNonNull(reason, "reason");
    }

    /** Returns why the change failed. */
    public Reason reason() {
        return reason;
    }
}
