package org.raftlib.examples.benchmark;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * CPU time per thread of this process, JIT compiler and GC threads included, read from {@code /proc/self/task}
 * (Linux only; empty elsewhere): where a benchmark's CPU goes, split into user and kernel time.
 */
final class ThreadCpu {

    private static final Path TASKS = Path.of("/proc/self/task");
    private static final long MILLIS_PER_TICK = 10;          // USER_HZ is 100 on Linux

    private ThreadCpu() {
    }

    /** Ticks per thread, keyed by "name#tid user" and "name#tid kernel". */
    static Map<String, Long> read() {
        Map<String, Long> ticks = new HashMap<>();
        if (!Files.isDirectory(TASKS)) {
            return ticks;
        }
        try (Stream<Path> tasks = Files.list(TASKS)) {
            for (Path task : (Iterable<Path>) tasks::iterator) {
                String stat;
                try {
                    stat = Files.readString(task.resolve("stat"));
                } catch (IOException e) {
                    continue;                                     // the thread ended meanwhile
                }
                int close = stat.lastIndexOf(')');
                String name = stat.substring(stat.indexOf('(') + 1, close) + "#" + task.getFileName();
                String[] fields = stat.substring(close + 2).split(" ");
                ticks.put(name + " user", Long.parseLong(fields[11]));
                ticks.put(name + " kernel", Long.parseLong(fields[12]));
            }
        } catch (IOException e) {
            return ticks;
        }
        return ticks;
    }

    /** Prints the {@code top} largest differences between two readings, in milliseconds. */
    static void print(Map<String, Long> before, Map<String, Long> after, int top) {
        List<Map.Entry<String, Long>> used = after.entrySet().stream()
                .map(e -> Map.entry(e.getKey(), (e.getValue() - before.getOrDefault(e.getKey(), 0L)) * MILLIS_PER_TICK))
                .filter(e -> e.getValue() > 0)
                .sorted((a, b) -> Long.compare(b.getValue(), a.getValue()))
                .limit(top)
                .toList();
        for (Map.Entry<String, Long> e : used) {
            System.out.printf("threads   : %6d ms  %s%n", e.getValue(), e.getKey());
        }
    }
}
