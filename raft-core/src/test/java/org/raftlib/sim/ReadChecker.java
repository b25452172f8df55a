package org.raftlib.sim;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.raftlib.NodeId;
import org.raftlib.internal.core.ReadState;
import org.raftlib.internal.core.Ready;

/**
 * Checks ReadIndex (Raft thesis §6.4) as a simulation runs. Linearizability of a read: once its node has applied up
 * to the confirmed read index, the state it reads must hold every entry committed anywhere before the read was
 * registered, so the read index must be at least the highest commit index any node knew at registration. Also: each
 * accepted read is confirmed or aborted at most once, and only by the node that accepted it.
 */
final class ReadChecker {

    private record Registered(NodeId node, long commitBound, long event) {
    }

    private record Serving(long requestId, long index, long commitBound) {
    }

    private final InvariantChecker checker;
    private final Map<Long, Registered> registered = new HashMap<>();
    private final Map<NodeId, List<Serving>> waitingForApply = new HashMap<>();
    private long confirmed;
    private long served;
    private long aborted;
    private long confirmedAtOnce;

    ReadChecker(InvariantChecker checker) {
        this.checker = checker;
    }

    long confirmed() {
        return confirmed;
    }

    long served() {
        return served;
    }

    long aborted() {
        return aborted;
    }

    /** Reads confirmed in the event that registered them: under a lease (or by a single voter). */
    long confirmedAtOnce() {
        return confirmedAtOnce;
    }

    /**
     * A read was accepted by {@code node} in simulation event {@code event} while the highest commit index known
     * anywhere was {@code commitBound}.
     */
    void onRegistered(NodeId node, long requestId, long commitBound, long event) {
        if (registered.put(requestId, new Registered(node, commitBound, event)) != null) {
            checker.fail("read " + requestId + " registered twice");
        }
    }

    /** Records the reads {@code rd} of {@code node} confirms or aborts, in simulation event {@code event}. */
    void onReady(NodeId node, Ready rd, long event) {
        for (ReadState rs : rd.readStates()) {
            Registered r = registered.remove(rs.requestId());
            if (r == null || !r.node().equals(node)) {
                checker.fail("read " + rs.requestId() + " confirmed by " + node + " but pending there: " + r);
                continue;
            }
            confirmed++;
            confirmedAtOnce += r.event() == event ? 1 : 0;
            waitingForApply.computeIfAbsent(node, k -> new ArrayList<>())
                    .add(new Serving(rs.requestId(), rs.index(), r.commitBound()));
        }
        for (long id : rd.abortedReads()) {
            Registered r = registered.remove(id);
            if (r == null || !r.node().equals(node)) {
                checker.fail("read " + id + " aborted by " + node + " but pending there: " + r);
            }
            aborted++;
        }
    }

    /** Serves every confirmed read of {@code node} whose index it has applied, checking each. */
    void afterApply(NodeId node, long lastApplied) {
        List<Serving> waiting = waitingForApply.get(node);
        if (waiting == null) {
            return;
        }
        for (Iterator<Serving> it = waiting.iterator(); it.hasNext(); ) {
            Serving s = it.next();
            if (s.index() <= lastApplied) {
                it.remove();
                served++;
                if (s.index() < s.commitBound()) {
                    checker.fail("Linearizability: read " + s.requestId() + " on " + node + " served at read index "
                            + s.index() + " but index " + s.commitBound() + " was committed before it was registered");
                }
            }
        }
    }

    /** A crash loses the node's pending and confirmed reads (their clients get an error). */
    void onCrash(NodeId node) {
        registered.values().removeIf(r -> r.node().equals(node));
        waitingForApply.remove(node);
    }
}
