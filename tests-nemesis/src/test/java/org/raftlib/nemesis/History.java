package org.raftlib.nemesis;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A concurrent record of operations: clients take an id and a start time with {@link #invoke()}, then add the finished
 * {@link Op}. Times are nanoseconds since the history began. Saved as tab-separated text, one operation a line.
 */
final class History {

    private static final String NULL = "\\N";
    private final long origin = System.nanoTime();
    private final AtomicInteger ids = new AtomicInteger();
    private final ConcurrentLinkedQueue<Op> ops = new ConcurrentLinkedQueue<>();

    /** An operation's id and invocation time, taken just before it is sent. */
    record Invocation(int id, long at) {
    }

    Invocation invoke() {
        return new Invocation(ids.getAndIncrement(), now());
    }

    /** Nanoseconds since the history began. */
    long now() {
        return System.nanoTime() - origin;
    }

    void add(Op op) {
        ops.add(op);
    }

    /** The operations so far, by invocation time. */
    List<Op> ops() {
        List<Op> list = new ArrayList<>(ops);
        list.sort(Comparator.comparingLong(Op::invoke).thenComparingInt(Op::id));
        return list;
    }

    /** Writes the operations to {@code file}: a readable line each and, tab-separated, every field. */
    void save(Path file) throws IOException {
        List<String> lines = new ArrayList<>();
        lines.add("# id\tclient\tkind\tkey\tvalue\texpected\tinvokeNanos\tcompleteNanos\toutcome\tresult\t| readable");
        for (Op op : ops()) {
            lines.add(String.join("\t", Integer.toString(op.id()), Integer.toString(op.client()), op.kind().name(),
                    op.key(), field(op.value()), field(op.expected()), Long.toString(op.invoke()),
                    Long.toString(op.complete()), op.outcome().name(), field(op.result()), "| " + op.describe()));
        }
        Files.write(file, lines, StandardCharsets.UTF_8);
    }

    /** Reads a history that {@link #save} wrote. */
    static List<Op> load(Path file) throws IOException {
        List<Op> list = new ArrayList<>();
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            String[] f = line.split("\t");
            list.add(new Op(Integer.parseInt(f[0]), Integer.parseInt(f[1]), Op.Kind.valueOf(f[2]), f[3],
                    unfield(f[4]), unfield(f[5]), Long.parseLong(f[6]), Long.parseLong(f[7]),
                    Op.Outcome.valueOf(f[8]), unfield(f[9])));
        }
        return list;
    }

    private static String field(String v) {
        return v == null ? NULL : v;
    }

    private static String unfield(String v) {
        return NULL.equals(v) ? null : v;
    }
}
