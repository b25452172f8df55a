package org.raftlib;

import java.util.Optional;

/**
 * Receives a node's role, leader and failure events. Every method has an empty default.
 *
 * <p>Called on the node's apply thread, in the order the events happened, so a slow listener delays applies; hand
 * heavy work to your own executor. An exception thrown by a listener is logged and otherwise ignored.
 */
public interface RaftListener {

    /**
     * This node's role changed.
     *
     * @param role the new role
     * @param term the term it holds the role in
     */
    default void onRoleChange(RaftRole role, long term) {
    }

    /**
     * The leader this node knows of changed.
     *
     * @param leader the new leader, or empty while none is known
     * @param term the term
     */
    default void onLeaderChange(Optional<NodeId> leader, long term) {
    }

    /**
     * The node failed and stopped; called once.
     *
     * @param cause why
     */
    default void onFailure(Throwable cause) {
    }
}
