package org.raftlib.admin;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.raftlib.testkit.Await;

/**
 * The command line run in this process against a 3-node mutual-TLS cluster, with the admin's certificate, key and
 * CA written as PEM files: usage errors, help, and the commands' output and exit codes.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AdminCliTest {

    private Path pem;
    private AdminTestCluster c;

    /** What one run printed and returned. */
    private record Run(int code, String out, String err) {
    }

    @BeforeAll
    void startCluster(@TempDir Path dir) throws Exception {
        pem = dir;
        c = AdminTestCluster.start(3);
        c.writePem(pem, "alice", c.admin);
        c.writePem(pem, "n1", c.pki.node("n1"));
    }

    @AfterAll
    void stopCluster() {
        if (c != null) {
            c.close();
        }
    }

    private static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = AdminCli.run(args, new PrintWriter(out), new PrintWriter(err));
        return new Run(code, out.toString(), err.toString());
    }

    /** Runs with the global options of the admin's files, then {@code args}. */
    private Run admin(String... args) {
        return withCertificate("alice", args);
    }

    private Run withCertificate(String name, String... args) {
        List<String> all = new ArrayList<>(List.of("--endpoints", c.endpoints(), "--cert",
                pem.resolve(name + ".crt").toString(), "--key", pem.resolve(name + ".key").toString(), "--ca",
                pem.resolve("ca.crt").toString()));
        all.addAll(List.of(args));
        return run(all.toArray(String[]::new));
    }

    @Test
    void usageErrorsExitTwoAndNameTheBadFlag() {
        Run none = run();
        assertThat(none.code()).isEqualTo(2);
        assertThat(none.err()).contains("--endpoints");

        Run noEndpoints = run("status", "--cert", pem.resolve("alice.crt").toString(), "--key",
                pem.resolve("alice.key").toString(), "--ca", pem.resolve("ca.crt").toString());
        assertThat(noEndpoints.code()).isEqualTo(2);
        assertThat(noEndpoints.err()).contains("--endpoints");

        Run badEndpoint = admin("status", "--endpoints", "nohost");
        assertThat(badEndpoint.code()).isEqualTo(2);
        assertThat(badEndpoint.err()).contains("--endpoints").contains("nohost");

        Run missingFile = run("status", "--endpoints", c.endpoints(), "--cert", pem.resolve("missing.crt").toString(),
                "--key", pem.resolve("alice.key").toString(), "--ca", pem.resolve("ca.crt").toString());
        assertThat(missingFile.code()).isEqualTo(2);
        assertThat(missingFile.err()).contains("--cert").contains("missing.crt");

        Run unknown = admin("status", "--colour");
        assertThat(unknown.code()).isEqualTo(2);
        assertThat(unknown.err()).contains("--colour");

        Run noTarget = admin("transfer");
        assertThat(noTarget.code()).isEqualTo(2);
        assertThat(noTarget.err()).contains("--to");

        Run noAddress = admin("add-voter", "n9");
        assertThat(noAddress.code()).isEqualTo(2);
        assertThat(noAddress.err()).contains("<address>");

        Run badAddress = admin("add-learner", "n9", "nowhere");
        assertThat(badAddress.code()).isEqualTo(2);
        assertThat(badAddress.err()).contains("<address>").contains("nowhere");

        Run badTimeout = admin("status", "--timeout", "0");
        assertThat(badTimeout.code()).isEqualTo(2);
        assertThat(badTimeout.err()).contains("--timeout");
    }

    @Test
    void everyCommandHasHelp() {
        for (String command : List.of("status", "transfer", "add-voter", "add-learner", "promote", "remove",
                "snapshot")) {
            Run help = run(command, "--help");
            assertThat(help.code()).as(command).isZero();
            assertThat(help.out()).as(command).contains("Usage: raftlib-admin " + command).contains("--endpoints");
        }
        Run top = run("--help");
        assertThat(top.code()).isZero();
        assertThat(top.out()).contains("add-voter").contains("Exit codes");
    }

    @Test
    void statusPrintsARowPerMember() {
        c.awaitLeader();
        Run[] last = new Run[1];
        Await.until("a status with one leader (elections may run meanwhile)", AdminTestCluster.WAIT, () -> {
            last[0] = admin("status");
            return last[0].out().lines().skip(1).filter(l -> l.contains(" LEADER ")).count() == 1;
        });
        Run status = last[0];
        assertThat(status.code()).as(status.err()).isZero();
        List<String> lines = status.out().lines().toList();
        assertThat(lines).hasSize(4);
        assertThat(lines.get(0)).startsWith("ID").contains("ROLE", "TERM", "LEADER", "LAST", "COMMIT", "APPLIED",
                "LAG", "SNAPSHOT");
        for (int i = 1; i <= 3; i++) {
            assertThat(lines.get(i)).startsWith("n" + i + " ").contains(c.endpoint("n" + i));
        }
        assertThat(lines.subList(1, 4)).filteredOn(l -> l.contains(" LEADER ")).hasSize(1);
    }

    @Test
    void statusExitsOneWhenAnEndpointDoesNotAnswer() {
        Run status = run("--endpoints", c.endpoint("n1") + ",127.0.0.1:1", "--cert",
                pem.resolve("alice.crt").toString(), "--key", pem.resolve("alice.key").toString(), "--ca",
                pem.resolve("ca.crt").toString(), "status");
        assertThat(status.code()).isEqualTo(1);
        assertThat(status.err()).contains("127.0.0.1:1");
        assertThat(status.out()).contains("n1 ");
    }

    /**
     * Endpoints that accept connections but never answer (paused nodes) are asked at once and for at most a few
     * seconds each: one after another, each for the whole --timeout, they held every command (outside probe).
     */
    @Test
    void pausedEndpointsAreAskedTogetherForAFewSeconds() throws Exception {
        List<ServerSocket> paused = new ArrayList<>();
        try {
            StringBuilder endpoints = new StringBuilder(c.endpoint("n1"));
            for (int i = 0; i < 3; i++) {
                paused.add(new ServerSocket(0, 5, InetAddress.getLoopbackAddress()));
                endpoints.append(",127.0.0.1:").append(paused.get(i).getLocalPort());
            }
            long start = System.nanoTime();
            Run status = run("--endpoints", endpoints.toString(), "--cert", pem.resolve("alice.crt").toString(),
                    "--key", pem.resolve("alice.key").toString(), "--ca", pem.resolve("ca.crt").toString(), "status");
            Duration took = Duration.ofNanos(System.nanoTime() - start);
            assertThat(status.code()).isEqualTo(1);
            assertThat(status.err().lines()).hasSize(3).allMatch(l -> l.contains("within "
                    + AdminCli.STATUS_WAIT_SECONDS + " s"));
            assertThat(status.out()).contains("n1 ");
            assertThat(took).as("asked together (one after another: 15 s)").isLessThan(Duration.ofSeconds(12));
        } finally {
            for (ServerSocket s : paused) {
                s.close();
            }
        }
    }

    @Test
    void aNodeCertificateIsRefused() {
        Run refused = withCertificate("n1", "status");
        assertThat(refused.code()).isEqualTo(1);
        assertThat(refused.err()).contains("node certificate");
        assertThat(refused.out()).as("no table header without a row").isEmpty();
    }

    @Test
    void transferAndSnapshotThroughTheCommandLine() {
        String leader = c.awaitLeader();
        String target = leader.equals("n3") ? "n1" : "n3";
        Run transfer = admin("transfer", "--to", target);
        assertThat(transfer.code()).as(transfer.err()).isZero();
        assertThat(transfer.out()).contains("leadership transferred from " + leader + " to " + target);
        Await.until(target + " to lead", AdminTestCluster.WAIT, () -> c.nodes.get(target).status().isLeader());

        Run again = admin("transfer", "--to", target);
        assertThat(again.code()).as(again.err()).isZero();
        assertThat(again.out()).containsAnyOf(target + " leads already", " to " + target);   // unless it lost it

        Run snapshot = admin("snapshot");
        assertThat(snapshot.code()).as(snapshot.err()).isZero();
        assertThat(snapshot.out().lines()).hasSize(3).allMatch(l -> l.matches(".*: snapshot at index \\d+"));

        Run unknownMember = admin("remove", "n9");
        assertThat(unknownMember.code()).isEqualTo(1);
        assertThat(unknownMember.err()).contains("not a member");
    }
}
