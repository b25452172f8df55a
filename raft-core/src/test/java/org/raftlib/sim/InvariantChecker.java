package org.raftlib.sim;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import org.raftlib.HardState;
import org.raftlib.LogEntry;
import org.raftlib.NodeId;
import org.raftlib.RaftRole;
import org.raftlib.internal.core.CoreStatus;
import org.raftlib.internal.core.IndexedConfig;
import org.raftlib.internal.core.Ready;
import org.raftlib.message.AppendEntriesResponse;
import org.raftlib.message.RaftMessage;
import org.raftlib.message.RequestVoteResponse;

/**
 * Checks the Raft safety properties (Raft Figure 3) as a simulation runs: Election Safety, Leader Append-Only, Log
 * Matching, Leader Completeness and State Machine Safety, plus "commit index never decreases" and "an acknowledged
 * proposal is never lost". Every violation is recorded with the event number; the run goes on so the first one
 * can be read in context.
 */
final class InvariantChecker {

    private final Map<Long, String> leaderOfTerm = new HashMap<>();
    private long maxLeaderTerm;
    private final Map<NodeId, Long> maxTermLed = new HashMap<>();
    private final Map<RaftMessage, LogEntry> promised = new IdentityHashMap<>();
    private final Map<String, Long> chainOfEntry = new HashMap<>();
    private final List<Long> committedTerms = new ArrayList<>();
    private final List<Long> committedChains = new ArrayList<>();
    private final List<String> violations = new ArrayList<>();
    private long event;
    private long maxCommit;
    /**
     * For each index (1-based), the term in which it was first known committed: the term of the first node (a leader)
     * whose commit index covered it. Raft's Leader Completeness is about entries committed in earlier terms; an entry
     * committed in term 8 need not be in the log of a leader of term 7 that learns of its election late (its vote
     * responses were delayed, as when it was paused).
     */
    private final List<Long> commitTerms = new ArrayList<>();

    void setEvent(long eventNumber) {
        this.event = eventNumber;
    }

    List<String> violations() {
        return violations;
    }

    /** Returns the highest commit index any node has reported after an event. */
    long maxCommit() {
        return maxCommit;
    }

    long committedCount() {
        return committedTerms.size();
    }

    long committedTerm(long index) {
        return committedTerms.get((int) index - 1);
    }

    /** Returns the terms of the committed entries up to {@code index} (index 1 first). */
    long[] committedTermsUpTo(long index) {
        return committedTerms.subList(0, (int) Math.min(index, committedTerms.size())).stream()
                .mapToLong(Long::longValue).toArray();
    }

    /** Returns the chains of the committed entries up to {@code index}. */
    long[] committedChainsUpTo(long index) {
        return committedChains.subList(0, (int) Math.min(index, committedChains.size())).stream()
                .mapToLong(Long::longValue).toArray();
    }

    /**
     * A snapshot must hold exactly the committed prefix up to its index: the state any node applied there (State
     * Machine Safety for snapshots, thesis §5.1).
     */
    boolean checkSnapshot(SimNode node, SimNode.Snapshot s, String what) {
        long index = s.point().index();
        if (index > committedChains.size() || committedChains.get((int) index - 1) != s.chain()) {
            fail("snapshot safety: " + node.id() + " " + what + " a snapshot at " + s.point().term() + "/" + index
                    + " that is not the committed prefix");
            return false;
        }
        return true;
    }

    /** Applies one Ready of {@code node} to its shadow log and checks what it changed. */
    void onReady(SimNode node, CoreStatus before, Ready rd) {
        ShadowLog log = node.shadow();
        if (rd.install().isPresent()) {
            SimNode.Snapshot s = node.snapshotAt(rd.install().get().index());
            if (s == null || !s.point().equals(rd.install().get())) {
                fail("install: " + node.id() + " installs " + rd.install().get() + " but holds " + s);
                return;
            }
            if (!checkSnapshot(node, s, "installs")) {
                return;
            }
            long index = s.point().index();
            log.resetToSnapshot(index, committedTermsUpTo(index), committedChainsUpTo(index), java.util.List.of());
            node.restoredTo(index);
        }
        if (rd.truncateFrom().isPresent()) {
            if (before.role() == RaftRole.LEADER) {
                fail("Leader Append-Only: leader " + node.id() + " of term " + before.term() + " truncates from "
                        + rd.truncateFrom().getAsLong());
            }
            log.truncateFrom(rd.truncateFrom().getAsLong());
        } else if (!rd.entries().isEmpty() && rd.entries().get(0).index() != log.size() + 1) {
            fail("Ready of " + node.id() + " appends " + rd.entries().get(0).index() + " after " + log.size()
                    + " without truncating");
            return;
        }
        for (LogEntry e : rd.entries()) {
            log.append(e);
            Long known = chainOfEntry.putIfAbsent(e.index() + "/" + e.term(), log.chain(e.index()));
            if (known != null && known != log.chain(e.index())) {
                fail("Log Matching: " + node.id() + " holds " + e.term() + "/" + e.index()
                        + " with a different prefix than another node");
            }
        }
        for (LogEntry e : rd.committed()) {
            onApply(node, e);
        }
    }

