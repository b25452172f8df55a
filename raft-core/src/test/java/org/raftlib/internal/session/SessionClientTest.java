package org.raftlib.internal.session;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.Test;
import org.raftlib.Bytes;
import org.raftlib.SessionExpiredException;

/** What a client session does before anything reaches the log. */
class SessionClientTest {

    private static final SessionClient.Policy POLICY = new SessionClient.Policy(Duration.ofMinutes(1),
            Duration.ofSeconds(10), Duration.ofMillis(100), 1 << 20, true);

    /**
     * A session resumed at the last sequence number refuses the command that would wrap the counter (found by a
     * probe: the sequence after Long.MAX_VALUE went negative, and submit threw 'bad session command header').
     */
    @Test
    void aSessionOutOfSequenceNumbersFailsItsCommandsCleanly() {
        List<Bytes> sent = new ArrayList<>();
        SessionClient c = SessionClient.resume((type, data) -> {
            sent.add(data);
            return new CompletableFuture<>();
        }, POLICY, 7, Long.MAX_VALUE - 1);

        c.submit(new byte[] {1});
        CompletableFuture<byte[]> last = c.submit(new byte[] {2});

        assertThat(sent).hasSize(1);
        assertThatThrownBy(last::get).isInstanceOf(ExecutionException.class)
                .hasCauseInstanceOf(SessionExpiredException.class);
    }
}
