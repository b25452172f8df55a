package org.raftlib.admin;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.raftlib.transport.netty.TlsConfig;

/**
 * Runs the transport README's certificate commands and then this module's README's admin-certificate commands as
 * written, starts a 3-node cluster on the node certificates with admin endpoints, and checks that the command line
 * accepts the admin certificate and that a node certificate is refused. Skipped, saying so, without openssl or bash.
 */
class AdminReadmeTest {

    @TempDir
    Path dir;

    @Test
    void readmeCommandsIssueAnAdminCertificateTheEndpointAccepts() throws Exception {
        String path = System.getenv().getOrDefault("PATH", "");
        Assumptions.assumeTrue(onPath("openssl", path), "skipped: openssl is not installed");
        Assumptions.assumeTrue(onPath("bash", path), "skipped: bash is not installed");
        String script = block(Path.of("../raft-transport-netty/README.md"),
                "<!-- ReadmeCertificatesTest runs this block as written: openssl -->") + "cd ..\n"
                + block(Path.of("README.md"), "<!-- AdminReadmeTest runs this block as written");
        Path file = dir.resolve("pki.sh");
        Files.writeString(file, script);
        Path output = dir.resolve("pki.out");
        Process p = new ProcessBuilder("bash", "-e", file.toString()).directory(dir.toFile())
                .redirectErrorStream(true).redirectOutput(output.toFile()).start();
        if (!p.waitFor(3, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            throw new AssertionError("the README commands did not finish within 3 minutes");
        }
        assertThat(p.exitValue()).as("exit code; output:%n%s", Files.readString(output)).isZero();
        assertThat(Files.readString(output)).contains("alice.crt: OK").contains("URI:urn:raftlib:admin:alice");

        Path pki = dir.resolve("raft-pki");
        try (AdminTestCluster c = AdminTestCluster.start(3, id -> TlsConfig.fromPem(pki.resolve(id + ".crt"),
                pki.resolve(id + ".key"), pki.resolve("ca.crt")))) {
            String[] alice = args(c, pki, "alice");
            assertThat(run(alice)).startsWith("0:").contains("\nn1 ", "\nn2 ", "\nn3 ");
            assertThat(run(args(c, pki, "n1"))).startsWith("1:").contains("node certificate");
        }
    }

    private static String[] args(AdminTestCluster c, Path pki, String name) {
        return new String[] {"--endpoints", c.endpoints(), "--cert", pki.resolve(name + ".crt").toString(), "--key",
            pki.resolve(name + ".key").toString(), "--ca", pki.resolve("ca.crt").toString(), "status"};
    }

    /** Returns the exit code, a colon, then what the command printed (answers, then errors). */
    private static String run(String[] args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = AdminCli.run(args, new PrintWriter(out), new PrintWriter(err));
        return code + ":" + out + err;
    }

    /** Returns the fenced block that follows the line starting with {@code marker}. */
    private static String block(Path readme, String marker) throws IOException {
        List<String> lines = Files.readAllLines(readme, StandardCharsets.UTF_8);
        int i = 0;
        while (i < lines.size() && !lines.get(i).startsWith(marker)) {
            i++;
        }
        if (i + 1 >= lines.size() || !lines.get(i + 1).startsWith("```sh")) {
            throw new AssertionError(readme + " has no block marked " + marker);
        }
        StringBuilder block = new StringBuilder();
        for (int j = i + 2; j < lines.size() && !lines.get(j).startsWith("```"); j++) {
            block.append(lines.get(j)).append('\n');
        }
        return block.toString();
    }

    private static boolean onPath(String tool, String path) {
        for (String d : path.split(File.pathSeparator)) {
            if (!d.isEmpty() && Files.isExecutable(Path.of(d, tool))) {
                return true;
            }
        }
        return false;
    }
}
