package org.raftlib.internal.core;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.raftlib.NodeId;
import org.raftlib.RaftRole;
import org.raftlib.message.ReadIndexRequest;
import org.raftlib.message.ReadIndexResponse;

/**
 * A follower's reads forwarded to its leader, in batches: one {@link ReadIndexRequest} in flight per leader, and the
 * reads registered meanwhile wait and go together in the next one, whose answer confirms them all at its read index.
 * Under load that is one request per round trip instead of one per read. A batch asks for a lease answer only if
 * every read in it does. Reads fail (aborted) when their batch has no answer within an election timeout, or when they
 * wait that long without being sent (no leader to send them to).
 */
final class ForwardedReads {

    private record Batch(NodeId leader, long deadline, List<Long> readIds) {
    }

    private final RaftCore core;
    /**
     * Batches sent and not answered, oldest first, by batch id: the id of the batch's first read, which the runtime
     * keeps unique across restarts, so that a late answer to a batch of an earlier run matches nothing.
     */
    private final Map<Long, Batch> inFlight = new LinkedHashMap<>();
    private final List<Long> waiting = new ArrayList<>();
    private boolean waitingStrict;
    private long waitingSince;
    private long ticks;

    ForwardedReads(RaftCore core) {
        this.core = core;
    }

    /** Registers a read for {@code leader}; sent at once unless a batch to it is in flight. */
    void add(long readId, boolean lease, NodeId leader) {
        if (waiting.isEmpty()) {
            waitingSince = ticks;
        }
        waiting.add(readId);
        waitingStrict |= !lease;
        sendIfIdle(leader);
    }

    private void sendIfIdle(NodeId leader) {
        if (waiting.isEmpty()) {
            return;
        }
        for (Batch b : inFlight.values()) {
            if (b.leader().equals(leader)) {
                return;
            }
        }
        long id = waiting.get(0);
        inFlight.put(id, new Batch(leader, ticks + core.config().electionTicks(), List.copyOf(waiting)));
        core.send(new ReadIndexRequest(core.id(), leader, core.term(), id, !waitingStrict));
        waiting.clear();
        waitingStrict = false;
    }

    /** The answer for a batch; ignored unless it is pending and comes from the node asked. */
    void onResponse(ReadIndexResponse m, List<ReadState> confirmed, List<Long> aborted) {
        Batch b = inFlight.get(m.requestId());
        if (b == null || !b.leader().equals(m.from())) {
            return;
        }
        inFlight.remove(m.requestId());
        for (long id : b.readIds()) {
            if (m.accepted()) {
                confirmed.add(new ReadState(id, m.readIndex()));
            } else {
                aborted.add(id);
            }
        }
        sendWaiting();
    }

    /** Fails the batches unanswered, and the reads unsent, for an election timeout; sends what waits if it can. */
    void tick(List<Long> aborted) {
        ticks++;
        for (Iterator<Batch> it = inFlight.values().iterator(); it.hasNext(); ) {
            Batch b = it.next();
            if (b.deadline() > ticks) {
                break;                                       // deadlines grow in insertion order
            }
            it.remove();
            aborted.addAll(b.readIds());
        }
        if (!waiting.isEmpty() && ticks - waitingSince >= core.config().electionTicks()) {
            aborted.addAll(waiting);
            waiting.clear();
            waitingStrict = false;
        }
        sendWaiting();
    }

    private void sendWaiting() {
        if (!waiting.isEmpty() && core.currentRole() == RaftRole.FOLLOWER) {
            core.currentLeader().ifPresent(this::sendIfIdle);
        }
    }
}
