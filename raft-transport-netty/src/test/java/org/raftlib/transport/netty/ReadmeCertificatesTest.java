package org.raftlib.transport.netty;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.raftlib.Member;
import org.raftlib.RaftNode;
import org.raftlib.RaftOptions;
import org.raftlib.local.InMemoryLogStorage;
import org.raftlib.message.RaftMessage;
import org.raftlib.message.TimeoutNow;
import org.raftlib.testkit.Await;
import org.raftlib.testkit.RecordingStateMachine;
import org.raftlib.transport.netty.NettyTransportMetrics.RejectReason;

/**
 * Runs the certificate commands of the module README as written (each block marked for this test), builds the TLS
 * contexts the way the README does, and checks that a three-node mutual-TLS cluster on those certificates elects a
 * leader and replicates, and that n2's certificate claiming to be n1 is refused. Skipped, saying so, when the tool a
 * block uses is not installed.
 */
class ReadmeCertificatesTest {

    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final Duration COMMANDS_TIMEOUT = Duration.ofMinutes(3);
    private static final String PASSWORD = "readme-test-password";

    @TempDir
    Path dir;

    private final List<RaftNode> nodes = new ArrayList<>();
    private final List<NettyTransport> transports = new ArrayList<>();

    /** Makes one node's TLS configuration from the files the README's commands wrote into {@code pki}. */
    private interface Configs {
        TlsConfig of(Path pki, String node) throws Exception;
    }

    @AfterEach
    void closeAll() {
        nodes.forEach(RaftNode::close);
        transports.forEach(NettyTransport::close);
    }

    @Test
    void opensslCommandsMakeCertificatesThatFormAMutualTlsCluster() throws Exception {
        Path pki = runReadmeBlock("openssl", "openssl");
        checkCluster(pki, (p, node) -> TlsConfig.fromPem(p.resolve(node + ".crt"), p.resolve(node + ".key"),
                p.resolve("ca.crt")));                                  // README step 2, as written there
    }

    @Test
    void keytoolCommandsMakeCertificatesThatFormAMutualTlsCluster() throws Exception {
        Path pki = runReadmeBlock("keytool", "keytool");
        checkCluster(pki, (p, node) -> TlsConfig.of(keys(p, node), trust(p)));   // the README's keytool variant
    }

    private static KeyManagerFactory keys(Path pki, String node) throws Exception {
        char[] password = PASSWORD.toCharArray();
        KeyManagerFactory keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        keys.init(KeyStore.getInstance(new File(pki.toFile(), node + ".p12"), password), password);
        return keys;
    }

    private static TrustManagerFactory trust(Path pki) throws Exception {
        char[] password = PASSWORD.toCharArray();
        TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        trust.init(KeyStore.getInstance(new File(pki.toFile(), "trust.p12"), password));
        return trust;
    }

