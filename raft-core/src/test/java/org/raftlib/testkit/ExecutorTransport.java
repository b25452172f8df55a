package org.raftlib.testkit;

import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicInteger;
import org.raftlib.NodeId;
import org.raftlib.Transport;
import org.raftlib.message.RaftMessage;

/**
 * Wraps a transport and offers a single-thread executor of its own as the {@link Transport#loopExecutor()}, so a
 * node runs its loop the way it does over Netty; counts which thread sends. Closing it shuts the executor down.
 */
public final class ExecutorTransport extends ForwardingTransport {

    private final ScheduledExecutorService executor;
    private final AtomicInteger sendsOnExecutor = new AtomicInteger();
    private final AtomicInteger sendsElsewhere = new AtomicInteger();
    private volatile Thread executorThread;


    /**
     * Wraps {@code delegate}.
     *
     * @param delegate the transport that carries the messages
     * @param id the node, for the thread name
     */
    public ExecutorTransport(Transport delegate, NodeId id) {
        super(delegate);
        this.executor = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "test-transport-" + id);
            t.setDaemon(true);
            executorThread = t;
            return t;
        });
    }

    /** Returns the executor offered to the node. */
    public ScheduledExecutorService executor() {
        return executor;
    }

    /** Returns how many sends came from the executor's thread. */
    public int sendsOnExecutor() {
        return sendsOnExecutor.get();
    }

    /** Returns how many sends came from other threads (the storage worker's acknowledgements). */
    public int sendsElsewhere() {
        return sendsElsewhere.get();
    }

    @Override
    public void send(RaftMessage message) {
        (Thread.currentThread() == executorThread ? sendsOnExecutor : sendsElsewhere).incrementAndGet();
        super.send(message);
    }

    @Override
    public Optional<ScheduledExecutorService> loopExecutor() {
        return Optional.of(executor);
    }

    @Override
    public void close() {
        super.close();
        executor.shutdown();
    }
}
