package org.raftlib.examples.kv;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.raftlib.Member;
import org.raftlib.NodeId;
import org.raftlib.RaftNode;
import org.raftlib.local.InMemoryLogStorage;
import org.raftlib.local.InMemorySnapshotStore;
import org.raftlib.local.LocalTransport;
import org.raftlib.testkit.Await;

/** Clients that send a request slowly or not at all, against a one-node {@link KvServer}. */
class KvServerSlowClientTest {

    private static final Duration WAIT = Duration.ofSeconds(20);
    /** How long a normal request may take while slow clients are connected. */
    private static final Duration QUICK = Duration.ofSeconds(2);
    private static final Duration READ_TIMEOUT = Duration.ofSeconds(3);
    private static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(QUICK).build();

    private final List<Socket> sockets = new ArrayList<>();
    private final ScheduledExecutorService dribbler = Executors.newSingleThreadScheduledExecutor();
    private LocalTransport.Hub hub;
    private RaftNode node;
    private KvServer server;

    private void start(HttpWorkers.Limits limits) throws IOException {
        hub = LocalTransport.hub(3);
        Member self = Member.of("n1", "local-1");
        node = RaftNode.builder().id(self.id()).members(List.of(self)).stateMachine(new KvStateMachine())
                .logStorage(new InMemoryLogStorage()).snapshotStore(new InMemorySnapshotStore())
                .transport(hub.transport()).randomSeed(1).build();
        node.start();
        int port = KvCluster.freePorts(1)[0];
        Map<NodeId, URI> http = Map.of(self.id(), URI.create("http://127.0.0.1:" + port));
        server = KvServer.start(node, new InetSocketAddress("127.0.0.1", port), http, null, WAIT, WAIT, limits);
        Await.until("a leader", WAIT, () -> node.status().isLeader());
    }

    @AfterEach
    void stop() throws IOException {
        dribbler.shutdownNow();
        for (Socket s : sockets) {
            s.close();
        }
        if (server != null) {
            server.close();
            node.close();
            hub.close();
        }
    }

    @Test
    void slowClientsDoNotHoldTheServerAndAreCutAtTheReadTimeout() throws Exception {
        start(new HttpWorkers.Limits(64, 256, READ_TIMEOUT));
        for (int i = 0; i < 24; i++) {
            open(i % 3 == 0 ? "PUT /kv/slow HTTP/1.1\r\nHost: x\r\nContent-"
                    : "PUT /kv/slow-" + i + " HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nab");
        }
        for (int i = 0; i < 6; i++) {
            Socket s = open("PUT /kv/drip-" + i + " HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n");
            dribbler.scheduleWithFixedDelay(() -> {
                try {
                    s.getOutputStream().write('x');
                } catch (IOException closed) {
                    // the server cut it, as it should
                }
            }, 0, 100, TimeUnit.MILLISECONDS);
        }
        for (int round = 0; round < 3; round++) {
            assertThat(quick("PUT", "/kv/normal", "v" + round).statusCode()).isEqualTo(200);
            HttpResponse<String> get = quick("GET", "/kv/normal", null);
            assertThat(Json.decode(get.body())).containsEntry("value", "v" + round);
            assertThat(quick("GET", "/status", null).statusCode()).isEqualTo(200);
        }
        assertThat(server.cutConnections()).as("the slow clients were still connected").isZero();

        long deadline = System.nanoTime() + READ_TIMEOUT.plusSeconds(5).toNanos();
        for (Socket s : sockets) {
            assertClosedByServer(s, deadline);
        }
        assertThat(server.cutConnections()).isEqualTo(sockets.size());
        assertThat(quick("GET", "/kv/normal", null).statusCode()).isEqualTo(200);
    }

