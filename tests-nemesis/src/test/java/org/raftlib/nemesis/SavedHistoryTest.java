package org.raftlib.nemesis;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * Checks a history that a run saved: {@code mvn verify -pl tests-nemesis -am -Dtest=SavedHistoryTest
 * -Dnemesis.history=tests-nemesis/target/nemesis/RUN/history.tsv}. Skipped without that property.
 */
class SavedHistoryTest {

    @Test
    void savedHistoryIsLinearizable() throws Exception {
        String file = System.getProperty("nemesis.history", "");
        Assumptions.assumeFalse(file.isBlank(), "skipped: give -Dnemesis.history=PATH to check a saved history");
        List<Op> ops = History.load(Path.of(file));
        long started = System.nanoTime();
        Linearizability.Result r = Linearizability.check(ops);
        System.out.printf("%d operations checked in %d ms%n", ops.size(), (System.nanoTime() - started) / 1_000_000);
        assertThat(r.linearizable()).as("%s", r.explain()).isTrue();
    }
}
