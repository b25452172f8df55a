package org.raftlib.examples.kv;

import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import org.raftlib.NodeId;
import org.raftlib.NotLeaderException;
import org.raftlib.RaftNode;
import org.raftlib.RaftStatus;

/**
 * Waits, on the leader, until a learner has caught up before it is promoted: until the leader has replicated to it
 * everything that was committed when the wait began.
 *
 * <p>raftlib promotes a learner once its log is within 10,000 entries of the leader's, which a learner the leader
 * has never heard from (not started, wrong address) also meets while the log is short; promoting such a learner
 * would make the cluster count a voter that cannot vote. So the example checks the learner's progress itself.
 */
final class CatchUp {

    private static final long POLL_MILLIS = 50;

    private final RaftNode node;

    CatchUp(RaftNode node) {
        this.node = node;
    }

    /**
     * Completes once the learner {@code id} has caught up; fails with {@link NotLeaderException} if this node does
     * not lead, {@link IllegalArgumentException} if {@code id} is not a learner, and {@link NotCaughtUpException} at
     * {@code deadlineNanos} ({@link System#nanoTime()}).
     */
    CompletableFuture<Void> await(NodeId id, long deadlineNanos) {
        return poll(id, -1, deadlineNanos);
    }

    private CompletableFuture<Void> poll(NodeId id, long goal, long deadline) {
        return CompletableFuture.supplyAsync(node::status).thenCompose(s -> {
            if (!s.isLeader()) {
                return CompletableFuture.failedFuture(new NotLeaderException(node.id(), s.leader()));
            }
            if (!s.configuration().learners().contains(id)) {
                return CompletableFuture.failedFuture(new IllegalArgumentException(id + " is not a learner: "
                        + s.configuration()));
            }
            long target = goal < 0 ? s.commitIndex() : goal;
            long match = Optional.ofNullable(s.peers().get(id)).map(RaftStatus.PeerStatus::matchIndex).orElse(0L);
            if (match >= target) {
                return CompletableFuture.completedFuture(null);
            }
            if (System.nanoTime() - deadline >= 0) {
                return CompletableFuture.failedFuture(new NotCaughtUpException(id + " has not caught up with the"
                        + " leader's log: the leader has replicated up to index " + match + " of " + target + " to it."
                        + " Check that it runs (a new or wiped node: started with --join) and reaches the cluster,"
                        + " then promote it"));
            }
            Executor later = CompletableFuture.delayedExecutor(POLL_MILLIS, TimeUnit.MILLISECONDS);
            return CompletableFuture.runAsync(() -> { }, later).thenCompose(v -> poll(id, target, deadline));
        });
    }

    /** A learner did not catch up in time; it stays a learner. */
    static final class NotCaughtUpException extends RuntimeException {

        private static final long serialVersionUID = 1L;

        NotCaughtUpException(String message) {
            super(message);
        }
    }
}
