package org.raftlib.examples.kv;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.util.List;
import org.junit.jupiter.api.Test;

/** CI ({@code .ci/run}) runs exactly the test command the README gives newcomers, so neither can drift. */
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
        List<String> ci = Files.readAllLines(ProcessKit.repoRoot().resolve(".ci/run")).stream()
                .filter(l -> !l.isBlank() && !l.startsWith("#") && !l.startsWith("set ") && !l.startsWith("cd "))
                .toList();
        assertThat(ci).as(".ci/run's commands").containsExactly(command);
    }
}
