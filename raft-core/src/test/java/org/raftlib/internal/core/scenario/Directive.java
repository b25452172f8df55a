package org.raftlib.internal.core.scenario;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One command of a scenario file: {@code name pos... key=value...} at a line, with the expected output.
 *
 * @param file the file name, for error messages
 * @param line the 1-based line of the command
 * @param name the command name
 * @param positional arguments without {@code =}
 * @param options arguments {@code key=value}
 * @param text the command line as written
 * @param expected the expected output lines
 */
record Directive(String file, int line, String name, List<String> positional, Map<String, String> options,
        String text, List<String> expected) {

    static Directive parse(String file, int line, String text, List<String> expected) {
        String[] tokens = text.trim().split("\\s+");
        List<String> positional = new ArrayList<>();
        Map<String, String> options = new LinkedHashMap<>();
        for (int i = 1; i < tokens.length; i++) {
            int eq = tokens[i].indexOf('=');
            if (eq > 0) {
                options.put(tokens[i].substring(0, eq), tokens[i].substring(eq + 1));
            } else {
                positional.add(tokens[i]);
            }
        }
        return new Directive(file, line, tokens[0], List.copyOf(positional), options, text, List.copyOf(expected));
    }

    /** Returns an exception naming the file and line. */
    IllegalArgumentException fail(String why) {
        return new IllegalArgumentException(file + ":" + line + ": " + why + " in '" + text + "'");
    }

    String option(String key, String otherwise) {
        return options.getOrDefault(key, otherwise);
    }

    int intOption(String key, int otherwise) {
        try {
            return Integer.parseInt(option(key, Integer.toString(otherwise)));
        } catch (NumberFormatException e) {
            throw fail("bad number for " + key);
        }
    }

    boolean boolOption(String key, boolean otherwise) {
        String v = option(key, Boolean.toString(otherwise));
        if (!v.equals("true") && !v.equals("false")) {
            throw fail("bad boolean for " + key);
        }
        return Boolean.parseBoolean(v);
    }

    /** Parses {@code (1,2,3)} or {@code 1,2,3} into numbers. */
    List<Integer> numbers(String list) {
        String body = list.replace("(", "").replace(")", "").trim();
        List<Integer> out = new ArrayList<>();
        if (body.isEmpty()) {
            return out;
        }
        for (String part : body.split(",")) {
            try {
                out.add(Integer.parseInt(part.trim()));
            } catch (NumberFormatException e) {
                throw fail("bad number '" + part + "'");
            }
        }
        return out;
    }

    /** Returns positional argument {@code i} as a node number. */
    int node(int i) {
        if (positional.size() <= i) {
            throw fail("missing node argument");
        }
        return numbers(positional.get(i)).get(0);
    }
}
