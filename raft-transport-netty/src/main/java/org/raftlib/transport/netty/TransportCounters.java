package org.raftlib.transport.netty;

import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.raftlib.transport.netty.NettyTransportMetrics.RejectReason;
import org.slf4j.Logger;

/**
 * The live counters of one transport, updated from any thread, and a per-key rate limit for WARN logs so that a
 * hostile or flapping peer cannot flood the log.
 *
 * <p>Thread-safe. Invariant: every {@link RejectReason} has an adder, created in the constructor.
 */
final class TransportCounters {

    private static final long WARN_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(1);

    final LongAdder messagesIn = new LongAdder();
    final LongAdder bytesIn = new LongAdder();
    final LongAdder messagesOut = new LongAdder();
    final LongAdder bytesOut = new LongAdder();
    final LongAdder dropped = new LongAdder();
    final LongAdder connectionFailures = new LongAdder();
    final LongAdder stalls = new LongAdder();
    private final Map<RejectReason, LongAdder> rejected = new EnumMap<>(RejectReason.class);
    // key -> System.nanoTime() of the last WARN logged for it; keys are reasons and peer ids, so the map stays small
    private final Map<String, AtomicLong> lastWarn = new ConcurrentHashMap<>();
    private final Map<String, LongAdder> suppressed = new ConcurrentHashMap<>();

    TransportCounters() {
        for (RejectReason r : RejectReason.values()) {
            rejected.put(r, new LongAdder());
        }
    }

    void reject(RejectReason reason) {
        rejected.get(reason).increment();
    }

    /**
     * Logs {@code format} at WARN unless a WARN for {@code key} was logged in the last second; then the message is
     * only counted, and the next WARN for the key says how many were suppressed.
     */
    void warn(Logger log, String key, String format, Object... args) {
        long now = System.nanoTime();
        AtomicLong last = lastWarn.computeIfAbsent(key, k -> new AtomicLong(now - WARN_INTERVAL_NANOS));
        long previous = last.get();
        if (now - previous < WARN_INTERVAL_NANOS || !last.compareAndSet(previous, now)) {
            suppressed.computeIfAbsent(key, k -> new LongAdder()).increment();
            return;
        }
        LongAdder skipped = suppressed.get(key);
        long count = skipped == null ? 0 : skipped.sumThenReset();
        if (count > 0) {
            log.warn("({} similar warnings suppressed in the last second)", count);
        }
        log.warn(format, args);
    }

    NettyTransportMetrics snapshot() {
        Map<RejectReason, Long> byReason = new EnumMap<>(RejectReason.class);
        rejected.forEach((r, n) -> byReason.put(r, n.sum()));
        return new NettyTransportMetrics(messagesIn.sum(), bytesIn.sum(), messagesOut.sum(), bytesOut.sum(),
                dropped.sum(), connectionFailures.sum(), stalls.sum(), byReason);
    }
}
