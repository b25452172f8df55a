package org.raftlib.internal.runtime;

import java.io.IOException;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.raftlib.LogStorage;
import org.raftlib.NodeId;
import org.raftlib.SnapshotStore;
import org.raftlib.Transport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The transport, stores and state machine of one node, held from {@link #claim()} until they are closed. Each serves
 * one running node of the JVM: a second node given the same object would reconfigure and close the first one's
 * transport, write into its log or apply every command a second time, from a second thread, to its state machine,
 * so its {@link #claim()} fails before it touches anything, and its close leaves the objects alone.
 * Internal; public for the builder's checks.
 */
public final class NodeResources {

    private static final Logger LOG = LoggerFactory.getLogger(NodeResources.class);

    /** The user's objects held by running nodes; guarded by itself. */
    private static final Map<Object, NodeResources> HELD = new IdentityHashMap<>();

    private final NodeId id;
    private final Transport transport;
    private final LogStorage log;
    private final SnapshotStore snapshots;
    private final Object userTransport;
    private final Map<Object, String> owned = new IdentityHashMap<>();
    private Set<Object> closable;             // decided at the first close; guarded by HELD

    /**
     * @param id the node
     * @param userTransport the transport the user gave, which identifies it
     * @param transport the transport as the node uses it (possibly a wrapper of {@code userTransport})
     * @param log the log storage
     * @param snapshots the snapshot store, or null
     * @param stateMachine the state machine the user gave
     */
    NodeResources(NodeId id, Transport userTransport, Transport transport, LogStorage log, SnapshotStore snapshots,
            Object stateMachine) {
        this.id = id;
        this.transport = transport;
        this.userTransport = userTransport;
        this.log = log;
        this.snapshots = snapshots;
        owned.put(userTransport, "transport");
        owned.put(log, "log storage");
        if (snapshots != null) {
            owned.putIfAbsent(snapshots, "snapshot store");
        }
        owned.putIfAbsent(stateMachine, "state machine");
    }

    /**
     * Adds a problem for each part that a running node holds.
     *
     * @param parts the parts by the name the problem gives them; null values are skipped
     * @param problems where problems go
     */
    public static void checkFree(Map<String, Object> parts, List<String> problems) {
        synchronized (HELD) {
            parts.forEach((name, part) -> {
                NodeResources holder = part != null ? HELD.get(part) : null;
                if (holder != null) {
                    problems.add(name + " is in use by running node " + holder.id + " (each node needs its own)");
                }
            });
        }
    }

    /**
     * Returns whether a running node holds {@code part}.
     *
     * @param part a transport or store
     * @return whether a started node that has not closed yet holds it
     */
    public static boolean isHeld(Object part) {
        synchronized (HELD) {
            return HELD.containsKey(part);
        }
    }

    /**
     * Makes this node the holder of its transport and stores.
     *
     * @throws IllegalStateException if another running node holds one of them
     */
    void claim() {
        synchronized (HELD) {
            for (Map.Entry<Object, String> e : owned.entrySet()) {
                NodeResources holder = HELD.get(e.getKey());
                if (holder != null && holder != this) {
                    throw new IllegalStateException(id + " cannot start: its " + e.getValue() + " is in use by node "
                            + holder.id + " (each node needs its own transport, log storage, snapshot store and state"
                            + " machine)");
                }
            }
            owned.keySet().forEach(o -> HELD.put(o, this));
        }
    }

    /** Closes the transport unless another node holds it. */
    void closeTransport() {
        if (release().contains(userTransport)) {
            transport.close();
        }
    }

    /** Closes the log storage and the snapshot store, each unless another node holds it; logs failures. */
    void closeStores() {
        Set<Object> closable = release();
        if (closable.contains(log)) {
            try {
                log.close();
            } catch (IOException | RuntimeException e) {
                LOG.warn("{} closing the log storage failed", id, e);
            }
        }
        if (snapshots != null && snapshots != log && closable.contains(snapshots)) {
            try {
                snapshots.close();
            } catch (IOException | RuntimeException e) {
                LOG.warn("{} closing the snapshot store failed", id, e);
            }
        }
    }

    /** Gives up this node's claims (once) and returns its objects that no other node holds. */
    private Set<Object> release() {
        synchronized (HELD) {
            if (closable == null) {
                Set<Object> mine = Collections.newSetFromMap(new IdentityHashMap<>());
                for (Object o : owned.keySet()) {
                    NodeResources holder = HELD.get(o);
                    if (holder == null || holder == this) {
                        mine.add(o);
                    }
                }
                HELD.values().removeIf(holder -> holder == this);
                closable = mine;
            }
            return closable;
        }
    }
}
