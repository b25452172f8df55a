package org.raftlib.internal.core.quorum;

/** The outcome of an election so far, given the votes received. */
public enum VoteResult {
    /** Neither a majority for nor a majority against yet. */
    PENDING,
    /** A majority rejected: the election cannot be won any more. */
    LOST,
    /** A majority granted. */
    WON
}
