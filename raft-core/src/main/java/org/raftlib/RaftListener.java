package org.raftlib;

import java.util.Optional;

/**
 * Receives a node's events. Every method has an empty default: implement {@link #onEvent} for every kind of
 * {@link RaftEvent}, or the older per-kind methods {@link #onRoleChange}, {@link #onLeaderChange} and
 * {@link #onFailure}, which keep working and are called just before {@code onEvent} for the same event.
 *
 * <p><b>Threading and order.</b> Called on the node's apply thread, one event at a time, in the order the events
 * happened, interleaved with applies: a slow listener delays applies (and every future the node completes), so hand
 * heavy work to your own executor. Never block on a raftlib future here. Events still queued when the node stops are
 * dropped; {@link RaftEvent.NodeFailed} (with {@link #onFailure}) comes last, once, on the thread that stops the
 * node. Whatever a listener throws is logged and otherwise ignored, an {@code Error} too (not a
 * {@link VirtualMachineError}).
 */
public interface RaftListener {

    /**
     * Something happened; see the kinds of {@link RaftEvent}.
     *
     * @param event the event
     */
    default void onEvent(RaftEvent event) {
    }

    /**
     * This node's role changed (a new term in the same role is not a change); the first call after start reports
     * the role the node starts in. Same as {@link RaftEvent.RoleChanged}.
     *
     * @param role the new role
     * @param term the term it holds the role in
     */
    default void onRoleChange(RaftRole role, long term) {
    }

    /**
     * The leader this node knows of changed. Same as {@link RaftEvent.LeaderChanged}.
     *
     * @param leader the new leader, or empty while none is known
     * @param term the term
     */
    default void onLeaderChange(Optional<NodeId> leader, long term) {
    }

    /**
     * The node failed and stopped; called once. Same as {@link RaftEvent.NodeFailed}.
     *
     * @param cause why
     */
    default void onFailure(Throwable cause) {
    }
}
