package org.raftlib.examples.kv;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.raftlib.testkit.Await;

/**
 * Runs the root README's quick start as a user would: the command between the quickstart markers, then the client
 * commands the README shows, then stops the launcher and checks that no node process is left.
 */
class QuickStartIT {

    private static final String BEGIN = "<!-- quickstart:begin -->";
    private static final String END = "<!-- quickstart:end -->";
    private static final String JAR = "examples/target/raftlib-kv.jar";

    @TempDir
    Path dir;

    private Process launcher;

    @AfterEach
    void stop() {
        if (launcher != null) {
            launcher.descendants().forEach(ProcessHandle::destroyForcibly);
            launcher.destroyForcibly();
        }
    }

    @Test
    void readmeQuickStartStartsAClusterThatTheReadmeClientCommandsUse() throws Exception {
        String readme = Files.readString(ProcessKit.repoRoot().resolve("README.md"));
        String command = quickStartCommand(readme);
        String[] steps = command.split("&&");
        assertThat(steps).as("quick start '%s': build, then run", command).hasSize(2);
        assertThat(steps[0].trim()).as("the build step").startsWith("mvn ").contains(" package");
        assertThat(steps[1].trim()).as("the run step").startsWith("java -jar " + JAR + " cluster");
        assertThat(ProcessKit.repoRoot().resolve(JAR)).as("the jar the quick start runs is the one built")
                .isRegularFile().hasSameBinaryContentAs(ProcessKit.jar());

        List<String> run = new ArrayList<>(Arrays.asList(steps[1].trim().split("\\s+")));
        run.set(0, ProcessKit.java());
        run.addAll(List.of("--base-port", "0", "--data", dir.resolve("data").toString()));
        Path log = dir.resolve("launcher.log");
        launcher = ProcessKit.start(run, ProcessKit.repoRoot(), log);
        ProcessKit.awaitLine(log, KvCluster.READY, 1, launcher);
        String nodes = httpAddresses(Files.readString(log));

        List<String> clientLines = readme.lines().map(String::trim)
                .filter(l -> l.matches("java -jar " + Pattern.quote(JAR) + " (put|get|status)\\b.*")).toList();
        assertThat(clientLines).as("client commands in the README").hasSizeGreaterThanOrEqualTo(3);
        for (String line : clientLines) {
            String[] words = line.substring(("java -jar " + JAR + " ").length()).split("\\s+");
            String out = cli(words, nodes);
            switch (words[0]) {
                case "put" -> assertThat(out).as(line).startsWith("OK");
                case "get" -> assertThat(out.trim()).as(line).isEqualTo(valuePutFor(clientLines, words[1]));
                default -> assertThat(out).as(line).contains("LEADER").contains("leader: n");
            }
        }

        List<ProcessHandle> children = launcher.descendants().collect(Collectors.toList());
        assertThat(children).as("node processes under the launcher").hasSize(3);
        launcher.destroy();
        assertThat(launcher.waitFor(60, TimeUnit.SECONDS)).as("launcher stops on SIGTERM").isTrue();
        Await.until("every node process to end", ProcessKit.WAIT,
                () -> children.stream().noneMatch(ProcessHandle::isAlive));
        assertThat(Files.readString(log)).contains("Stopped 3 nodes");
    }

    private static String quickStartCommand(String readme) {
        int begin = readme.indexOf(BEGIN);
        int end = readme.indexOf(END);
        assertThat(begin).as("README has %s", BEGIN).isNotNegative();
        assertThat(end).as("README has %s after the begin marker", END).isGreaterThan(begin);
        List<String> lines = readme.substring(begin + BEGIN.length(), end).lines().map(String::trim)
                .filter(l -> !l.isEmpty() && !l.startsWith("```")).toList();
        assertThat(lines).as("one command between the markers").hasSize(1);
        return lines.get(0);
    }

    private static String httpAddresses(String launcherOutput) {
        Matcher m = Pattern.compile("http (http://127\\.0\\.0\\.1:\\d+)").matcher(launcherOutput);
        List<String> found = new ArrayList<>();
        while (m.find()) {
            found.add(m.group(1));
        }
        assertThat(found).as("HTTP addresses printed by the launcher").hasSize(3);
        return String.join(",", found);
    }

    private static String valuePutFor(List<String> lines, String key) {
        return lines.stream().map(l -> l.split("\\s+")).filter(w -> w.length == 6 && w[3].equals("put")
                && w[4].equals(key)).map(w -> w[5]).findFirst().orElseThrow();
    }

    /** Runs the client as the README does, {@code java -jar <jar> ...}, against the launcher's nodes. */
    private String cli(String[] words, String nodes) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(ProcessKit.java(), "-jar", ProcessKit.jar().toString()));
        cmd.addAll(Arrays.asList(words));
        cmd.addAll(List.of("--node", nodes));
        Path out = Files.createTempFile(dir, "cli", ".out");
        Process p = ProcessKit.start(cmd, ProcessKit.repoRoot(), out);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("%s finishes", cmd).isTrue();
        String output = Files.readString(out);
        assertThat(p.exitValue()).as("%s: %s", cmd, output).isZero();
        return output;
    }
}
