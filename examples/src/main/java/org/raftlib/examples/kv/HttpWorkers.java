package org.raftlib.examples.kv;

import java.io.InterruptedIOException;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The executor of {@link KvServer}'s JDK {@code HttpServer}: bounded, and with a deadline on reading each request.
 *
 * <p>The JDK server hands a connection to its executor as soon as a request's first bytes arrive; the worker then
 * reads the headers, and the handler the body, with blocking reads that have no timeout of their own. So a client
 * that sends a little and then stalls holds a worker for as long as it likes, and a handful of such clients held
 * every worker while the server's other requests waited in the queue. Here each task gets {@link Limits#readTimeout}
 * to deliver its headers and body ({@link #bodyRead()} stops the clock while the request waits for Raft) and again to
 * take its answer ({@link #answering()}); past it the worker is interrupted, which closes the connection (its channel
 * is interruptible) and frees the worker. When all workers are busy and the queue is full, requests go to a small
 * overflow pool whose tasks the handler answers at once with 503 ({@link #isShed()}); past that, the JDK server
 * closes the connection.
 */
final class HttpWorkers implements Executor, AutoCloseable {

    /**
     * How many requests are served at once and how long a client may take to send one.
     *
     * @param threads the workers: requests being read or waiting for Raft
     * @param queue requests waiting for a worker
     * @param readTimeout how long a request's headers and body (and, separately, its answer) may take on the wire
     */
    record Limits(int threads, int queue, Duration readTimeout) {

        /** 64 workers, 256 waiting, 10 s to send a request. */
        static final Limits DEFAULT = new Limits(64, 256, Duration.ofSeconds(10));

        Limits {
            Objects.requireNonNull(readTimeout, "readTimeout");
            if (threads < 1 || queue < 1 || readTimeout.isNegative() || readTimeout.isZero()) {
                throw new IllegalArgumentException("threads, queue and readTimeout must be positive");
            }
        }
    }

    private static final Logger LOG = LoggerFactory.getLogger(HttpWorkers.class);
    private static final ThreadLocal<Task> CURRENT = new ThreadLocal<>();
    private static final int SHED_THREADS = 2;
    private static final int SHED_QUEUE = 64;
    private static final Duration SHED_TIMEOUT = Duration.ofSeconds(1);

    private final Limits limits;
    private final ThreadPoolExecutor workers;
    private final ThreadPoolExecutor shed;
    private final ScheduledExecutorService timer;
    private final AtomicLong cut = new AtomicLong();
    private final AtomicLong refused = new AtomicLong();

    HttpWorkers(String name, Limits limits) {
        this.limits = Objects.requireNonNull(limits, "limits");
        this.workers = pool(name, limits.threads(), limits.queue());
        this.shed = pool(name + "-busy", SHED_THREADS, SHED_QUEUE);
        ScheduledThreadPoolExecutor t = new ScheduledThreadPoolExecutor(1, daemon(name + "-deadline"));
        t.setRemoveOnCancelPolicy(true);
        this.timer = t;
    }

    private static ThreadPoolExecutor pool(String name, int threads, int queue) {
        ThreadPoolExecutor pool = new ThreadPoolExecutor(threads, threads, 30, TimeUnit.SECONDS,
                new ArrayBlockingQueue<>(queue), daemon(name), new ThreadPoolExecutor.AbortPolicy());
        pool.allowCoreThreadTimeOut(true);
        return pool;
    }

    private static ThreadFactory daemon(String name) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, name + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    @Override
    public void execute(Runnable exchange) {
        try {
            workers.execute(new Task(exchange, limits.readTimeout(), false));
        } catch (RejectedExecutionException full) {
            try {
                shed.execute(new Task(exchange, SHED_TIMEOUT, true));
            } catch (RejectedExecutionException alsoFull) {
                if (refused.incrementAndGet() % 1000 == 1) {
                    LOG.warn("{}: every HTTP worker and queue is busy; closing new connections ({} so far)",
                            Thread.currentThread().getName(), refused.get());
                }
                throw alsoFull;
            }
        }
    }

    /** Returns how many connections were closed because their request did not arrive within the read timeout. */
    long cutConnections() {
        return cut.get();
    }

    /** Returns how many requests hold a worker or wait for one (the overflow pool not counted). */
    int requestsInProgress() {
        return workers.getActiveCount() + workers.getQueue().size();
    }

    /** Whether the calling handler runs in the overflow pool and should answer 503 without reading the body. */
    static boolean isShed() {
        Task t = CURRENT.get();
        return t != null && t.shed;
    }

    /**
     * Stops the calling handler's read deadline: the request has been read and may now wait for Raft.
     *
     * @throws InterruptedIOException if the deadline already passed (the connection is closed)
     */
    static void bodyRead() throws InterruptedIOException {
        Task t = CURRENT.get();
        if (t != null && !t.pause()) {
            throw new InterruptedIOException("the request did not arrive within the read timeout");
        }
    }

    /** Starts the calling handler's deadline again, for writing the answer and discarding any unread body. */
    static void answering() {
        Task t = CURRENT.get();
        if (t != null) {
            t.arm();
        }
    }

    /** Stops the pools; running requests are interrupted. */
    @Override
    public void close() {
        workers.shutdownNow();
        shed.shutdownNow();
        timer.shutdownNow();
    }

    /** One exchange of the JDK server, run under a deadline that the handler pauses and restarts. */
    private final class Task implements Runnable {

        private final Runnable exchange;
        private final Duration timeout;
        private final boolean shed;
        private Thread thread;
        private ScheduledFuture<?> deadline;
        private boolean expired;
        private long armed;

        Task(Runnable exchange, Duration timeout, boolean shed) {
            this.exchange = exchange;
            this.timeout = timeout;
            this.shed = shed;
        }

        @Override
        public void run() {
            synchronized (this) {
                thread = Thread.currentThread();
            }
            CURRENT.set(this);
            arm();
            try {
                exchange.run();
            } finally {
                synchronized (this) {
                    pauseLocked();
                    thread = null;
                    Thread.interrupted();
                }
                CURRENT.remove();
            }
        }

        synchronized void arm() {
            pauseLocked();
            if (!expired) {
                long generation = ++armed;
                deadline = timer.schedule(() -> expire(generation), timeout.toNanos(), TimeUnit.NANOSECONDS);
            }
        }

        /** Returns false if the deadline has already passed. */
        synchronized boolean pause() {
            pauseLocked();
            return !expired;
        }

        private void pauseLocked() {
            if (deadline != null) {
                deadline.cancel(false);
                deadline = null;
            }
        }

        private synchronized void expire(long generation) {
            if (generation != armed || deadline == null || thread == null) {
                return;
            }
            deadline = null;
            expired = true;
            cut.incrementAndGet();
            LOG.debug("{}: a request was not sent or taken within {} ms; closing its connection", thread.getName(),
                    timeout.toMillis());
            thread.interrupt();
        }
    }
}
