package org.raftlib.nemesis;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.Test;

/**
 * Exactly-once writes through followers under leader kills (issue 15; see this module's README): writers append
 * {@code "x"} to fresh keys through followers, retrying the same key after any answer that is not an
 * acknowledgement, while the leader is SIGKILLed every few seconds (and once a busy follower, once every node);
 * at the end every key is read linearizably through every node. No key may be applied more than once, every
 * acknowledged key exactly once, and all nodes must agree. Retrying after an indeterminate answer is safe only with
 * client sessions, so without them a duplicate can show. In the normal build {@value #SHORT_SECONDS} s of faults;
 * {@code -Donce.minutes=N} runs N minutes, {@code -Donce.seed=S} replays a seed's fault schedule,
 * {@code -Donce.retryIndeterminate=answered} retries only after a node's "may or may not have been applied" (not
 * after no answer), {@code =none} never after an indeterminate outcome.
 */
class ExactlyOnceIT {

    static final int SHORT_SECONDS = 60;
    private static final int CLIENTS = 4;

    @Test
    void everyWriteIsAppliedAtMostOnceAndEveryAcknowledgedOneExactlyOnce() throws Exception {
        String minutesProperty = System.getProperty("once.minutes", "");
        double minutes = minutesProperty.isBlank() ? 0 : Double.parseDouble(minutesProperty.trim());
        String seedProperty = System.getProperty("once.seed", "");
        long seed = seedProperty.isBlank() ? ThreadLocalRandom.current().nextLong(1, 1_000_000)
                : Long.parseLong(seedProperty.trim());
        AppendWriters.Retry retry = AppendWriters.Retry.parse(System.getProperty("once.retryIndeterminate", ""));
        Duration faults = Duration.ofSeconds(minutes > 0 ? Math.round(minutes * 60) : SHORT_SECONDS);
        Path out = Path.of(System.getProperty("nemesis.out", "target/nemesis"));
        ExactlyOnceRun.Result r = ExactlyOnceRun.run(new ExactlyOnceRun.Settings(faults, seed, CLIENTS, retry, out),
                System.out);
        assertThat(r.passed()).as("exactly-once run failed, seed %d (rerun with -Donce.seed=%d), artifacts in %s:%n%s",
                seed, seed, r.dir(), r.report()).isTrue();
    }
}
