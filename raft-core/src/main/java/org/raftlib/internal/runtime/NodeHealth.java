package org.raftlib.internal.runtime;

import org.raftlib.Health;
import org.raftlib.NodeId;
import org.raftlib.NodeState;

/** Computes {@link org.raftlib.RaftNode#health()} from what the node's threads publish; never waits on them. */
final class NodeHealth {

    private NodeHealth() {
    }

    /**
     * What the node's threads last published.
     *
     * @param removedAt the index of the latest configuration the node holds if it leaves the node out, else -1
     * @param snapshotFailure the last snapshot the node failed to receive since it last received one, or null
     * @param applyBusy what the apply thread works on, or null while it waits for tasks
     */
    record Published(NodeId leader, long term, long commit, long applied, long removedAt,
            SnapshotReceiver.Failure snapshotFailure, ApplyWorker.Busy applyBusy) {
    }

    /**
     * Returns the health of a node in {@code state}.
     *
     * @param id the node
     * @param state its lifecycle state
     * @param failure why it failed, if it did (else null)
     * @param seen what its threads published, or null if its loop never ran
     * @param maxApplyLag how far applies may trail commits on a ready node
     * @param maxApplyStallNanos how long the apply thread may make no progress on a ready node
     * @param nowNanos the time of the check ({@link System#nanoTime()})
     * @return the health
     */
    static Health of(NodeId id, NodeState state, Throwable failure, Published seen, long maxApplyLag,
            long maxApplyStallNanos, long nowNanos) {
        switch (state) {
            case CREATED:
                return Health.notLive(id + " is not started");
            case CLOSED:
                return Health.notLive(id + " is closed");
            case FAILED:
                return Health.notLive(id + " has failed" + (failure == null ? "" : ": " + failure));
            default:
                break;
        }
        if (seen == null) {
            return Health.notReady(id + " is starting");
        }
        if (seen.removedAt() >= 0) {
            return Health.notReady(id + " is not a member of the configuration at index " + seen.removedAt()
                    + " (removed: close it)");
        }
        if (seen.leader() == null) {
            return Health.notReady(id + (seen.term() < 0 ? " is starting: it knows no leader yet"   // loop not turned
                    : " knows no leader in term " + seen.term() + (seen.term() > 0 ? ""
                    : " (no leader has reached it yet; a node started to join waits until a leader adds it)")));
        }
        SnapshotReceiver.Failure f = seen.snapshotFailure();
        if (f != null && seen.applied() < f.index()) {           // the leader sends a snapshot only when it must
            return Health.notReady(id + " could not take the snapshot at index " + f.index() + " it needs to catch up ("
                    + f.reason() + "); it has applied up to index " + seen.applied());
        }
        ApplyWorker.Busy busy = seen.applyBusy();
        if (busy != null && nowNanos - busy.sinceNanos() > maxApplyStallNanos) {
            return Health.notReady(id + "'s apply thread has made no progress for "
                    + (nowNanos - busy.sinceNanos()) / 1_000_000 + " ms (" + busy.doing() + "; applied up to index "
                    + seen.applied() + " of " + seen.commit() + " committed): the state machine, or a callback run"
                    + " on its thread, is slow or stuck (ready within " + maxApplyStallNanos / 1_000_000 + " ms)");
        }
        long lag = seen.commit() - seen.applied();
        if (lag > maxApplyLag) {
            return Health.notReady(id + " has applied up to index " + seen.applied() + ", " + lag
                    + " entries behind the commit index " + seen.commit() + " it knows of (ready within "
                    + maxApplyLag + ")");
        }
        return Health.healthy();
    }
}