    private void onApply(SimNode node, LogEntry e) {
        if (e.index() != node.lastApplied() + 1) {
            fail("apply order: " + node.id() + " applies " + e.index() + " after " + node.lastApplied());
        }
        ShadowLog log = node.shadow();
        if (e.index() > log.size() || log.term(e.index()) != e.term()) {
            fail("apply: " + node.id() + " applies " + e.term() + "/" + e.index() + " that is not in its log");
            return;
        }
        long chain = log.chain(e.index());
        if (e.index() <= committedTerms.size()) {
            if (committedChains.get((int) e.index() - 1) != chain) {
                fail("State Machine Safety: " + node.id() + " applies " + e.term() + "/" + e.index()
                        + " but another node applied term " + committedTerms.get((int) e.index() - 1) + " there");
            }
        } else if (e.index() == committedTerms.size() + 1) {
            committedTerms.add(e.term());
            committedChains.add(chain);
        } else {
            fail("apply: " + e.index() + " applied before " + (committedTerms.size() + 1) + " was applied anywhere");
        }
        node.applied(e);
    }

    /** The highest term any node has led so far. */
    long maxLeaderTerm() {
        return maxLeaderTerm;
    }

    /** Checks the properties that depend on a node's state after an event. */
    void afterEvent(SimNode node, CoreStatus after) {
        if (after.commitIndex() < node.lastCommit()) {
            fail("commit index of " + node.id() + " decreased from " + node.lastCommit() + " to "
                    + after.commitIndex());
        }
        node.lastCommit(after.commitIndex());
        maxCommit = Math.max(maxCommit, after.commitIndex());
        while (commitTerms.size() < after.commitIndex()) {
            long previous = commitTerms.isEmpty() ? 0 : commitTerms.get(commitTerms.size() - 1);
            commitTerms.add(Math.max(after.term(), previous));
        }
        long logTerm = node.storage().term(node.storage().lastIndex());
        if (after.term() < logTerm) {
            fail("term: " + node.id() + " is in term " + after.term() + " behind the last term of its log, " + logTerm);
        }
        IndexedConfig justified = node.configFromLog();
        if (justified != null && (!justified.config().equals(after.config())
                || justified.index() != after.configIndex())) {
            fail("configuration: " + node.id() + " uses " + after.config() + " (index " + after.configIndex()
                    + ") but its log [" + node.storage().firstIndex() + ", " + node.storage().lastIndex()
                    + "] and snapshot say " + justified.config() + " (index " + justified.index() + ")");
        }
        if (after.role() != RaftRole.LEADER) {
            return;
        }
        HardState durable = node.storage().durableHardState();
        if (durable.term() < after.term() || (durable.term() == after.term()
                && !durable.votedFor().filter(node.id()::equals).isPresent())) {
            fail("durability rule 2: " + node.id() + " leads term " + after.term() + " but its durable hard state is "
                    + durable);
        }
        maxTermLed.merge(node.id(), after.term(), Math::max);
        String incarnation = node.id() + "#" + node.epoch();
        maxLeaderTerm = Math.max(maxLeaderTerm, after.term());
        String other = leaderOfTerm.putIfAbsent(after.term(), incarnation);
        if (other != null && !other.equals(incarnation)) {
            fail(other.startsWith(node.id() + "#")
                    ? "Election Safety: " + node.id() + " leads term " + after.term() + " twice, across a crash"
                    : "Election Safety: " + other + " and " + incarnation + " both lead term " + after.term());
        }
        long c = lastCommittedBefore(after.term());
        if (c > 0 && (node.shadow().size() < c || node.shadow().chain(c) != committedChains.get((int) c - 1))) {
            fail("Leader Completeness: leader " + node.id() + " of term " + after.term() + " lacks committed entry "
                    + committedTerms.get((int) c - 1) + "/" + c);
        }
    }

