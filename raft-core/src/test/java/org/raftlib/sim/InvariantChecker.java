package org.raftlib.sim;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.raftlib.LogEntry;
import org.raftlib.NodeId;
import org.raftlib.RaftRole;
import org.raftlib.core.CoreStatus;
import org.raftlib.core.Ready;

/**
 * Checks the Raft safety properties (Raft Figure 3) as a simulation runs: Election Safety, Leader Append-Only, Log
 * Matching, Leader Completeness and State Machine Safety, plus "commit index never decreases" and "an acknowledged
 * proposal is never lost". Every violation is recorded with the event number; the run goes on so the first one
 * can be read in context.
 */
final class InvariantChecker {

    private final Map<Long, NodeId> leaderOfTerm = new HashMap<>();
    private final Map<String, Long> chainOfEntry = new HashMap<>();
    private final List<Long> committedTerms = new ArrayList<>();
    private final List<Long> committedChains = new ArrayList<>();
    private final List<String> violations = new ArrayList<>();
    private long event;
    private long maxCommit;

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

    /** Applies one Ready of {@code node} to its shadow log and checks what it changed. */
    void onReady(SimNode node, CoreStatus before, Ready rd) {
        ShadowLog log = node.shadow();
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

    /** Checks the properties that depend on a node's state after an event. */
    void afterEvent(SimNode node, CoreStatus after) {
        if (after.commitIndex() < node.lastCommit()) {
            fail("commit index of " + node.id() + " decreased from " + node.lastCommit() + " to "
                    + after.commitIndex());
        }
        node.lastCommit(after.commitIndex());
        maxCommit = Math.max(maxCommit, after.commitIndex());
        if (after.role() != RaftRole.LEADER) {
            return;
        }
        NodeId other = leaderOfTerm.putIfAbsent(after.term(), node.id());
        if (other != null && !other.equals(node.id())) {
            fail("Election Safety: " + other + " and " + node.id() + " both lead term " + after.term());
        }
        long c = lastCommittedBefore(after.term());
        if (c > 0 && (node.shadow().size() < c || node.shadow().chain(c) != committedChains.get((int) c - 1))) {
            fail("Leader Completeness: leader " + node.id() + " of term " + after.term() + " lacks committed entry "
                    + committedTerms.get((int) c - 1) + "/" + c);
        }
    }

    /** Returns the largest committed index whose entry's term is below {@code term} (a leader of it must hold it). */
    private long lastCommittedBefore(long term) {
        int lo = 0;
        int hi = committedTerms.size();
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (committedTerms.get(mid) < term) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo;
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
