package org.raftlib.local;

import java.io.IOException;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.raftlib.NodeId;
import org.raftlib.Transport;
import org.raftlib.message.RaftMessage;

/**
 * The network of a {@link LocalTransport.Hub}: routes messages through one priority queue ordered by due time and
 * then by send order, drained by one daemon dispatcher thread.
 *
 * <p>Invariant: every field below except the thread is guarded by {@code lock}; the random generator is used only
 * under the lock, so one seed and one order of sends give the same fault decisions. Messages due at the same time
 * leave in send order, which keeps per-link order when no delay or reorder fault is set.
 */
final class LocalHub extends LocalTransport.Hub {

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final PriorityQueue<Pending> queue = new PriorityQueue<>();
    private final SplittableRandom random;
    private final Map<NodeId, LocalTransport> nodes = new HashMap<>();
    private final Map<NodeId, Integer> partitionGroups = new HashMap<>();
    private final Set<NodeId> isolated = new HashSet<>();
    private final Set<Link> droppedLinks = new HashSet<>();
    private final Thread dispatcher;
    private NetworkFaults faults;
    private long sequence;
    private long delivered;
    private long dropped;
    private boolean closed;

    LocalHub(long seed, NetworkFaults faults) {
        this.faults = Objects.requireNonNull(faults, "faults");
        this.random = new SplittableRandom(seed);
        this.dispatcher = new Thread(this::dispatchLoop, "raft-local-hub-" + seed + "-dispatcher");
        dispatcher.setDaemon(true);
        dispatcher.start();
    }

    @Override
    public Transport transport() {
        lock.lock();
        try {
            if (closed) {
                throw new IllegalStateException("hub is closed");
            }
            return new LocalTransport(this);
        } finally {
            lock.unlock();
        }
    }

    void register(NodeId id, LocalTransport transport) throws IOException {
        lock.lock();
        try {
            if (closed) {
                throw new IllegalStateException("hub is closed");
            }
            if (nodes.containsKey(id)) {
                throw new IOException("node id " + id + " is already registered on this hub");
            }
            nodes.put(id, transport);
        } finally {
            lock.unlock();
        }
    }

    void unregister(NodeId id, LocalTransport transport) {
        lock.lock();
        try {
            nodes.remove(id, transport);
        } finally {
            lock.unlock();
        }
    }

    void route(RaftMessage message) {
        lock.lock();
        try {
            if (closed || isCut(message.from(), message.to()) || random.nextDouble() < faults.dropRate()) {
                dropped++;
                return;
            }
            enqueue(message);
            if (random.nextDouble() < faults.duplicateRate()) {
                enqueue(message);
            }
            changed.signal();
        } finally {
            lock.unlock();
        }
    }

    private void enqueue(RaftMessage message) {
        long delayNanos = faults.minDelay().toNanos();
        long spread = faults.maxDelay().toNanos() - delayNanos;
        if (spread > 0) {
            delayNanos += random.nextLong(spread + 1);
        }
        if (faults.reorderRate() > 0 && random.nextDouble() < faults.reorderRate()) {
            delayNanos += 1 + random.nextLong(faults.reorderWindow().toNanos());
        }
        queue.add(new Pending(System.nanoTime() + delayNanos, sequence++, message));
    }

    private boolean isCut(NodeId from, NodeId to) {
        if (isolated.contains(from) || isolated.contains(to) || droppedLinks.contains(new Link(from, to))) {
            return true;
        }
        return !partitionGroups.isEmpty()
                && !Objects.equals(partitionGroups.get(from), partitionGroups.get(to));
    }

    void countDropped() {
        lock.lock();
        try {
            dropped++;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void faults(NetworkFaults faults) {
        Objects.requireNonNull(faults, "faults");
        lock.lock();
        try {
            this.faults = faults;
        } finally {
            lock.unlock();
        }
    }

    @Override
    void partition(List<Set<NodeId>> groups) {
        Map<NodeId, Integer> assigned = new HashMap<>();
        for (int g = 0; g < groups.size(); g++) {
            for (NodeId id : groups.get(g)) {
                if (assigned.put(id, g) != null) {
                    throw new IllegalArgumentException("node " + id + " is in more than one partition group");
                }
            }
        }
        lock.lock();
        try {
            partitionGroups.clear();
            partitionGroups.putAll(assigned);
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void isolate(NodeId node) {
        Objects.requireNonNull(node, "node");
        lock.lock();
        try {
            isolated.add(node);
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void dropLink(NodeId from, NodeId to) {
        Link link = new Link(Objects.requireNonNull(from, "from"), Objects.requireNonNull(to, "to"));
        lock.lock();
        try {
            droppedLinks.add(link);
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void heal() {
        lock.lock();
        try {
            partitionGroups.clear();
            isolated.clear();
            droppedLinks.clear();
        } finally {
            lock.unlock();
        }
    }

    @Override
    public long delivered() {
        lock.lock();
        try {
            return delivered;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public long dropped() {
        lock.lock();
        try {
            return dropped;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void close() {
        lock.lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            dropped += queue.size();
            queue.clear();
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        if (Thread.currentThread() != dispatcher) {
            try {
                dispatcher.join(TimeUnit.SECONDS.toMillis(10));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void dispatchLoop() {
        while (true) {
            Pending next;
            LocalTransport target;
            lock.lock();
            try {
                next = awaitDue();
                if (next == null) {
                    return;
                }
                target = nodes.get(next.message().to());
                if (target == null) {
                    dropped++;
                    continue;
                }
                delivered++;
            } finally {
                lock.unlock();
            }
            target.deliver(next.message());
        }
    }

    /** Waits, holding the lock, until the head of the queue is due; returns null once the hub is closed. */
    private Pending awaitDue() {
        while (!closed) {
            Pending head = queue.peek();
            if (head == null) {
                changed.awaitUninterruptibly();
                continue;
            }
            long wait = head.dueNanos() - System.nanoTime();
            if (wait <= 0) {
                return queue.poll();
            }
            try {
                changed.awaitNanos(wait);
            } catch (InterruptedException e) {
                // Documented ignore path: only close() stops the dispatcher; an interrupt just re-checks the queue.
                Thread.interrupted();
            }
        }
        return null;
    }

    private record Link(NodeId from, NodeId to) {
    }

    private record Pending(long dueNanos, long sequence, RaftMessage message) implements Comparable<Pending> {

        @Override
        public int compareTo(Pending o) {
            int byDue = Long.compare(dueNanos, o.dueNanos);
            return byDue != 0 ? byDue : Long.compare(sequence, o.sequence);
        }
    }
}