    /**
     * Returns the largest index committed in a term below {@code term} and applied somewhere (a leader of {@code term}
     * must hold it: Raft's Leader Completeness).
     */
    private long lastCommittedBefore(long term) {
        int lo = 0;
        int hi = Math.min(commitTerms.size(), committedTerms.size());
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (commitTerms.get(mid) < term) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo;
    }

    /**
     * A restarted node's durable state must be one the protocol could have written: it leads no term it did not
     * durably vote itself into, its log satisfies Log Matching with every entry seen anywhere, and its hard state's
     * commit index lies within the log and covers only committed entries.
     */
    void onRestart(SimNode node, HardState hardState) {
        long led = maxTermLed.getOrDefault(node.id(), 0L);
        if (hardState.term() < led) {
            fail("durability rule 2: " + node.id() + " led term " + led + " but restarted in term " + hardState.term());
        }
        ShadowLog log = node.shadow();
        for (long i = 1; i <= log.size(); i++) {
            Long known = chainOfEntry.get(i + "/" + log.term(i));
            if (known != null && known != log.chain(i)) {
                fail("Log Matching: " + node.id() + " restarts holding " + log.term(i) + "/" + i
                        + " with a different prefix than another node");
                break;
            }
        }
        if (hardState.commit() > log.size()) {
            fail("durable commit " + hardState.commit() + " of " + node.id() + " beyond its durable log " + log.size());
        }
        long upTo = Math.min(Math.min(hardState.commit(), log.size()), committedChains.size());
        if (upTo > 0 && log.chain(upTo) != committedChains.get((int) upTo - 1)) {
            fail("durable commit " + hardState.commit() + " of " + node.id() + " covers entries that were not committed"
                    + " (differs at or below " + upTo + ")");
        }
    }

    /**
     * Durability rule 3, checked on every write rather than only when a crash exposes it: a hard state handed to
     * storage may become durable at once, so its commit index must lie within what the log has durably in common
     * with the node's current log. Also notes which entry each acknowledgement of the batch vouches for.
     */
    void onWrite(SimNode node, Ready rd) {
        long durable = node.storage().durableMatchingPrefix();
        rd.hardState().filter(hs -> hs.commit() > durable).ifPresent(hs -> fail("durability rule 3: " + node.id()
                + " writes a hard state with commit " + hs.commit() + " while its durable log matches only up to "
                + durable));
        // An acknowledgement in afterSync vouches for the entry at its match index in the log as written with rd;
        // later batches may replace that entry before it leaves.
        for (RaftMessage m : rd.afterSync()) {
            if (m instanceof AppendEntriesResponse r && r.success() && r.matchIndex() > 0) {
                promised.put(m, node.storage().entry(r.matchIndex()));
            }
        }
    }

    /** Durability rule 1: a vote or an append acknowledgement leaves only once what it promises is durable. */
    void onSend(SimNode node, RaftMessage m) {
        if (m instanceof AppendEntriesResponse r && r.success() && r.matchIndex() > 0) {
            LogEntry vouched = promised.remove(m);
            boolean durable = r.matchIndex() <= node.storage().base()      // a durable snapshot covers it
                    || (vouched != null ? vouched.equals(node.storage().durableEntry(r.matchIndex()))
                    : r.matchIndex() <= node.storage().durableMatchingPrefix());
            if (!durable) {
                fail("durability rule 1: " + node.id() + " acknowledges " + r.matchIndex() + " with a durable log"
                        + " matching only up to " + node.storage().durableMatchingPrefix());
            }
        }
        if (m instanceof RequestVoteResponse v && v.voteGranted() && !v.preVote()) {
            // A later durable term keeps the promise too: the node never votes in an earlier term again. (The sync
            // that released this vote can also cover a vote in a later term made while it was running.)
            HardState durable = node.storage().durableHardState();
            boolean kept = durable.term() > v.term()
                    || durable.term() == v.term() && durable.votedFor().filter(v.to()::equals).isPresent();
            if (!kept) {
                fail("durability rule 1: " + node.id() + " grants its vote in term " + v.term() + " to " + v.to()
                        + " with durable hard state " + durable);
            }
        }
    }

    /** An acknowledged proposal must be the committed entry at its index. */
    void checkAcknowledged(long index, long term) {
        if (index > committedTerms.size() || committedTerms.get((int) index - 1) != term) {
            fail("acknowledged proposal " + term + "/" + index + " is not the committed entry at " + index);
        }
    }

    void fail(String message) {
        if (violations.size() < 20) {
            violations.add("event " + event + ": " + message);
        }
    }
}
