package org.raftlib.internal.core.scenario;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * A golden-file scenario: commands, each followed by {@code ----} and its expected output up to a blank line.
 * Lines outside commands ({@code #} comments, blank lines) are kept as they are when the file is rewritten.
 */
final class ScenarioFile {

    private ScenarioFile() {
    }

    /**
     * Runs every command of {@code file} through {@code env} and compares its output with the expected one, or, with
     * {@code rewrite}, replaces the expected output with the actual one.
     */
    static void run(Path file, Function<Directive, String> env, boolean rewrite) throws IOException {
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        List<String> out = new ArrayList<>();
        String name = file.getFileName().toString();
        int i = 0;
        while (i < lines.size()) {
            String line = lines.get(i);
            if (line.isBlank() || line.startsWith("#")) {
                out.add(line);
                i++;
                continue;
            }
            int commandLine = i + 1;
            i++;
            if (i >= lines.size() || !lines.get(i).equals("----")) {
                throw new IllegalArgumentException(name + ":" + commandLine + ": expected '----' after the command");
            }
            i++;
            List<String> expected = new ArrayList<>();
            while (i < lines.size() && !lines.get(i).isEmpty()) {
                expected.add(lines.get(i++));
            }
            Directive d = Directive.parse(name, commandLine, line, expected);
            String actual = env.apply(d);
            if (!rewrite) {
                assertThat(actual).as("%s:%d %s", name, commandLine, line).isEqualTo(String.join("\n", expected));
            }
            out.add(line);
            out.add("----");
            out.addAll(actual.lines().toList());
        }
        if (rewrite) {
            Files.write(file, out, StandardCharsets.UTF_8);
        }
    }
}
