package org.raftlib.internal.session;

import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * The JVM-wide timer of client sessions: attempt timeouts and retries. One daemon thread, started when something is
 * first scheduled and ended after {@link #IDLE_SECONDS} with nothing scheduled, so no thread outlives the sessions (an
 * application server that undeploys the application keeps none). Cancelled tasks are removed at once.
 */
final class DaemonTimer {

    /** How long the thread waits with nothing scheduled before it ends. */
    static final long IDLE_SECONDS = 5;

    /** The timer. */
    static final ScheduledThreadPoolExecutor INSTANCE = create();

    private DaemonTimer() {
    }

    static ScheduledThreadPoolExecutor create() {
        ScheduledThreadPoolExecutor e = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "raft-timer");
            t.setDaemon(true);
            return t;
        });
        e.setRemoveOnCancelPolicy(true);
        e.setKeepAliveTime(IDLE_SECONDS, TimeUnit.SECONDS);
        e.allowCoreThreadTimeOut(true);
        return e;
    }
}
