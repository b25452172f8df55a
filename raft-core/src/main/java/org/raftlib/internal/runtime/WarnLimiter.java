package org.raftlib.internal.runtime;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;
import org.slf4j.Logger;

/**
 * A per-key rate limit for WARN logs that a peer or a client can cause at will (a hostile or broken peer must not
 * flood the log): at most one WARN per key a second; the ones in between are only counted, and the next WARN for the
 * key is preceded by how many were suppressed. Keys name a reason (and a peer, if any), so the maps stay small.
 * Shared by the runtime and the Netty transport. Thread-safe.
 */
public final class WarnLimiter {

    private static final long INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(1);

    private final LongSupplier clock;
    // key -> clock time of the last WARN logged for it
    private final Map<String, AtomicLong> lastWarn = new ConcurrentHashMap<>();
    private final Map<String, LongAdder> suppressed = new ConcurrentHashMap<>();

    /** Creates a limiter on {@link System#nanoTime()}. */
    public WarnLimiter() {
        this(System::nanoTime);
    }

    WarnLimiter(LongSupplier nanoClock) {
        this.clock = nanoClock;
    }

    /**
     * Logs {@code format} with {@code args} at WARN on {@code log}, unless a WARN for {@code key} was logged in the
     * last second: then it is only counted.
     *
     * @param log the logger
     * @param key what the warning is about: a reason, and a peer if any
     * @param format the slf4j format
     * @param args its arguments; a last {@link Throwable} is logged as slf4j does
     */
    public void warn(Logger log, String key, String format, Object... args) {
        long now = clock.getAsLong();
        AtomicLong last = lastWarn.computeIfAbsent(key, k -> new AtomicLong(now - INTERVAL_NANOS));
        long previous = last.get();
        if (now - previous < INTERVAL_NANOS || !last.compareAndSet(previous, now)) {
            suppressed.computeIfAbsent(key, k -> new LongAdder()).increment();
            return;
        }
        LongAdder skipped = suppressed.get(key);
        long count = skipped == null ? 0 : skipped.sumThenReset();
        if (count > 0) {
            log.warn("({} similar warnings suppressed since the last one)", count);
        }
        log.warn(format, args);
    }
}
