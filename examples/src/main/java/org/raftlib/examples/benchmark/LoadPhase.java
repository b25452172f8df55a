package org.raftlib.examples.benchmark;

import com.sun.management.OperatingSystemMXBean;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import java.util.function.LongSupplier;

/**
 * One closed-loop phase of the workload: a single submitting thread, a semaphore of {@code inFlight} permits taken
 * before each submit and returned by its completion, a fresh random payload per write; commit latency from just
 * before the submit call to the completion on the leader. Percentiles are nearest-rank over successful writes.
 */
final class LoadPhase {

    /** What a phase measured. */
    record Result(String label, int inFlight, int submitted, int ok, int errors, String firstError, double seconds,
            double p50Ms, double p99Ms, double maxMs, double meanMs, double cpuSeconds, long gcMillis,
            boolean drained) {

        double opsPerSec() {
            return ok / seconds;
        }

        double cpuMicrosPerOp() {
            return ok == 0 ? 0 : cpuSeconds * 1e6 / ok;
        }
    }

    private LoadPhase() {
    }

    /**
     * Runs a phase.
     *
     * @param label the phase's name
     * @param submit submits one payload to the leader
     * @param inFlight the permits
     * @param maxWrites stop after this many submits
     * @param maxNanos or after this long
     * @param payloadBytes the payload size
     * @param cpuNanos CPU time of every process involved, so far
     * @return the result
     * @throws InterruptedException if interrupted
     */
    static Result run(String label, Function<byte[], CompletableFuture<byte[]>> submit, int inFlight, int maxWrites,
            long maxNanos, int payloadBytes, LongSupplier cpuNanos) throws InterruptedException {
        Semaphore permits = new Semaphore(inFlight);
        long[] latency = new long[maxWrites];
        AtomicInteger ok = new AtomicInteger();
        AtomicInteger errors = new AtomicInteger();
        AtomicLong lastDone = new AtomicLong();
        AtomicReference<String> firstError = new AtomicReference<>();
        ThreadLocalRandom random = ThreadLocalRandom.current();
        long cpu0 = cpuNanos.getAsLong();
        long gc0 = gcMillis();
        long start = System.nanoTime();
        int submitted = 0;
        boolean stalled = false;
        while (submitted < maxWrites && System.nanoTime() - start < maxNanos) {
            if (!permits.tryAcquire(60, TimeUnit.SECONDS)) {
                stalled = true;
                break;
            }
            byte[] payload = new byte[payloadBytes];
            random.nextBytes(payload);
            int slot = submitted++;
            long t0 = System.nanoTime();
            submit.apply(payload).whenComplete((r, e) -> {
                long t1 = System.nanoTime();
                if (e == null) {
                    latency[slot] = t1 - t0;
                    ok.incrementAndGet();
                } else {
                    latency[slot] = -1;
                    errors.incrementAndGet();
                    firstError.compareAndSet(null, e.toString());
                }
                lastDone.accumulateAndGet(t1, Math::max);
                permits.release();
            });
        }
        boolean drained = !stalled && permits.tryAcquire(inFlight, 60, TimeUnit.SECONDS);
        double cpu = (cpuNanos.getAsLong() - cpu0) / 1e9;      // before the sort below, which is not the phase's
        long gc = gcMillis() - gc0;
        double seconds = (Math.max(lastDone.get(), start + 1) - start) / 1e9;
        long[] okLatency = Arrays.stream(latency, 0, submitted).filter(x -> x > 0).sorted().toArray();
        return new Result(label, inFlight, submitted, ok.get(), errors.get(), firstError.get(), seconds,
                rank(okLatency, 0.50), rank(okLatency, 0.99), rank(okLatency, 1.0),
                okLatency.length == 0 ? 0 : Arrays.stream(okLatency).average().orElse(0) / 1e6, cpu, gc, drained);
    }

    private static double rank(long[] sorted, double p) {
        if (sorted.length == 0) {
            return 0;
        }
        int i = (int) Math.min(sorted.length - 1, Math.max(0, Math.ceil(sorted.length * p) - 1));
        return sorted[i] / 1e6;
    }

    /** Returns this JVM's CPU time (all threads). */
    static long processCpuNanos() {
        if (ManagementFactory.getOperatingSystemMXBean() instanceof OperatingSystemMXBean os) {
            return os.getProcessCpuTime();
        }
        return 0;
    }

    static long gcMillis() {
        long total = 0;
        for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            total += Math.max(0, gc.getCollectionTime());
        }
        return total;
    }
}
