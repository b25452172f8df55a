package org.raftlib.sim;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.raftlib.Bytes;
import org.raftlib.EntryType;
import org.raftlib.LogEntry;
import org.raftlib.sim.lin.AppendLog;
import org.raftlib.sim.lin.AppendLog.Digest;
import org.raftlib.sim.lin.History;
import org.raftlib.sim.lin.Linearizability;
import org.raftlib.sim.lin.Operation;

/**
 * The simulation's clients and what they saw, checked for linearizability at the end of a seed against the
 * {@link AppendLog#MULTISET} model, one log per key. A write is a proposed command whose payload is its operation's
 * number (key: that number modulo {@link #KEYS}). It is answered when the first node applies it (it is committed
 * then; its own client hears at the proposing node's apply, never earlier), fails (definitely never applied) when the
 * proposing node applies its index with another term, and is otherwise unanswered: the proposer crashed or skipped
 * the index by installing a snapshot, and no node applied it. A read of one key (ReadIndex or lease, on the leader or
 * forwarded by a follower) is answered when its node serves it, having applied the read index, with the node's state
 * machine for that key: the digest of the commands applied there. Reads refused, aborted or lost in a crash fail
 * (reads have no effect). After the liveness phase one more read of each key returns the converged leader's state.
 */
final class ClientHistory {

    /** Keys partition the history (each key's sub-history is checked on its own, see {@link Linearizability}). */
    static final int KEYS = 4;
    /** Per key, far above what a linearizable seed needs; reaching it fails the seed (undecided is not a pass). */
    private static final long MAX_STEPS = 2_000_000;
    /**
     * The log as a multiset: the order of concurrent writes is the State Machine Safety check's business, and leaving
     * it out keeps the search small when many writes commit together (after a partition heals).
     */
    static final AppendLog MODEL = AppendLog.MULTISET;

    private final History history = new History();
    private final Set<Long> appliedAnywhere = new HashSet<>();
    private long steps;

    /** Records a write invoked now; returns the command to propose. */
    long invokeWrite() {
        return history.invoke(new AppendLog.Append(history.size()));
    }

    /** The command's payload. */
    static Bytes payload(long command) {
        return Bytes.wrap(ByteBuffer.allocate(8).putLong(command).array());
    }

    /** The command an applied entry carries, or -1 for entries that are not client commands. */
    static long command(LogEntry e) {
        return e.type() == EntryType.COMMAND && e.data().length() == 8
                ? ByteBuffer.wrap(e.data().toByteArray()).getLong() : -1;
    }

    static int key(long command) {
        return (int) (command % KEYS);
    }

    /** The proposal of {@code command} was refused: it never took effect. */
    void refused(long command) {
        history.fail((int) command);
    }

    /**
     * Some node applied {@code e}, so it is committed: if it is a command applied for the first time, its write took
     * effect by now. The write counts as answered now (its client hears at the proposing node's apply, at this time
     * or later; the earlier time makes the check only stricter), so its interval never outlives its commit.
     */
    void onApplied(LogEntry e) {
        long c = command(e);
        if (c >= 0 && appliedAnywhere.add(c) && history.isOpen((int) c)) {
            history.ok((int) c, null);
        }
    }

    /**
     * The proposing node applied the index of {@code command}'s entry: with its term (the write is answered, if no node
     * applied it before), or with another (it never took effect).
     */
    void writeApplied(long command, boolean sameTerm) {
        if (sameTerm != appliedAnywhere.contains(command)) {
            throw new IllegalStateException("write " + command + " applied at its index with " + (sameTerm
                    ? "its term but not seen applied" : "another term but applied elsewhere"));
        }
        if (!sameTerm) {
            history.fail((int) command);
        }
    }

    /** Records a read of {@code key} invoked now on {@code node}; returns its operation number. */
    int invokeRead(String node, int key) {
        return history.invoke(new Read(key, node));
    }

    void readServed(int op, Digest seen) {
        history.ok(op, seen);
    }

    void readFailed(int op) {
        history.fail(op);
    }

    long operations() {
        return history.size();
    }

    /** Counts {answered writes, answered reads, unanswered writes} so far. */
    long[] counts() {
        long[] c = new long[3];
        for (Operation op : history.operations()) {
            boolean write = op.input() instanceof AppendLog.Append;
            if (op.outcome() == Operation.Outcome.OK) {
                c[write ? 0 : 1]++;
            } else if (write && op.outcome() == Operation.Outcome.INDETERMINATE) {
                c[2]++;
            }
        }
        return c;
    }

    long steps() {
        return steps;
    }

    /**
     * Checks the history. A write still unanswered was never applied anywhere (see {@link #onApplied}), so it took no
     * effect: every state a read returns was built from applied commands, and the last reads see everything
     * committed. It is failed here; left indeterminate, each such write would double the search.
     *
     * @param finalState per key, the converged cluster's state (a last read of each), or null if it did not converge
     * @return the checker's verdict
     */
    Linearizability.Result check(Digest[] finalState) {
        if (finalState != null) {
            for (int k = 0; k < KEYS; k++) {
                history.ok(history.invoke(new Read(k, "final")), finalState[k]);
            }
        }
        List<Operation> ops = new ArrayList<>();
        for (Operation op : history.operations()) {
            boolean neverApplied = op.input() instanceof AppendLog.Append
                    && op.outcome() == Operation.Outcome.INDETERMINATE;
            ops.add(neverApplied ? new Operation(op.id(), op.input(), null, op.invoke(), -1, Operation.Outcome.FAILED)
                    : op);
        }
        Linearizability.Result r = Linearizability.check(ops, MODEL, ClientHistory::keyOf, MAX_STEPS);
        steps = r.steps();
        return r;
    }

    private static Object keyOf(Operation op) {
        return op.input() instanceof Read r ? r.key() : key(((AppendLog.Append) op.input()).command());
    }

    /** A read of one key, on a node (for failure reports). */
    record Read(int key, String where) {
        @Override
        public String toString() {
            return "read(" + key + ")@" + where;
        }
    }
}