    /**
     * Clients that hang up before reading their answer leave nothing behind. An outside probe saw every such request
     * (a load balancer's probe that timed out, a client that gave up) keep its connection and file descriptor for good,
     * about 30 a minute per node: the handlers closed the response stream after the failed write, and the JDK's
     * server then never closed the connection.
     */
    @Test
    void clientsThatHangUpBeforeTheAnswerLeaveNoConnectionBehind() throws Exception {
        Path fds = Path.of("/proc/self/fd");
        Assumptions.assumeTrue(Files.isDirectory(fds), "counts this process's descriptors in /proc/self/fd (Linux)");
        start(new HttpWorkers.Limits(64, 256, READ_TIMEOUT));
        assertThat(quick("PUT", "/kv/big", "x".repeat(200_000)).statusCode()).isEqualTo(200);
        long before = count(fds);
        for (int i = 0; i < 60; i++) {
            String path = i % 2 == 0 ? "/kv/big" : "/health/live";
            try (Socket s = new Socket("127.0.0.1", server.uri().getPort())) {
                s.getOutputStream().write(("GET " + path + " HTTP/1.1\r\nHost: x\r\n\r\n")
                        .getBytes(StandardCharsets.UTF_8));
                s.getOutputStream().flush();                 // and hang up without reading the answer
            }
        }
        assertThat(quick("GET", "/status", null).statusCode()).isEqualTo(200);
        Await.until("the abandoned connections to be closed (" + before + " descriptors before)", WAIT,
                () -> count(fds) <= before + 10);
    }

    private static long count(Path dir) {
        try (Stream<Path> files = Files.list(dir)) {
            return files.count();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Test
    void whenEveryWorkerAndTheQueueAreTakenRequestsGet503() throws Exception {
        start(new HttpWorkers.Limits(2, 2, READ_TIMEOUT));
        for (int i = 0; i < 4; i++) {
            open("PUT /kv/slow-" + i + " HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nab");
        }
        Await.until("two requests held and two queued", WAIT, () -> server.requestsInProgress() == 4);
        HttpResponse<String> busy = quick("GET", "/status", null);
        assertThat(busy.statusCode()).isEqualTo(503);
        assertThat(Json.decode(busy.body()).get("error")).contains("busy");

        Await.until("the slow requests are cut", WAIT, () -> server.cutConnections() == 4);
        assertThat(quick("GET", "/status", null).statusCode()).isEqualTo(200);
    }

    @Test
    void aHugeDeclaredLengthGets413AtOnceAndTheConnectionClosed() throws Exception {
        start(new HttpWorkers.Limits(4, 4, READ_TIMEOUT));
        Socket s = open("PUT /kv/big HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000000\r\n\r\n");
        s.setSoTimeout((int) QUICK.toMillis());
        byte[] head = s.getInputStream().readNBytes("HTTP/1.1 413".length());
        assertThat(new String(head, StandardCharsets.US_ASCII)).isEqualTo("HTTP/1.1 413");
        assertClosedByServer(s, System.nanoTime() + READ_TIMEOUT.plusSeconds(5).toNanos());
    }

    private Socket open(String start) throws IOException {
        Socket s = new Socket("127.0.0.1", server.uri().getPort());
        sockets.add(s);
        OutputStream out = s.getOutputStream();
        out.write(start.getBytes(StandardCharsets.US_ASCII));
        out.flush();
        return s;
    }

    private HttpResponse<String> quick(String method, String path, String body) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(URI.create(server.uri() + path)).timeout(QUICK)
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body))
                .build();
        return CLIENT.send(request, HttpResponse.BodyHandlers.ofString());
    }

    /** Reads until the server closes the connection, failing if it is still open at {@code deadlineNanos}. */
    private static void assertClosedByServer(Socket s, long deadlineNanos) throws IOException {
        InputStream in = s.getInputStream();
        try {
            while (true) {
                long left = TimeUnit.NANOSECONDS.toMillis(deadlineNanos - System.nanoTime());
                assertThat(left).as("the server closed the connection in time").isPositive();
                s.setSoTimeout((int) left);
                if (in.read() < 0) {
                    return;
                }
            }
        } catch (SocketTimeoutException e) {
            throw new AssertionError("the server did not close a slow connection within the read timeout", e);
        } catch (SocketException reset) {
            assertThat(reset.getMessage()).containsIgnoringCase("reset");
        }
    }
}
