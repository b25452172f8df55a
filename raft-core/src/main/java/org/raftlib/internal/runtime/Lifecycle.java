package org.raftlib.internal.runtime;

import java.util.concurrent.atomic.AtomicReference;
import org.raftlib.NodeId;
import org.raftlib.NodeState;
import org.raftlib.RaftClosedException;
import org.raftlib.RaftException;
import org.raftlib.RaftFailedException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** A node's lifecycle state, shared by its threads; the first failure wins and is logged once. */
final class Lifecycle {

    private static final Logger LOG = LoggerFactory.getLogger(Lifecycle.class);

    private final NodeId id;
    private final AtomicReference<NodeState> state = new AtomicReference<>(NodeState.CREATED);
    private volatile Throwable failure;

    Lifecycle(NodeId id) {
        this.id = id;
    }

    NodeState state() {
        return state.get();
    }

    boolean isRunning() {
        return state.get() == NodeState.RUNNING;
    }

    boolean start() {
        return state.compareAndSet(NodeState.CREATED, NodeState.RUNNING);
    }

    /** Moves to CLOSED unless already stopped; returns whether this call closed it. */
    boolean close() {
        return state.compareAndSet(NodeState.RUNNING, NodeState.CLOSED)
                || state.compareAndSet(NodeState.CREATED, NodeState.CLOSED);
    }

    /** Moves to FAILED if running; returns whether this call failed it (then the caller stops the node). */
    boolean fail(Throwable cause) {
        return fail(cause, false);
    }

    /**
     * Moves to FAILED during {@code start()}, whose caller gets {@code cause}: one line here, its trace at DEBUG
     * (an outside probe read a 20-line trace before the application's own clear message, for a port in use).
     */
    boolean failStart(Throwable cause) {
        return fail(cause, true);
    }

    private boolean fail(Throwable cause, boolean thrown) {
        if (!state.compareAndSet(NodeState.RUNNING, NodeState.FAILED)) {
            LOG.debug("{} ignored a failure after stopping", id, cause);
            return false;
        }
        failure = cause;
        if (thrown) {
            LOG.info("{} could not start: {}", id, cause.toString());
            LOG.debug("{} start failure", id, cause);
        } else {
            LOG.error("{} failed and stopped", id, cause);
        }
        return true;
    }

    Throwable failure() {
        return failure;
    }

    /** Returns the exception a request gets while the node is not running. */
    RaftException notRunning() {
        NodeState s = state.get();
        return switch (s) {
            case FAILED -> new RaftFailedException(id + " has failed", failure);
            case CREATED -> new RaftClosedException(id + " is not started");
            default -> new RaftClosedException(id + " is closed");
        };
    }
}
