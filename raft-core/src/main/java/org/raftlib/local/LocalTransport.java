package org.raftlib.local;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.raftlib.Member;
import org.raftlib.NodeId;
import org.raftlib.Transport;
import org.raftlib.message.RaftMessage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An in-process {@link Transport}: the nodes of one JVM exchange messages through a shared {@link Hub}, which
 * can inject seeded faults (drops, duplicates, reordering, delays, partitions). For tests and single-JVM demos.
 *
 * <pre>{@code
 * try (LocalTransport.Hub hub = LocalTransport.hub(42)) {
 *     Transport t1 = hub.transport();
 *     t1.start(Member.of("n1", "local"), inbox1::add);
 *     ...
 *     hub.partition(Set.of(n1), Set.of(n2, n3));
 * }
 * }</pre>
 *
 * <p><b>Delivery.</b> {@link #send} only enqueues on the hub; one hub-owned daemon thread delivers every message, so
 * the inbound consumer is called from that thread, one message at a time. Without reorder or delay faults, messages
 * on each link arrive in the order sent. A message is dropped (and counted by the hub) when the sender is not
 * started or closed, the addressee is not in the address book of {@link #updatePeers}, the link is cut, a random
 * drop hits it, or the addressee is not started when the message is due.
 *
 * <p><b>Threading.</b> Thread-safe; {@link #send} never blocks and never throws.
 */
public final class LocalTransport implements Transport {

    private static final Logger LOG = LoggerFactory.getLogger(LocalTransport.class);

    private static final int NEW = 0;
    private static final int STARTED = 1;
    private static final int CLOSED = 2;

    private final LocalHub hub;
    private final AtomicInteger state = new AtomicInteger(NEW);
    private volatile Member self;
    private volatile Consumer<RaftMessage> inbound;
    private volatile Map<NodeId, Member> peers = Map.of();

    LocalTransport(LocalHub hub) {
        this.hub = hub;
    }

    /**
     * Returns a new hub without faults. Close it to release its dispatcher thread.
     *
     * @param seed seeds every random fault decision of the hub
     * @return the hub
     */
    public static Hub hub(long seed) {
        return hub(seed, NetworkFaults.none());
    }

    /**
     * Returns a new hub that injects {@code faults}. Close it to release its dispatcher thread.
     *
     * @param seed seeds every random fault decision of the hub
     * @param faults the faults to inject into every message
     * @return the hub
     * @throws NullPointerException if {@code faults} is null
     */
    public static Hub hub(long seed, NetworkFaults faults) {
        return new LocalHub(seed, faults);
    }

    /**
     * {@inheritDoc}
     *
     * <p>Registers this transport on its hub under {@code self.id()}; {@code self.address()} is ignored.
     *
     * @throws IOException if another started transport of the hub already uses {@code self.id()}
     * @throws IllegalStateException if this transport was already started or is closed, or the hub is closed
     */
    @Override
    public void start(Member self, Consumer<RaftMessage> inbound) throws IOException {
        Objects.requireNonNull(self, "self");
        Objects.requireNonNull(inbound, "inbound");
        if (!state.compareAndSet(NEW, STARTED)) {
            throw new IllegalStateException("transport already " + (state.get() == CLOSED ? "closed" : "started"));
        }
        this.self = self;
        this.inbound = inbound;
        try {
            hub.register(self.id(), this);
        } catch (IOException | RuntimeException e) {
            state.set(CLOSED);
            throw e;
        }
    }

    @Override
    public void updatePeers(Collection<Member> peers) {
        Map<NodeId, Member> book = new HashMap<>();
        for (Member m : peers) {
            book.put(m.id(), m);
        }
        this.peers = Map.copyOf(book);
    }

    @Override
    public void send(RaftMessage message) {
        Member me = self;
        if (message == null || state.get() != STARTED || me == null || !message.from().equals(me.id())
                || !peers.containsKey(message.to())) {
            hub.countDropped();
            return;
        }
        hub.route(message);
    }

    @Override
    public void close() {
        if (state.getAndSet(CLOSED) == STARTED) {
            hub.unregister(self.id(), this);
        }
    }

    /** Called by the hub's dispatcher thread only. */
    void deliver(RaftMessage message) {
        if (state.get() != STARTED) {
            return;
        }
        try {
            inbound.accept(message);
        } catch (RuntimeException e) {
            LOG.warn("{} inbound consumer threw on {}; message dropped", self.id(), message.type(), e);
        }
    }

    /**
     * A set of in-process nodes and the network between them, with programmable faults. Owns one daemon dispatcher
     * thread, released by {@link #close()}. Create one with {@link LocalTransport#hub(long)}.
     *
     * <p>Thread-safe.
     */
    public abstract static sealed class Hub implements AutoCloseable permits LocalHub {

        Hub() {
        }

        /**
         * Returns a new, unstarted transport on this hub.
         *
         * @return the transport
         * @throws IllegalStateException if the hub is closed
         */
        public abstract Transport transport();

        /**
         * Replaces the random faults injected into messages sent from now on.
         *
         * @param faults the faults
         * @throws NullPointerException if {@code faults} is null
         */
        public abstract void faults(NetworkFaults faults);

        /**
         * Splits the network: nodes in different groups cannot reach each other. A node named in no group reaches
         * only other nodes named in no group. Replaces any earlier partition; {@link #heal()} undoes it.
         *
         * @param groups disjoint groups of nodes
         * @throws IllegalArgumentException if a node appears in two groups
         * @throws NullPointerException if a group is null
         */
        @SafeVarargs
        public final void partition(Set<NodeId>... groups) {
            List<Set<NodeId>> copy = new ArrayList<>(groups.length);
            for (Set<NodeId> group : groups) {
                copy.add(Set.copyOf(group));
            }
            partition(copy);
        }

        /** Implements {@link #partition(Set[])}. */
        abstract void partition(List<Set<NodeId>> groups);

        /**
         * Cuts {@code node} off from every other node until {@link #heal()}.
         *
         * @param node the node
         * @throws NullPointerException if {@code node} is null
         */
        public abstract void isolate(NodeId node);

        /**
         * Drops every message from {@code from} to {@code to} (one direction) until {@link #heal()}.
         *
         * @param from the sender
         * @param to the addressee
         * @throws NullPointerException if an argument is null
         */
        public abstract void dropLink(NodeId from, NodeId to);

        /** Undoes every partition, isolation and dropped link; random faults stay. */
        public abstract void heal();

        /**
         * Returns how many messages the hub has handed to an inbound consumer.
         *
         * @return the count since the hub was created
         */
        public abstract long delivered();

        /**
         * Returns how many messages the hub has dropped, for any reason.
         *
         * @return the count since the hub was created
         */
        public abstract long dropped();

        /** Stops the dispatcher thread and drops every message in flight. Idempotent. */
        @Override
        public abstract void close();
    }
}
