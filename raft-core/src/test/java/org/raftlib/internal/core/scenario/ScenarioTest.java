package org.raftlib.internal.core.scenario;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Golden-file scenarios in {@code src/test/resources/scenarios}. Run with {@code -Draftlib.rewrite=true} to rewrite the
 * expected output, then review the diff like code.
 */
class ScenarioTest {

    @TestFactory
    Stream<DynamicTest> scenarios() throws IOException {
        boolean rewrite = Boolean.getBoolean("raftlib.rewrite");
        try (Stream<Path> files = Files.list(Path.of("src/test/resources/scenarios"))) {
            return files.filter(p -> p.toString().endsWith(".txt"))
                    .sorted()
                    .toList()
                    .stream()
                    .map(p -> DynamicTest.dynamicTest(p.getFileName().toString(),
                            () -> ScenarioFile.run(p, new InteractionEnv()::handle, rewrite)));
        }
    }
}
