package org.raftlib.message;

import java.util.List;
import java.util.Objects;
import org.raftlib.ClusterConfig;
import org.raftlib.EntryType;
import org.raftlib.LogEntries;
import org.raftlib.LogEntry;
import org.raftlib.NodeId;

/**
 * Raft §5.3: asks {@code to} to append {@code entries} after the entry at ({@code prevLogIndex}, {@code prevLogTerm}).
 * An empty {@code entries} list is a heartbeat (§5.2).
 *
 * @param from the leader
 * @param to the follower
 * @param term the leader's term; at least 1
 * @param prevLogIndex index of the entry just before {@code entries}
 * @param prevLogTerm term of that entry; 0 exactly when {@code prevLogIndex} is 0
 * @param entries consecutive entries starting at {@code prevLogIndex + 1}, with non-decreasing terms between
 *     {@code prevLogTerm} and {@code term}
 * @param leaderCommit the leader's commit index
 * @param readSeq the leader's current ReadIndex confirmation round (thesis §6.4), echoed in the response; 0 before
 *     the leader's first read of its term
 */
public record AppendEntries(
        NodeId from,
        NodeId to,
        long term,
        long prevLogIndex,
        long prevLogTerm,
        List<LogEntry> entries,
        long leaderCommit,
        long readSeq) implements RaftMessage {

    /**
     * Checks the fields and copies {@code entries}.
     *
     * @throws NullPointerException if an endpoint, the list or an entry is null
     * @throws IllegalArgumentException if a field is out of range, the entries do not follow {@code prevLogIndex}
     *     with non-decreasing terms in {@code [prevLogTerm, term]}, or a configuration entry does not decode or has no
     *     voters (a broken or hostile peer, or a newer encoding: refused here, it
     *     would fail or disable the follower that appends it)
     */
    public AppendEntries {
        Checks.endpoints(from, to);
        entries = LogEntries.copyOf(Objects.requireNonNull(entries, "entries"));
        Checks.nonNegative(prevLogIndex, "prevLogIndex");
        Checks.nonNegative(prevLogTerm, "prevLogTerm");
        Checks.nonNegative(leaderCommit, "leaderCommit");
        Checks.nonNegative(readSeq, "readSeq");
        if (term < 1) {
            throw new IllegalArgumentException("term must be at least 1: " + term);
        }
        if ((prevLogIndex == 0) != (prevLogTerm == 0) || prevLogTerm > term) {
            throw new IllegalArgumentException("prevLogIndex " + prevLogIndex + " / prevLogTerm " + prevLogTerm
                    + " do not fit term " + term);
        }
        checkEntries(entries, prevLogIndex, prevLogTerm, term);
    }

    /**
     * An AppendEntries outside any ReadIndex confirmation round ({@code readSeq} 0).
     *
     * @param from the leader
     * @param to the follower
     * @param term the leader's term
     * @param prevLogIndex index of the entry just before {@code entries}
     * @param prevLogTerm term of that entry
     * @param entries the entries
     * @param leaderCommit the leader's commit index
     * @throws NullPointerException if an endpoint, the list or an entry is null
     * @throws IllegalArgumentException if a field is out of range (see the canonical constructor)
     */
    public AppendEntries(NodeId from, NodeId to, long term, long prevLogIndex, long prevLogTerm,
            List<LogEntry> entries, long leaderCommit) {
        this(from, to, term, prevLogIndex, prevLogTerm, entries, leaderCommit, 0);
    }

    private static void checkEntries(List<LogEntry> entries, long prevLogIndex, long prevLogTerm, long term) {
        long expectedIndex = prevLogIndex + 1;
        long lastTerm = prevLogTerm;
        for (LogEntry e : entries) {
            if (e.index() != expectedIndex) {
                throw new IllegalArgumentException("entry index " + e.index() + " should be " + expectedIndex
                        + " after prevLogIndex " + prevLogIndex);
            }
            if (e.term() < lastTerm || e.term() > term) {
                throw new IllegalArgumentException("entry " + e.index() + " has term " + e.term()
                        + ", outside [" + lastTerm + ", " + term + "]");
            }
            if (e.type() == EntryType.CONFIGURATION) {
                checkConfiguration(e);
            }
            expectedIndex++;
            lastTerm = e.term();
        }
    }

    /**
     * A configuration entry must decode and have voters: no leader appends one without (its API refuses it), and a
     * follower that took one would never vote or campaign again.
     */
    private static void checkConfiguration(LogEntry e) {
        ClusterConfig c;
        try {
            c = ClusterConfig.decode(e.data().toByteArray());
        } catch (IllegalArgumentException bad) {
            throw new IllegalArgumentException("entry " + e.index() + " is a malformed configuration: "
                    + bad.getMessage(), bad);
        }
        if (c.voters().isEmpty()) {
            throw new IllegalArgumentException("entry " + e.index() + " is a configuration without voters");
        }
    }

    @Override
    public MessageType type() {
        return MessageType.APPEND_ENTRIES;
    }

    /** Index of the last entry carried, or {@code prevLogIndex} for a heartbeat. */
    public long lastIndex() {
        return prevLogIndex + entries.size();
    }
}
