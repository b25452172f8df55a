package org.raftlib.examples.kv;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The command line of {@code raftlib-kv.jar} without a cluster: help, and refusals of bad arguments. */
class KvCliTest {

    private static final List<String> COMMANDS = List.of("cluster", "node", "put", "get", "delete", "cas", "append",
            "status", "snapshot", "fill", "members", "add-learner", "add-voter", "promote", "remove");

    @Test
    void everyCommandHasHelp() {
        for (String command : COMMANDS) {
            Result r = run(command, "--help");
            assertThat(r.status).as(command).isZero();
            assertThat(r.out).as(command).startsWith("Usage: raftlib-kv.jar " + command + " [-h]")
                    .contains("--help");
        }
        assertThat(run("get", "-h").out).contains("--stale").contains("--node=URL[,URL...]");
        assertThat(run("node", "--help").out).contains("--members=ID=HOST:RAFT_PORT@HTTP_PORT").contains("--join");
        Result top = run("--help");
        assertThat(top.status).isZero();
        for (String command : COMMANDS) {
            assertThat(top.out).contains("\n  " + command + " ");
        }
        assertThat(run("help", "cas").out).startsWith("Usage: raftlib-kv.jar cas");
    }

    @Test
    void badArgumentsExitWith2AndAMessageNamingThem() {
        assertRefused(run("get", "k", "--bogus"), "Unknown option: '--bogus'");
        assertRefused(run("put", "k"), "Missing required parameter: 'VALUE'");
        assertRefused(run("put", "k", "v", "extra"), "Unmatched argument at index 3: 'extra'");
        assertRefused(run("fill", "many"), "(COUNT): 'many' is not an int");
        assertRefused(run("fill", "0", "--node", "http://127.0.0.1:1"), "fill takes a count between 1 and");
        assertRefused(run("get", "k", "--node"), "Missing required parameter for option '--node'");
        assertRefused(run("node", "--id", "n1"), "Missing required options: '--members=");
        assertRefused(run("node", "--id", "n1", "--members", "n1=nowhere", "--data", "d"), "n1=nowhere");
        assertRefused(run("cluster", "--nodes", "12"), "--nodes must be 1 to 9");
        assertRefused(run("cluster", "--base-port", "x"), "Invalid value for option '--base-port'");
        assertRefused(run("frobnicate"), "Unmatched argument at index 0: 'frobnicate'");
        assertRefused(run("get", "", "--node", "http://127.0.0.1:1"), "key must not be empty");
        assertRefused(run("promote", "bad id", "--node", "http://127.0.0.1:1"), "");
        Result none = run();
        assertThat(none.status).isEqualTo(2);
        assertThat(none.err).startsWith("Usage: raftlib-kv.jar [-h] [COMMAND]");
    }

    @Test
    void anUnreachableNodeIsAnError() {
        Result r = run("get", "k", "--stale", "--node=http://127.0.0.1:1");
        assertThat(r.status).isEqualTo(2);
        assertThat(r.err).contains("cannot reach http://127.0.0.1:1");
        Result append = run("append", "k", "x", "--node=http://127.0.0.1:1,http://127.0.0.1:2");
        assertThat(append.status).isEqualTo(2);
        assertThat(append.err).contains("cannot reach http://127.0.0.1:2");
        Result both = run("get", "k", "--node=http://127.0.0.1:1,http://127.0.0.1:2");
        assertThat(both.err).contains("cannot reach http://127.0.0.1:2")
                .as("every node's failure is told, not only the last's").contains("earlier: http://127.0.0.1:1: cannot"
                        + " reach http://127.0.0.1:1");
    }

    /**
     * A write that timed out on a node that accepted it (paused: its kernel holds the request) is not sent to the
     * next node: the first may apply it when it resumes, after a second copy, and the older value would win (an
     * outside probe lost an update that way). The CLI says the outcome is unknown.
     */
    @Test
    void aWriteThatTimedOutIsNotSentToAnotherNode() throws Exception {
        try (ServerSocket paused = new ServerSocket(0, 5, InetAddress.getLoopbackAddress());
                ServerSocket next = new ServerSocket(0, 5, InetAddress.getLoopbackAddress())) {
            String nodes = "--node=http://127.0.0.1:" + paused.getLocalPort() + ",http://127.0.0.1:"
                    + next.getLocalPort();
            Result put = run("put", "k", "v", nodes, "--timeout=1");
            assertThat(put.status).isEqualTo(2);
            assertThat(put.err).contains("127.0.0.1:" + paused.getLocalPort()).contains("may or may not have been"
                    + " applied").doesNotContain("127.0.0.1:" + next.getLocalPort());
            next.setSoTimeout(1);
            assertThatThrownBy(next::accept).as("nothing was sent to the next node")
                    .isInstanceOf(SocketTimeoutException.class);

            Result get = run("get", "k", "--stale", nodes, "--timeout=1");
            assertThat(get.err).as("a read moves on").contains("127.0.0.1:" + next.getLocalPort());
        }
        assertRefused(run("get", "k", "--timeout=0"), "--timeout must be a positive number of seconds");
    }

    /**
     * Another server at a listed address (its 404 page is no "key not found") is not a node: the next one is asked.
     * Found by an outside probe: `get` printed the foreign server's HTML page and exited 1 ("not found") for a key
     * the next node held.
     */
    @Test
    void aServerThatIsNotAKvNodeIsSkipped() throws Exception {
        HttpServer foreign = server(404, "text/html", "<!DOCTYPE HTML>\n<html><body>Error 404</body></html>");
        HttpServer node = server(200, "application/json", "{\"key\":\"a\",\"value\":\"v\"}");
        try {
            String nodes = "--node=http://127.0.0.1:" + foreign.getAddress().getPort() + ",http://127.0.0.1:"
                    + node.getAddress().getPort();
            Result get = run("get", "a", "--stale", nodes);
            assertThat(get.status).as(get.err).isZero();
            assertThat(get.out.strip()).isEqualTo("v");
            Result put = run("put", "a", "w", nodes);
            assertThat(put.status).as("a 404 applied nothing: the next node takes the write; " + put.err).isZero();

            Result alone = run("get", "a", "--stale", "--node=http://127.0.0.1:" + foreign.getAddress().getPort());
            assertThat(alone.status).isEqualTo(2);
            assertThat(alone.err).contains("not a key-value node's answer from").contains("HTTP 404, <!DOCTYPE HTML>")
                    .doesNotContain("</html>");
        } finally {
            foreign.stop(0);
            node.stop(0);
        }
    }

    private static HttpServer server(int status, String type, String body) throws IOException {
        HttpServer s = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        s.createContext("/", exchange -> {
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            exchange.getRequestBody().readAllBytes();
            exchange.getResponseHeaders().add("Content-Type", type);
            exchange.sendResponseHeaders(status, bytes.length);
            exchange.getResponseBody().write(bytes);
            exchange.close();
        });
        s.start();
        return s;
    }

    private static void assertRefused(Result r, String message) {
        assertThat(r.status).as(r.err).isEqualTo(2);
        assertThat(r.err).contains(message);
        assertThat(r.out).isEmpty();
    }

    private record Result(int status, String out, String err) {
    }

    private static Result run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = KvCli.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Result(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }
}
