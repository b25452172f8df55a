package org.raftlib;

import java.time.Duration;
import java.util.Arrays;
import java.util.Objects;

/**
 * The end of one node's log and its election timer, from {@link RaftNode#logTail(int)}; for monitoring and
 * visualisation, never a live view.
 *
 * <p>{@link #terms()} holds the term of every index from {@link #fromIndex()} to {@link #lastIndex()}, committed or
 * not: the newest entries this node holds, at most as many as asked for, never entries compacted into a snapshot.
 * An entry at or below {@link #commitIndex()} is committed; the others may still be replaced by a new leader.
 *
 * @param fromIndex the first index described; {@code lastIndex + 1} when no entries are described
 * @param lastIndex the last index in the log
 * @param commitIndex the highest index this node knows committed
 * @param terms the terms of the entries {@code fromIndex..lastIndex}, in index order (a copy is kept and returned)
 * @param electionElapsed how long the election timer has been running: on a follower, since it last heard from a
 *     leader or granted a vote; on a candidate, since its election began; on a leader, since its last quorum check.
 *     Rounded to whole ticks ({@link RaftOptions#tickInterval()})
 * @param electionTimeout when that timer fires: on a follower or candidate its randomized election timeout (it
 *     starts an election at that point if it may), on a leader the check-quorum period
 */
public record LogTail(long fromIndex, long lastIndex, long commitIndex, long[] terms, Duration electionElapsed,
        Duration electionTimeout) {

    /**
     * Checks and copies.
     *
     * @throws IllegalArgumentException if {@code terms} does not cover {@code fromIndex..lastIndex}
     * @throws NullPointerException if an argument is null
     */
    public LogTail {
        terms = Objects.requireNonNull(terms, "terms").clone();
        Objects.requireNonNull(electionElapsed, "electionElapsed");
        Objects.requireNonNull(electionTimeout, "electionTimeout");
        if (fromIndex < 1 || lastIndex - fromIndex + 1 != terms.length) {
            throw new IllegalArgumentException("terms cover " + terms.length + " entries, not " + fromIndex + ".."
                    + lastIndex);
        }
    }

    /**
     * Returns the terms of the entries {@code fromIndex..lastIndex}.
     *
     * @return a copy
     */
    @Override
    public long[] terms() {
        return terms.clone();
    }

    /**
     * Returns the term of one described entry.
     *
     * @param index an index from {@link #fromIndex()} to {@link #lastIndex()}
     * @return its term
     * @throws IndexOutOfBoundsException if the index is not described
     */
    public long term(long index) {
        if (index < fromIndex || index > lastIndex) {
            throw new IndexOutOfBoundsException("index " + index + " outside " + fromIndex + ".." + lastIndex);
        }
        return terms[(int) (index - fromIndex)];
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof LogTail t && t.fromIndex == fromIndex && t.lastIndex == lastIndex
                && t.commitIndex == commitIndex && Arrays.equals(t.terms, terms)
                && t.electionElapsed.equals(electionElapsed) && t.electionTimeout.equals(electionTimeout);
    }

    @Override
    public int hashCode() {
        return Objects.hash(fromIndex, lastIndex, commitIndex, Arrays.hashCode(terms), electionElapsed,
                electionTimeout);
    }

    @Override
    public String toString() {
        return "LogTail[" + fromIndex + ".." + lastIndex + ", commit " + commitIndex + ", terms "
                + Arrays.toString(terms) + ", election " + electionElapsed.toMillis() + "/"
                + electionTimeout.toMillis() + " ms]";
    }
}
