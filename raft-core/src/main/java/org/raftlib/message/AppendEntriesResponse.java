package org.raftlib.message;

import org.raftlib.NodeId;

/**
 * Raft §5.3: a follower's answer to an {@link AppendEntries}.
 *
 * <p>On success, {@code matchIndex} is the last index up to which the follower's log now matches the leader's
 * ({@code prevLogIndex} plus the entries carried). On rejection, {@code rejectedIndex} is the {@code prevLogIndex}
 * that did not match, and the hint lets the leader skip a whole term per round trip (Raft §5.3, "the follower can
 * include the term of the conflicting entry and the first index it stores for that term"): {@code conflictTerm} is
 * the term of the follower's entry at {@code rejectedIndex} (0 if its log is shorter) and {@code conflictIndex} the
 * first index it holds of that term (or its last index + 1 if its log is shorter). A rejection of a request from a
 * stale term carries no hint (all three are 0); its higher {@code term} makes the sender step down.
 *
 * @param from the follower
 * @param to the leader
 * @param term the follower's current term
 * @param success whether the entries were accepted
 * @param matchIndex on success, the last matching index; otherwise 0
 * @param rejectedIndex on rejection, the rejected {@code prevLogIndex} (0 for a stale-term rejection); otherwise 0
 * @param conflictTerm on rejection, the hint's term; otherwise 0
 * @param conflictIndex on rejection, the hint's first index, at least 1; otherwise 0
 * @param readSeq the {@link AppendEntries#readSeq()} of the request answered, for acceptances and rejections
 *     alike (thesis §6.4: it tells the leader which ReadIndex round this acknowledgement confirms); 0 for a
 *     stale-term rejection
 */
public record AppendEntriesResponse(
        NodeId from,
        NodeId to,
        long term,
        boolean success,
        long matchIndex,
        long rejectedIndex,
        long conflictTerm,
        long conflictIndex,
        long readSeq) implements RaftMessage {

    /**
     * Checks the fields.
     *
     * @throws NullPointerException if an endpoint is null
     * @throws IllegalArgumentException if a field is out of range or does not fit {@code success}
     */
    public AppendEntriesResponse {
        Checks.endpoints(from, to);
        Checks.nonNegative(term, "term");
        Checks.nonNegative(matchIndex, "matchIndex");
        Checks.nonNegative(rejectedIndex, "rejectedIndex");
        Checks.nonNegative(conflictTerm, "conflictTerm");
        Checks.nonNegative(conflictIndex, "conflictIndex");
        Checks.nonNegative(readSeq, "readSeq");
        if (success && (rejectedIndex != 0 || conflictTerm != 0 || conflictIndex != 0)) {
            throw new IllegalArgumentException("a success carries no rejection hint");
        }
        if (!success && (matchIndex != 0 || !validHint(rejectedIndex, conflictTerm, conflictIndex))) {
            throw new IllegalArgumentException("a rejection needs matchIndex 0 (" + matchIndex
                    + ") and either no hint or 1 <= conflictIndex (" + conflictIndex + ") <= rejectedIndex ("
                    + rejectedIndex + ")");
        }
    }

    private static boolean validHint(long rejectedIndex, long conflictTerm, long conflictIndex) {
        if (rejectedIndex == 0) {
            return conflictTerm == 0 && conflictIndex == 0;
        }
        return conflictIndex >= 1 && conflictIndex <= rejectedIndex && conflictTerm < Long.MAX_VALUE;
    }

    /**
     * Returns the rejection of a request from a stale term: no hint and no ReadIndex round; its higher {@code term}
     * makes the sender step down.
     *
     * @param from the follower
     * @param to the stale leader
     * @param term the follower's (higher) term
     * @return the response
     * @throws IllegalArgumentException if {@code term} is negative
     */
    public static AppendEntriesResponse rejectedStaleTerm(NodeId from, NodeId to, long term) {
        return new AppendEntriesResponse(from, to, term, false, 0, 0, 0, 0, 0);
    }

    /**
     * Returns a success.
     *
     * @param from the follower
     * @param to the leader
     * @param term the follower's term
     * @param matchIndex the last matching index
     * @return the response
     */
    public static AppendEntriesResponse accepted(NodeId from, NodeId to, long term, long matchIndex) {
        return accepted(from, to, term, matchIndex, 0);
    }

    /**
     * Returns a success that echoes a ReadIndex round.
     *
     * @param from the follower
     * @param to the leader
     * @param term the follower's term
     * @param matchIndex the last matching index
     * @param readSeq the {@code readSeq} of the AppendEntries answered
     * @return the response
     * @throws IllegalArgumentException if a field is negative
     */
    public static AppendEntriesResponse accepted(NodeId from, NodeId to, long term, long matchIndex, long readSeq) {
        return new AppendEntriesResponse(from, to, term, true, matchIndex, 0, 0, 0, readSeq);
    }

    /**
     * Returns a rejection with its hint.
     *
     * @param from the follower
     * @param to the leader
     * @param term the follower's term
     * @param rejectedIndex the rejected {@code prevLogIndex}
     * @param conflictTerm the term of the follower's entry there, or 0
     * @param conflictIndex the first index of {@code conflictTerm}, or the follower's last index + 1
     * @return the response
     */
    public static AppendEntriesResponse rejected(
            NodeId from, NodeId to, long term, long rejectedIndex, long conflictTerm, long conflictIndex) {
        return rejected(from, to, term, rejectedIndex, conflictTerm, conflictIndex, 0);
    }

    /**
     * Returns a rejection with its hint that echoes a ReadIndex round: the follower still acknowledges the leader's
     * term, which is all a read needs.
     *
     * @param from the follower
     * @param to the leader
     * @param term the follower's term
     * @param rejectedIndex the rejected {@code prevLogIndex}
     * @param conflictTerm the term of the follower's entry there, or 0
     * @param conflictIndex the first index of {@code conflictTerm}, or the follower's last index + 1
     * @param readSeq the {@code readSeq} of the AppendEntries answered
     * @return the response
     * @throws IllegalArgumentException if a field is out of range
     */
    public static AppendEntriesResponse rejected(NodeId from, NodeId to, long term, long rejectedIndex,
            long conflictTerm, long conflictIndex, long readSeq) {
        return new AppendEntriesResponse(from, to, term, false, 0, rejectedIndex, conflictTerm, conflictIndex,
                readSeq);
    }

    @Override
    public MessageType type() {
        return MessageType.APPEND_ENTRIES_RESPONSE;
    }
}
