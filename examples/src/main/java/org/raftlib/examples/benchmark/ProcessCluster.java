package org.raftlib.examples.benchmark;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.raftlib.Member;
import org.raftlib.RaftNode;

/**
 * The first node in this JVM with the load generator, every other node in its own JVM ({@link BenchNodeMain}),
 * driven over its stdin/stdout. Leadership is moved to the local node before the phases start.
 */
final class ProcessCluster implements BenchCluster {

    private final List<Member> members;
    private final Path dir;
    private final List<Process> children = new ArrayList<>();
    private final List<PrintWriter> commands = new ArrayList<>();
    private final List<BufferedReader> replies = new ArrayList<>();
    private final CountingStateMachine localMachine = new CountingStateMachine();
    private RaftNode local;

    ProcessCluster(List<Member> members, Path dir) {
        this.members = members;
        this.dir = dir;
    }

    @Override
    public void start() throws IOException {
        String java = ProcessHandle.current().info().command().orElse("java");
        String classpath = System.getProperty("java.class.path");
        for (Member m : members.subList(1, members.size())) {
            Process p = new ProcessBuilder(java, "-Xmx1g", "-cp", classpath, BenchNodeMain.class.getName(),
                    m.id().value(), BenchCluster.render(members), dir.toString())
                    .redirectError(dir.resolve(m.id().value() + ".log").toFile())
                    .start();
            children.add(p);
            commands.add(new PrintWriter(p.getOutputStream(), true, StandardCharsets.UTF_8));
            replies.add(new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8)));
        }
        for (BufferedReader r : replies) {
            String line = r.readLine();
            if (!"started".equals(line)) {
                throw new IOException("a benchmark node did not start: " + line + " (see logs in " + dir + ")");
            }
        }
        local = BenchCluster.node(members.get(0).id().value(), members, dir, localMachine);
        local.start();
    }

    @Override
    public RaftNode awaitLocalLeader(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (local.status().isLeader()) {
                return local;
            }
            if (local.status().leader().isPresent()) {
                commands.forEach(c -> c.println("transfer " + members.get(0).id().value()));
            }
            Thread.sleep(50);
        }
        throw new IllegalStateException("the local node did not become leader within " + timeout);
    }

    @Override
    public long[][] applied() throws IOException {
        long[][] out = new long[2][members.size()];
        out[0][0] = localMachine.count();
        out[1][0] = localMachine.hash();
        for (int i = 0; i < children.size(); i++) {
            commands.get(i).println("report");
            String[] parts = replies.get(i).readLine().split(" ");
            out[0][i + 1] = Long.parseLong(parts[0]);
            out[1][i + 1] = Long.parseUnsignedLong(parts[1], 16);
        }
        return out;
    }

    @Override
    public long[] counters() {
        return new long[] {0, 0};                         // the children's counters are not visible here
    }

    @Override
    public long cpuNanos() {
        long total = LoadPhase.processCpuNanos();
        for (Process p : children) {
            total += p.info().totalCpuDuration().map(Duration::toNanos).orElse(0L);
        }
        return total;
    }

    @Override
    public void close() throws IOException {
        if (local != null) {
            local.close();
        }
        commands.forEach(PrintWriter::close);
        for (Process p : children) {
            try {
                if (!p.waitFor(10, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                p.destroyForcibly();
            }
        }
    }
}
