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
import java.util.function.Predicate;

/**
 * One closed-loop phase of the workload: a single submitting thread, a semaphore of {@code inFlight} permits taken
 * before each submit and returned by its completion, a fresh random request per operation (a write's payload, a
 * read's request); latency from just before the submit call to the completion (for a write, commit latency on the
 * leader). Percentiles are nearest-rank over successful operations.
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
     * What one phase runs.
     *
     * @param label the phase's name
     * @param inFlight the permits
     * @param maxOps stop after this many submits
     * @param maxNanos or after this long
     * @param requestBytes the size of each random request (the payload of a write, the request of a read)
     */
    record Spec(String label, int inFlight, int maxOps, long maxNanos, int requestBytes) {
    }

    /**
     * Runs a phase on {@code cluster} and prints its lines: fsyncs and messages per successful operation over the
     * nodes this JVM sees, then the phase's figures.
     *
     * @param cluster the cluster, for its counters and CPU time
     * @param spec the phase
     * @param submit starts one operation with a fresh random request
     * @param answerOk whether a successful operation's answer is valid; an invalid one counts as an error
     * @param unit what one operation is called in the output ("write", "read")
     * @return the result
     * @throws InterruptedException if interrupted
     */
    static Result runAndPrint(BenchCluster cluster, Spec spec, Function<byte[], CompletableFuture<byte[]>> submit,
            Predicate<byte[]> answerOk, String unit) throws InterruptedException {
        long[] before = cluster.counters();
        Result r = run(spec, submit, answerOk, cluster::cpuNanos);
        long[] after = cluster.counters();
        double perOp = Math.max(1, r.ok());
        System.out.printf("%-24s fsyncs/%s=%.3f messages/%s=%.3f (all nodes)%n", "", unit,
                (after[0] - before[0]) / perOp, unit, (after[1] - before[1]) / perOp);
        System.out.printf("%-24s ok=%d err=%d in %.2fs -> %.0f ops/s  p50=%.3f ms p99=%.3f ms max=%.3f ms "
                + "mean=%.3f ms  cpu=%.1fs (%.0f us/op) gc=%d ms%s%s%n", r.label(), r.ok(), r.errors(), r.seconds(),
                r.opsPerSec(), r.p50Ms(), r.p99Ms(), r.maxMs(), r.meanMs(), r.cpuSeconds(), r.cpuMicrosPerOp(),
                r.gcMillis(), r.drained() ? "" : " NOT-DRAINED",
                r.firstError() == null ? "" : " firstError=" + r.firstError());
        return r;
    }

    /**
     * Runs a phase.
     *
     * @param spec the phase
     * @param submit starts one operation with a fresh random request
     * @param answerOk whether a successful operation's answer is valid; an invalid one counts as an error
     * @param cpuNanos CPU time of every process involved, so far
     * @return the result
     * @throws InterruptedException if interrupted
     */
    static Result run(Spec spec, Function<byte[], CompletableFuture<byte[]>> submit, Predicate<byte[]> answerOk,
            LongSupplier cpuNanos) throws InterruptedException {
        Semaphore permits = new Semaphore(spec.inFlight());
        long[] latency = new long[spec.maxOps()];
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
        while (submitted < spec.maxOps() && System.nanoTime() - start < spec.maxNanos()) {
            if (!permits.tryAcquire(60, TimeUnit.SECONDS)) {
                stalled = true;
                break;
            }
            byte[] request = new byte[spec.requestBytes()];
            random.nextBytes(request);
            int slot = submitted++;
            long t0 = System.nanoTime();
            submit.apply(request).whenComplete((r, e) -> {
                long t1 = System.nanoTime();
                if (e == null && answerOk.test(r)) {
                    latency[slot] = t1 - t0;
                    ok.incrementAndGet();
                } else {
                    latency[slot] = -1;
                    errors.incrementAndGet();
                    firstError.compareAndSet(null, e == null ? "invalid answer " + Arrays.toString(r) : e.toString());
                }
                lastDone.accumulateAndGet(t1, Math::max);
                permits.release();
            });
        }
        boolean drained = !stalled && permits.tryAcquire(spec.inFlight(), 60, TimeUnit.SECONDS);
        double cpu = (cpuNanos.getAsLong() - cpu0) / 1e9;      // before the sort below, which is not the phase's
        long gc = gcMillis() - gc0;
        double seconds = (Math.max(lastDone.get(), start + 1) - start) / 1e9;
        long[] okLatency = Arrays.stream(latency, 0, submitted).filter(x -> x > 0).sorted().toArray();
        return new Result(spec.label(), spec.inFlight(), submitted, ok.get(), errors.get(), firstError.get(),
                seconds, rank(okLatency, 0.50), rank(okLatency, 0.99), rank(okLatency, 1.0),
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
