package org.raftlib.internal.runtime;

import java.util.List;
import java.util.function.Consumer;
import org.raftlib.RaftEvent;
import org.raftlib.RaftListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hands {@link RaftEvent}s to the node's listeners on the apply thread, in the order they are emitted: each event
 * is queued on the apply worker, so events from the loop, the storage worker and the apply thread itself keep the
 * order in which they were queued. Each listener hears an event through its matching older method
 * ({@link RaftListener#onRoleChange} and so on) first, then through {@link RaftListener#onEvent}. Thread-safe.
 */
final class Events {

    private static final Logger LOG = LoggerFactory.getLogger(Events.class);

    private final String nodeId;
    private final List<RaftListener> listeners;
    private final Consumer<Object> toApplyThread;

    /**
     * @param nodeId for logs
     * @param listeners the node's listeners, a concurrent list
     * @param toApplyThread queues a task on the apply worker
     */
    Events(String nodeId, List<RaftListener> listeners, Consumer<Object> toApplyThread) {
        this.nodeId = nodeId;
        this.listeners = listeners;
        this.toApplyThread = toApplyThread;
    }

    /** Queues {@code event} for the listeners registered when it is delivered; callable from any thread. */
    void emit(RaftEvent event) {
        if (listeners.isEmpty()) {
            return;
        }
        toApplyThread.accept((Runnable) () -> deliverNow(event));
    }

    /**
     * Tells every listener of {@code event} on the calling thread; what a listener throws is logged and ignored, an
     * {@code Error} too (an {@code AssertionError} in a test's listener failed every node), but not a
     * {@link VirtualMachineError}: the JVM itself is then in trouble.
     */
    void deliverNow(RaftEvent event) {
        for (RaftListener l : listeners) {
            try {
                legacy(l, event);
            } catch (Throwable e) {                            // an undeclared checked exception too
                ignore(event, e);
            }
            try {
                l.onEvent(event);
            } catch (Throwable e) {                            // an undeclared checked exception too
                ignore(event, e);
            }
        }
    }

    private void ignore(RaftEvent event, Throwable e) {
        if (e instanceof VirtualMachineError fatal) {
            throw fatal;
        }
        LOG.warn("{} a listener threw on {}; ignored", nodeId, event, e);
    }

    private static void legacy(RaftListener l, RaftEvent event) {
        if (event instanceof RaftEvent.RoleChanged r) {
            l.onRoleChange(r.role(), r.term());
        } else if (event instanceof RaftEvent.LeaderChanged c) {
            l.onLeaderChange(c.leader(), c.term());
        } else if (event instanceof RaftEvent.NodeFailed f) {
            l.onFailure(f.cause());
        }
    }
}
