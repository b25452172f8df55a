package org.raftlib.examples.kv;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.raftlib.NodeId;
import org.raftlib.IndeterminateResultException;
import org.raftlib.NotLeaderException;
import org.raftlib.NotMemberException;
import org.raftlib.OverloadedException;

/** What a follower answers when the leader it forwarded to drops the connection. */
class ForwarderTest {

    private static final NodeId SELF = NodeId.of("n2");
    private static final NodeId LEADER = NodeId.of("n1");

    @Test
    void writeWhoseConnectionBrokeAfterSendingIsIndeterminateNotRetried() throws Exception {
        AtomicInteger received = new AtomicInteger();
        try (ServerSocket leader = new ServerSocket(0, 10, InetAddress.getLoopbackAddress())) {
            Thread t = new Thread(() -> acceptAndDrop(leader, received), "fake-leader");
            t.setDaemon(true);
            t.start();
            Forwarder f = new Forwarder(SELF, HttpDirectory.of(Map.of(LEADER,
                    URI.create("http://127.0.0.1:" + leader.getLocalPort()))), Duration.ofSeconds(3));
            Forwarder.Incoming put = new Forwarder.Incoming("PUT", "/keys/a", "v".getBytes(StandardCharsets.UTF_8), 0,
                    true);

            Reply r = f.execute(put, ForwarderTest::notLeader, result -> Reply.error(500, "applied here?"));

            assertThat(r.status()).isEqualTo(503);
            assertThat(r.json()).contains("may or may not have been applied").doesNotContain("\"applied\"")
                    .contains("read the key");
            assertThat(received.get()).as("requests the leader received").isEqualTo(1);

            Forwarder.Incoming add = new Forwarder.Incoming("POST", "/members/voters",
                    "{}".getBytes(StandardCharsets.UTF_8), 0, true);
            Reply change = f.execute(add, ForwarderTest::notLeader, result -> Reply.error(500, "applied here?"));
            assertThat(change.json()).as("a membership change is not read back as a key").contains("GET /members")
                    .doesNotContain("the key");
        }
    }

    @Test
    void writeThatReachedNoLeaderSaysItWasNotApplied() throws Exception {
        int closedPort;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = s.getLocalPort();                 // nothing listens there once closed: connections refused
        }
        Forwarder f = new Forwarder(SELF, HttpDirectory.of(Map.of(LEADER,
                URI.create("http://127.0.0.1:" + closedPort))), Duration.ofMillis(300));
        Forwarder.Incoming put = new Forwarder.Incoming("PUT", "/keys/a", "v".getBytes(StandardCharsets.UTF_8), 0,
                true);

        Reply r = f.execute(put, ForwarderTest::notLeader, result -> Reply.error(500, "applied here?"));

        assertThat(r.status()).isEqualTo(503);
        assertThat(Json.decode(r.json())).containsEntry(Forwarder.APPLIED_FIELD, "false");
    }

    @Test
    void overloadedAndIndeterminateFailuresAreTold() {
        assertThat(Forwarder.failure(new OverloadedException("n2 has 2 in flight")).json())
                .contains("\"applied\":false");
        assertThat(Forwarder.failure(new IndeterminateResultException("lost leadership")).json())
                .doesNotContain("\"applied\"");
    }

    /** A node that knows it was removed answers at once that nothing was applied (it retried until the deadline). */
    @Test
    void aWriteOnARemovedNodeIsRefusedAtOnce() {
        Forwarder f = new Forwarder(SELF, HttpDirectory.of(Map.of()), Duration.ofSeconds(30));
        Forwarder.Incoming put = new Forwarder.Incoming("PUT", "/keys/a", "v".getBytes(StandardCharsets.UTF_8), 0,
                true);
        long start = System.nanoTime();

        Reply r = f.execute(put, () -> CompletableFuture.failedFuture(new NotMemberException(SELF, 42)),
                result -> Reply.error(500, "applied here?"));

        assertThat(r.status()).isEqualTo(503);
        assertThat(Json.decode(r.json())).containsEntry(Forwarder.APPLIED_FIELD, "false");
        assertThat(r.json()).contains("not a member of the configuration at index 42");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(20));
    }

    private static CompletableFuture<byte[]> notLeader() {
        return CompletableFuture.failedFuture(new NotLeaderException(SELF, Optional.of(LEADER)));
    }

    /** Reads each request's first bytes, then closes without answering, as a leader killed mid-request does. */
    private static void acceptAndDrop(ServerSocket server, AtomicInteger received) {
        while (!server.isClosed()) {
            try (Socket s = server.accept()) {
                InputStream in = s.getInputStream();
                if (in.read(new byte[4096]) > 0) {
                    received.incrementAndGet();
                }
            } catch (java.io.IOException e) {
                return;                                     // the test closed the server
            }
        }
    }
}
