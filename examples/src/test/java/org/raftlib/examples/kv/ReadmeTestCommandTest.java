package org.raftlib.examples.kv;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * CI ({@code .ci/run}) runs exactly the test command the README gives newcomers, so neither can drift; it may first
 * install tools some tests need, between {@code # prepare:begin} and {@code # prepare:end}.
 */
class ReadmeTestCommandTest {

    @Test
    void ciRunsTheReadmeTestCommand() throws Exception {
        String readme = Files.readString(ProcessKit.repoRoot().resolve("README.md"));
        int begin = readme.indexOf("<!-- testcommand:begin -->");
        int end = readme.indexOf("<!-- testcommand:end -->");
        assertThat(begin).as("README has the testcommand markers").isNotNegative();
        assertThat(end).isGreaterThan(begin);
        String command = readme.substring(begin, end).lines()
                .filter(l -> !l.isBlank() && !l.startsWith("```") && !l.startsWith("<!--"))
                .reduce((a, b) -> a + "\n" + b).orElse("");
        String script = Files.readString(ProcessKit.repoRoot().resolve(".ci/run"));
        int prepare = script.indexOf("# prepare:begin");         // installing what some tests need, nothing else
        if (prepare >= 0) {
            script = script.substring(0, prepare) + script.substring(script.indexOf("# prepare:end"));
        }
        List<String> ci = script.lines()
                .filter(l -> !l.isBlank() && !l.startsWith("#") && !l.startsWith("set ") && !l.startsWith("cd "))
                .toList();
        assertThat(ci).as(".ci/run's commands").containsExactly(command);
    }
}