    /**
     * Runs the README block marked {@code marker} with bash -e in the temp dir, the JDK's tools first on the path.
     * Returns the folder the block made, {@code raft-pki}.
     */
    private Path runReadmeBlock(String marker, String tool) throws Exception {
        Path javaBin = Path.of(System.getProperty("java.home"), "bin");
        String path = javaBin + File.pathSeparator + System.getenv().getOrDefault("PATH", "");
        Assumptions.assumeTrue(onPath(tool, path), "skipped: '" + tool + "' is not installed, so the README's "
                + tool + " commands cannot run here");
        Assumptions.assumeTrue(onPath("bash", path), "skipped: bash is not installed");
        Path script = dir.resolve(marker + ".sh");
        Files.writeString(script, readmeBlock(marker));
        Path output = dir.resolve(marker + ".out");
        ProcessBuilder pb = new ProcessBuilder("bash", "-e", script.toString()).directory(dir.toFile())
                .redirectErrorStream(true).redirectOutput(output.toFile());
        Map<String, String> env = pb.environment();
        env.put("PATH", path);
        env.put("RAFT_PKI_PASSWORD", PASSWORD);
        Process p = pb.start();
        if (!p.waitFor(COMMANDS_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("the README's " + marker + " commands did not finish within " + COMMANDS_TIMEOUT);
        }
        String out = Files.readString(output);
        assertThat(p.exitValue()).as("exit code of the README's %s commands; output:%n%s", marker, out).isZero();
        return dir.resolve("raft-pki");
    }

    private static boolean onPath(String tool, String path) {
        for (String d : path.split(File.pathSeparator)) {
            if (!d.isEmpty() && Files.isExecutable(Path.of(d, tool))) {
                return true;
            }
        }
        return false;
    }

    /** Returns the fenced block that follows the README's comment line naming this test and {@code marker}. */
    static String readmeBlock(String marker) throws IOException {
        List<String> lines = Files.readAllLines(Path.of("README.md"), StandardCharsets.UTF_8);
        int i = 0;
        while (i < lines.size() && !(lines.get(i).startsWith("<!-- ReadmeCertificatesTest runs this block")
                && lines.get(i).endsWith(": " + marker + " -->"))) {
            i++;
        }
        if (i + 1 >= lines.size() || !lines.get(i + 1).startsWith("```sh")) {
            throw new AssertionError("README.md has no block marked for ReadmeCertificatesTest: " + marker);
        }
        StringBuilder block = new StringBuilder();
        for (int j = i + 2; j < lines.size() && !lines.get(j).startsWith("```"); j++) {
            block.append(lines.get(j)).append('\n');
        }
        return block.toString();
    }

    private void checkCluster(Path pki, Configs contexts) throws Exception {
        List<Member> members = new ArrayList<>();
        for (String id : List.of("n1", "n2", "n3")) {
            members.add(TestNet.loopbackMember(id));
        }
        List<RecordingStateMachine> machines = new ArrayList<>();
        for (Member m : members) {
            NettyTransport t = tlsTransport(pki, contexts, m.id().value());
            RecordingStateMachine sm = new RecordingStateMachine();
            RaftNode node = RaftNode.builder().id(m.id()).members(members).stateMachine(sm)
                    .logStorage(new InMemoryLogStorage()).transport(t).options(RaftOptions.defaults()
                            .withTickInterval(Duration.ofMillis(10)).withElectionTimeout(Duration.ofMillis(300))
                            .withHeartbeatInterval(Duration.ofMillis(30))).build();
            nodes.add(node);
            machines.add(sm);
            node.start();
        }
        Await.until("a leader", WAIT, () -> nodes.stream().filter(n -> n.status().isLeader()).count() == 1);
        RaftNode leader = nodes.stream().filter(n -> n.status().isLeader()).findFirst().orElseThrow();
        leader.submit("x".getBytes(StandardCharsets.UTF_8)).get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        Await.until("every node to apply the command", WAIT, () -> machines.stream().allMatch(sm -> sm.size() == 1));
        for (NettyTransport t : transports) {           // refused for their certificates (other closes may happen)
            assertThat(t.metrics().rejected(RejectReason.TLS_FAILURE)).as("TLS handshakes refused").isZero();
            assertThat(t.metrics().rejected(RejectReason.IDENTITY_MISMATCH)).as("identities refused").isZero();
        }
        checkImpostorIsRefused(pki, contexts, members.get(2), transports.get(2));
    }

    /** A node holding n2's certificate, claiming to be n1, is refused by n3. */
    private void checkImpostorIsRefused(Path pki, Configs contexts, Member n3, NettyTransport n3Transport)
            throws Exception {
        Member claimedN1 = TestNet.loopbackMember("n1");
        NettyTransport impostor = tlsTransport(pki, contexts, "n2");
        impostor.updatePeers(List.of(n3));
        Queue<RaftMessage> ignored = new ConcurrentLinkedQueue<>();
        impostor.start(claimedN1, ignored::add);
        impostor.send(new TimeoutNow(claimedN1.id(), n3.id(), 1));
        Await.until("n3 to refuse n2's certificate claiming n1", WAIT,
                () -> n3Transport.metrics().rejected(RejectReason.IDENTITY_MISMATCH) == 1);
    }

    private NettyTransport tlsTransport(Path pki, Configs contexts, String node) throws Exception {
        NettyTransport t = NettyTransport.builder().clusterId("readme").options(TestNet.fastOptions())
                .tls(contexts.of(pki, node)).build();
        transports.add(t);
        return t;
    }
}
