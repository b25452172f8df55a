package org.raftlib.examples.benchmark;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.raftlib.Bytes;
import org.raftlib.LogEntry;
import org.raftlib.storage.FileLogStorage;

/**
 * Measures durable appends of {@link FileLogStorage}: batches of 1, 16 and 256 entries of 128 bytes, one
 * {@code sync()} per batch, reporting entries/s, payload MB/s and the p50/p99 latency of append+sync of one batch;
 * then the raw fsync latency of the disk (a 4 KiB append and {@code FileChannel.force(false)}), as a baseline.
 *
 * <p>Usage: {@code StorageBenchmark [dir] [secondsPerCase]}; defaults {@code /tmp/raftlib-storage-bench} and 4.
 * The directory is deleted and recreated.
 */
public final class StorageBenchmark {

    private static final int PAYLOAD_BYTES = 128;
    private static final int[] BATCHES = {1, 16, 256};

    private StorageBenchmark() {
    }

    /**
     * Runs the benchmark and prints one line per case.
     *
     * @param args optional directory and seconds per case
     * @throws IOException if the storage fails
     */
    public static void main(String[] args) throws IOException {
        Path dir = Path.of(args.length > 0 ? args[0] : "/tmp/raftlib-storage-bench");
        double seconds = args.length > 1 ? Double.parseDouble(args[1]) : 4;
        deleteRecursively(dir);
        Files.createDirectories(dir);
        System.out.printf("StorageBenchmark: dir %s, %.1f s per case, %d-byte entries, java %s%n", dir, seconds,
                PAYLOAD_BYTES, System.getProperty("java.version"));
        runLog(dir.resolve("warmup"), 16, 1.0, false);
        for (int batch : BATCHES) {
            runLog(dir.resolve("batch-" + batch), batch, seconds, true);
        }
        rawFsync(dir.resolve("raw-fsync.bin"), seconds);
        deleteRecursively(dir);
    }

    private static void runLog(Path dir, int batch, double seconds, boolean print) throws IOException {
        byte[] payload = new byte[PAYLOAD_BYTES];
        Arrays.fill(payload, (byte) 'x');
        Bytes data = Bytes.wrap(payload);
        long[] latencies = new long[1 << 20];
        int rounds = 0;
        long entries = 0;
        try (FileLogStorage log = FileLogStorage.open(dir)) {
            long next = 1;
            List<LogEntry> list = new ArrayList<>(batch);
            long start = System.nanoTime();
            long deadline = start + (long) (seconds * 1e9);
            while (System.nanoTime() < deadline && rounds < latencies.length) {
                list.clear();
                for (int i = 0; i < batch; i++) {
                    list.add(LogEntry.command(1, next++, data));
                }
                long t0 = System.nanoTime();
                log.append(list);
                log.sync();
                latencies[rounds++] = System.nanoTime() - t0;
                entries += batch;
            }
            double elapsed = (System.nanoTime() - start) / 1e9;
            if (print) {
                Arrays.sort(latencies, 0, rounds);
                System.out.printf("log  batch %3d: %9.0f entries/s  %7.2f MB/s  %7.0f syncs/s  "
                        + "append+sync p50 %7.1f us  p99 %7.1f us%n", batch, entries / elapsed,
                        entries * PAYLOAD_BYTES / elapsed / 1e6, rounds / elapsed, percentile(latencies, rounds, 50),
                        percentile(latencies, rounds, 99));
            }
        }
    }

    private static void rawFsync(Path file, double seconds) throws IOException {
        long[] latencies = new long[1 << 20];
        int rounds = 0;
        ByteBuffer block = ByteBuffer.allocateDirect(4096);
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            long position = 0;
            long deadline = System.nanoTime() + (long) (seconds * 1e9);
            while (System.nanoTime() < deadline && rounds < latencies.length) {
                block.clear();
                long t0 = System.nanoTime();
                while (block.hasRemaining()) {
                    position += channel.write(block, position);
                }
                channel.force(false);
                latencies[rounds++] = System.nanoTime() - t0;
            }
        }
        Arrays.sort(latencies, 0, rounds);
        System.out.printf("raw  4 KiB append + force(false): %d samples, p50 %7.1f us  p99 %7.1f us%n", rounds,
                percentile(latencies, rounds, 50), percentile(latencies, rounds, 99));
    }

    private static double percentile(long[] sorted, int count, int p) {
        if (count == 0) {
            return Double.NaN;
        }
        int index = (int) Math.min(count - 1, Math.ceil(p / 100.0 * count) - 1);
        return sorted[Math.max(0, index)] / 1e3;
    }

    private static void deleteRecursively(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
