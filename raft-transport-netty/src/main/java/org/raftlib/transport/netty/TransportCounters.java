package org.raftlib.transport.netty;

import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;
import org.raftlib.internal.runtime.WarnLimiter;
import org.raftlib.transport.netty.NettyTransportMetrics.RejectReason;
import org.slf4j.Logger;

/**
 * The live counters of one transport, updated from any thread, and a per-key rate limit for WARN logs so that a
 * hostile or flapping peer cannot flood the log.
 *
 * <p>Thread-safe. Invariant: every {@link RejectReason} has an adder, created in the constructor.
 */
final class TransportCounters {

    final LongAdder messagesIn = new LongAdder();
    final LongAdder bytesIn = new LongAdder();
    final LongAdder messagesOut = new LongAdder();
    final LongAdder bytesOut = new LongAdder();
    final LongAdder dropped = new LongAdder();
    final LongAdder connectionFailures = new LongAdder();
    final LongAdder stalls = new LongAdder();
    private final Map<RejectReason, LongAdder> rejected = new EnumMap<>(RejectReason.class);
    // keys are reasons and peer ids, so its maps stay small
    private final WarnLimiter warnings = new WarnLimiter();

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
     * only counted, and the next WARN for the key says how many were suppressed (see {@link WarnLimiter}).
     */
    void warn(Logger log, String key, String format, Object... args) {
        warnings.warn(log, key, format, args);
    }

    NettyTransportMetrics snapshot() {
        Map<RejectReason, Long> byReason = new EnumMap<>(RejectReason.class);
        rejected.forEach((r, n) -> byReason.put(r, n.sum()));
        return new NettyTransportMetrics(messagesIn.sum(), bytesIn.sum(), messagesOut.sum(), bytesOut.sum(),
                dropped.sum(), connectionFailures.sum(), stalls.sum(), byReason);
    }
}
