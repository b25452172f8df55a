package org.raftlib.examples.kv;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * What the process-level tests share: the packaged jar, free ports, log waits and HTTP calls. Public for the fault
 * suite (tests-nemesis), which depends on this module's test-jar.
 */
public final class ProcessKit {

    public static final Duration WAIT = Duration.ofSeconds(60);
    static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private ProcessKit() {
    }

    /** The jar that {@code mvn package} built; failsafe passes its path. */
    public static Path jar() {
        Path jar = Path.of(System.getProperty("raftlib.kv.jar", "target/raftlib-kv.jar")).toAbsolutePath();
        if (!Files.isRegularFile(jar)) {
            throw new AssertionError("no packaged jar at " + jar + "; run mvn package (or verify) first");
        }
        return jar;
    }

    static Path repoRoot() {
        return Path.of(System.getProperty("raftlib.repo.root", "..")).toAbsolutePath().normalize();
    }

    public static String java() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    /** Returns {@code n} distinct free ports. */
    public static int[] freePorts(int n) {
        return KvCluster.freePorts(n);
    }

    /** Starts {@code command} in {@code dir} with standard output and error appended to {@code log}. */
    public static Process start(List<String> command, Path dir, Path log) throws IOException {
        return new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
    }

    /** Waits until {@code log} holds a line containing {@code marker} (counting only the {@code nth}, from 1). */
    public static String awaitLine(Path log, String marker, int nth, Process p)
            throws IOException, InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (System.nanoTime() < deadline) {
            if (Files.exists(log)) {
                List<String> hits = Files.readAllLines(log, StandardCharsets.UTF_8).stream()
                        .filter(l -> l.contains(marker)).toList();
                if (hits.size() >= nth) {
                    return hits.get(nth - 1);
                }
            }
            if (p.waitFor(20, TimeUnit.MILLISECONDS)) {
                throw new AssertionError("process exited with " + p.exitValue() + " before printing '" + marker
                        + "'; log:\n" + Files.readString(log));
            }
        }
        throw new AssertionError("timed out after " + WAIT + " waiting for '" + marker + "' in " + log + ":\n"
                + Files.readString(log));
    }

    /** Sends one request; a connection failure is status 0. */
    static HttpResponse<String> send(URI node, String method, String path, String body) {
        HttpRequest request = HttpRequest.newBuilder(URI.create(node + path)).timeout(Duration.ofSeconds(20))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body))
                .build();
        try {
            return CLIENT.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    /** Returns a node's status, or an empty map if it does not answer. */
    static Map<String, String> status(URI node) {
        HttpResponse<String> r = send(node, "GET", "/status", null);
        return r == null || r.statusCode() != 200 ? Map.of() : Json.decode(r.body());
    }
}
