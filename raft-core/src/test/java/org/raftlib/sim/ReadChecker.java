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
 * registered, so the read index must be at least the highest commit index any node knew at registration. A leader's
 * lease read served at once must come from the newest leader: no leader of a higher term was elected before (what the
 * lease promises, checked even before the newer leader commits anything). Also: each accepted read is confirmed or
 * aborted at most once, and only by the node that accepted it.
 */
final class ReadChecker {

    /**
     * A read {@code node} accepted in simulation event {@code event} while the highest commit index known anywhere was
     * {@code commitBound}; operation {@code op} of the {@link ClientHistory}, reading {@code key}; {@code leaseTerm} is
     * the term of the leader that accepted it as a lease read, or -1.
     */
    record Registered(NodeId node, long commitBound, long event, int op, int key, long leaseTerm) {
    }

    private record Serving(long requestId, long index, long commitBound, int op, int key) {
    }

    private final InvariantChecker checker;
    private final ClientHistory clients;
    private final Map<Long, Registered> registered = new HashMap<>();
    private final Map<NodeId, List<Serving>> waitingForApply = new HashMap<>();
    private long confirmed;
    private long served;
    private long aborted;
    private long confirmedAtOnce;

    ReadChecker(InvariantChecker checker, ClientHistory clients) {
        this.checker = checker;
        this.clients = clients;
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

    /** Read {@code requestId} was accepted as {@code r} says. */
    void onRegistered(long requestId, Registered r) {
        if (registered.put(requestId, r) != null) {
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
            if (r.event() == event && r.leaseTerm() >= 0 && checker.maxLeaderTerm() > r.leaseTerm()) {
                checker.fail("Lease: " + node + " served read " + rs.requestId() + " from its lease in term "
                        + r.leaseTerm() + " but a leader of term " + checker.maxLeaderTerm() + " was elected before");
            }
            waitingForApply.computeIfAbsent(node, k -> new ArrayList<>())
                    .add(new Serving(rs.requestId(), rs.index(), r.commitBound(), r.op(), r.key()));
        }
        for (long id : rd.abortedReads()) {
            Registered r = registered.remove(id);
            if (r == null || !r.node().equals(node)) {
                checker.fail("read " + id + " aborted by " + node + " but pending there: " + r);
            } else {
                clients.readFailed(r.op());
            }
            aborted++;
        }
    }

    /**
     * Serves every confirmed read of {@code node} whose index it has applied, checking each; the read returns the
     * node's state machine for its key.
     */
    void afterApply(SimNode simNode) {
        NodeId node = simNode.id();
        long lastApplied = simNode.lastApplied();
        List<Serving> waiting = waitingForApply.get(node);
        if (waiting == null) {
            return;
        }
        for (Iterator<Serving> it = waiting.iterator(); it.hasNext(); ) {
            Serving s = it.next();
            if (s.index() <= lastApplied) {
                it.remove();
                served++;
                clients.readServed(s.op(), simNode.read(s.key()));
                if (s.index() < s.commitBound()) {
                    checker.fail("Linearizability: read " + s.requestId() + " on " + node + " served at read index "
                            + s.index() + " but index " + s.commitBound() + " was committed before it was registered");
                }
            }
        }
    }

    /** A crash loses the node's pending and confirmed reads (their clients get an error). */
    void onCrash(NodeId node) {
        registered.values().removeIf(r -> {
            if (r.node().equals(node)) {
                clients.readFailed(r.op());
                return true;
            }
            return false;
        });
        List<Serving> lost = waitingForApply.remove(node);
        if (lost != null) {
            lost.forEach(s -> clients.readFailed(s.op()));
        }
    }
}
