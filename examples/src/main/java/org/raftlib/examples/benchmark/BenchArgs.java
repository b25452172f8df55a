package org.raftlib.examples.benchmark;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A benchmark's command line: {@code --name=value} options and {@code --flag}s, each name known in advance. An
 * unknown option, a value given to a flag or a flag given a value is refused, so a typo never runs a different
 * workload than the one asked for.
 */
final class BenchArgs {

    private final Map<String, String> values = new HashMap<>();
    private final Set<String> flags = new HashSet<>();

    private BenchArgs() {
    }

    /**
     * Parses {@code args}.
     *
     * @param args the command line
     * @param valued the names of the {@code --name=value} options
     * @param flagNames the names of the {@code --flag}s
     * @return the parsed options
     * @throws IllegalArgumentException if an argument is neither
     */
    static BenchArgs parse(String[] args, List<String> valued, List<String> flagNames) {
        BenchArgs a = new BenchArgs();
        for (String arg : args) {
            int eq = arg.indexOf('=');
            String name = arg.startsWith("--") ? arg.substring(2, eq < 0 ? arg.length() : eq) : "";
            if (eq > 0 && valued.contains(name)) {
                a.values.put(name, arg.substring(eq + 1));
            } else if (eq < 0 && flagNames.contains(name)) {
                a.flags.add(name);
            } else {
                throw new IllegalArgumentException("unknown option " + arg + "; see the class Javadoc");
            }
        }
        return a;
    }

    int integer(String name, int otherwise) {
        String v = values.get(name);
        return v == null ? otherwise : Integer.parseInt(v);
    }

    /** Returns a comma-separated list of integers, such as {@code --inflight=64,256}. */
    List<Integer> integers(String name, List<Integer> otherwise) {
        String v = values.get(name);
        if (v == null) {
            return otherwise;
        }
        List<Integer> out = new ArrayList<>();
        for (String part : v.split(",")) {
            out.add(Integer.parseInt(part.trim()));
        }
        return List.copyOf(out);
    }

    String string(String name, String otherwise) {
        return values.getOrDefault(name, otherwise);
    }

    /** Returns the directory option {@code name}, by default {@code java.io.tmpdir}. */
    Path directory(String name) {
        return Path.of(values.getOrDefault(name, System.getProperty("java.io.tmpdir")));
    }

    boolean flag(String name) {
        return flags.contains(name);
    }
}
