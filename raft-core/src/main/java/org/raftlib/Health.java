package org.raftlib;

import java.util.Objects;
import java.util.Optional;

/**
 * A node's health for an orchestrator's probes, from {@link RaftNode#health()}.
 *
 * <ul>
 *   <li><b>live</b>: the node runs: started, and neither closed nor {@link NodeState#FAILED}. A node that is not
 *       live does not recover by itself; restart it.
 *   <li><b>ready</b>: live, a leader is known, and this node's applied index is within
 *       {@link RaftOptions#readyMaxApplyLag()} entries of the highest commit index it knows of (its own, or on a
 *       follower the one its leader announces, even beyond its log). Not ready during an election, while cut
 *       off from the leader (once its election timeout passes), while it replays or catches up on commits it
 *       knows of, after it failed to take the snapshot it needs to catch up (until it has applied that far), and
 *       once the latest configuration it holds leaves it out (it was removed), and while its apply thread has made no
 *       progress for {@link RaftOptions#readyMaxApplyStall()} (a state machine, listener or callback stuck or slow on
 *       that thread). A follower's commit
 *       index may itself trail the leader's by a round trip; this check does not ask the leader.
 * </ul>
 *
 * @param live whether the node runs
 * @param ready whether it runs, knows a leader and has applied about what it knows committed
 * @param liveReason why it is not live; empty when live
 * @param readyReason why it is not ready; empty when ready
 */
public record Health(boolean live, boolean ready, Optional<String> liveReason, Optional<String> readyReason) {

    /**
     * Checks that each reason is present exactly when its check fails, and that a node that is not live is not
     * ready.
     *
     * @throws IllegalArgumentException if not
     * @throws NullPointerException if a reason is null
     */
    public Health {
        Objects.requireNonNull(liveReason, "liveReason");
        Objects.requireNonNull(readyReason, "readyReason");
        if (live == liveReason.isPresent() || ready == readyReason.isPresent() || (ready && !live)) {
            throw new IllegalArgumentException("inconsistent health: live=" + live + " " + liveReason + ", ready="
                    + ready + " " + readyReason);
        }
    }

    /**
     * Returns a live and ready health.
     *
     * @return the health
     */
    public static Health healthy() {
        return new Health(true, true, Optional.empty(), Optional.empty());
    }

    /**
     * Returns a live health that is not ready.
     *
     * @param reason why not ready
     * @return the health
     * @throws NullPointerException if {@code reason} is null
     */
    public static Health notReady(String reason) {
        return new Health(true, false, Optional.empty(), Optional.of(reason));
    }

    /**
     * Returns a health that is neither live nor ready, for the same reason.
     *
     * @param reason why not live
     * @return the health
     * @throws NullPointerException if {@code reason} is null
     */
    public static Health notLive(String reason) {
        return new Health(false, false, Optional.of(reason), Optional.of("not live: " + reason));
    }
}
