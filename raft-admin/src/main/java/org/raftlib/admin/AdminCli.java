package org.raftlib.admin;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.raftlib.NodeId;
import org.raftlib.RaftStatus;
import org.raftlib.transport.netty.AdminClient;
import org.raftlib.transport.netty.AdminException;
import org.raftlib.transport.netty.TlsConfig;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;
import picocli.CommandLine.TypeConversionException;

/**
 * {@code raftlib-admin}: the command line of raftlib's admin endpoint ({@code AdminServer}), for any application
 * that enables it. Global options name the endpoints and the admin's PEM files; they may come before or after the
 * command. Exit codes: 0 success, 1 the operation failed (the reason is printed), 2 a usage error (naming the bad
 * flag or argument).
 *
 * <pre>{@code
 * java -jar raftlib-admin.jar --endpoints 10.0.0.1:7101,10.0.0.2:7101 \
 *     --cert alice.crt --key alice.key --ca ca.crt status
 * }</pre>
 */
@Command(name = "raftlib-admin", mixinStandardHelpOptions = true, version = "raftlib-admin 0.1.0",
        description = "Administers a raftlib cluster through the admin endpoints of its nodes (mutual TLS).",
        subcommands = {StatusCommand.class, Commands.Transfer.class, Commands.AddVoter.class,
            Commands.AddLearner.class, Commands.Promote.class, Commands.Remove.class, Commands.Snapshot.class},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:success", "1:the operation failed", "2:usage error"})
public final class AdminCli {

    /** Exit code of a failed operation. */
    public static final int FAILED = 1;

    @Spec
    private CommandSpec spec;

    @Option(names = "--endpoints", required = true, split = ",", paramLabel = "<host:port>",
            converter = EndpointConverter.class, scope = ScopeType.INHERIT,
            description = "Admin endpoints of the nodes, comma-separated.")
    private List<String> endpoints;

    @Option(names = "--cert", required = true, paramLabel = "<file>", converter = ReadableFile.class,
            scope = ScopeType.INHERIT, description = "The admin's certificate (PEM), naming urn:raftlib:admin:<name>.")
    private Path cert;

    @Option(names = "--key", required = true, paramLabel = "<file>", converter = ReadableFile.class,
            scope = ScopeType.INHERIT, description = "The admin's unencrypted PKCS#8 private key (PEM).")
    private Path key;

    @Option(names = "--ca", required = true, paramLabel = "<file>", converter = ReadableFile.class,
            scope = ScopeType.INHERIT, description = "CA certificates the nodes' certificates chain to (PEM).")
    private Path ca;

    /** The longest wait for a status answer, in seconds. */
    static final int STATUS_WAIT_SECONDS = 5;

    @Option(names = "--timeout", paramLabel = "<seconds>", defaultValue = "40", scope = ScopeType.INHERIT,
            description = "Longest wait for an operation's answer, in seconds (default: ${DEFAULT-VALUE}); status "
                    + "requests, and the leader lookup before an operation, wait at most "
                    + STATUS_WAIT_SECONDS + " s of it.")
    private int timeoutSeconds;

    /**
     * Runs the command line and exits with its code.
     *
     * @param args the arguments
     */
    public static void main(String[] args) {
        System.exit(run(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
    }

    /**
     * Runs the command line in this process, writing answers to {@code out} and errors to {@code err}.
     *
     * @param args the arguments
     * @param out where answers go
     * @param err where errors and usage messages go
     * @return the exit code: 0 success, 1 the operation failed, 2 a usage error
     */
    public static int run(String[] args, PrintWriter out, PrintWriter err) {
        CommandLine cli = new CommandLine(new AdminCli());
        cli.setOut(out);
        cli.setErr(err);
        cli.setExecutionExceptionHandler((e, cmd, parsed) -> {
            if (e instanceof AdminException a) {
                cmd.getErr().println("error: " + a.getMessage());
            } else {
                cmd.getErr().println("error: " + e);
            }
            cmd.getErr().flush();
            return FAILED;
        });
        int code = cli.execute(args);
        out.flush();
        err.flush();
        return code;
    }

    /** Returns the command's spec (for its output streams). */
    CommandSpec spec() {
        return spec;
    }

    /** Returns the endpoints, in the order given. */
    List<String> endpoints() {
        return endpoints;
    }

    /**
     * Returns a client with the admin's certificate.
     *
     * @throws CommandLine.ParameterException if the PEM files cannot be used or the timeout is not positive
     */
    AdminClient client() {
        if (timeoutSeconds <= 0) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    "Invalid value for option '--timeout': must be positive, not " + timeoutSeconds);
        }
        try {
            return AdminClient.create(TlsConfig.fromPem(cert, key, ca), Duration.ofSeconds(timeoutSeconds));
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    "Invalid value for option '--cert', '--key' or '--ca': " + e.getMessage());
        }
    }

    /**
     * Asks every endpoint for its status, all at once, each for at most {@link #STATUS_WAIT_SECONDS} (or the
     * timeout if shorter): a node answers from memory, and a paused one held every command for the whole timeout,
     * endpoint after endpoint (outside probe). An endpoint that fails maps to its exception; the order is the
     * endpoints'.
     */
    Map<String, Object> statuses(AdminClient client) {
        Duration wait = Duration.ofSeconds(Math.min(timeoutSeconds, STATUS_WAIT_SECONDS));
        ExecutorService askers = Executors.newFixedThreadPool(Math.min(endpoints.size(), 16), r -> {
            Thread t = new Thread(r, "raftlib-admin-status");
            t.setDaemon(true);
            return t;
        });
        try {
            Map<String, CompletableFuture<Object>> asked = new LinkedHashMap<>();
            for (String e : endpoints) {
                asked.put(e, CompletableFuture.supplyAsync(() -> {
                    try {
                        return client.status(e, wait);
                    } catch (AdminException failure) {
                        return failure;
                    }
                }, askers));
            }
            Map<String, Object> out = new LinkedHashMap<>();
            for (Map.Entry<String, CompletableFuture<Object>> a : asked.entrySet()) {
                try {
                    out.put(a.getKey(), a.getValue().join());
                } catch (CompletionException failed) {
                    throw failed.getCause() instanceof RuntimeException r ? r : failed;
                }
            }
            return out;
        } finally {
            askers.shutdownNow();
        }
    }

    /** The leader found among the endpoints: its admin endpoint and its id. */
    record Leader(String endpoint, NodeId id) {
    }

    /**
     * Returns the leader among the endpoints (the one in the highest term if several claim it).
     *
     * @throws AdminException if no endpoint answers as the leader
     */
    Leader leader(AdminClient client) {
        Leader best = null;
        long bestTerm = -1;
        List<String> seen = new ArrayList<>();
        for (Map.Entry<String, Object> e : statuses(client).entrySet()) {
            if (e.getValue() instanceof RaftStatus s) {
                seen.add(s.id() + " (" + e.getKey() + ") is " + s.role() + s.leader().map(l -> ", leader " + l)
                        .orElse(", no leader known"));
                if (s.isLeader() && s.term() > bestTerm) {
                    best = new Leader(e.getKey(), s.id());
                    bestTerm = s.term();
                }
            } else {
                seen.add(e.getKey() + ": " + ((Exception) e.getValue()).getMessage());
            }
        }
        if (best == null) {
            throw new AdminException(AdminException.Code.NOT_LEADER, "no leader among the endpoints; list the "
                    + "leader's admin endpoint in --endpoints. " + String.join("; ", seen), (Throwable) null);
        }
        return best;
    }

    /** Checks a {@code host:port} endpoint. */
    static final class EndpointConverter implements ITypeConverter<String> {
        @Override
        public String convert(String value) {
            int colon = value.lastIndexOf(':');
            String port = colon < 0 ? "" : value.substring(colon + 1);
            boolean ok = colon > 0 && !port.isEmpty() && port.length() <= 5
                    && port.chars().allMatch(Character::isDigit) && Integer.parseInt(port) >= 1
                    && Integer.parseInt(port) <= 65_535 && value.chars().noneMatch(Character::isWhitespace);
            if (!ok) {
                throw new TypeConversionException("'" + value + "' is not host:port");
            }
            return value;
        }
    }

    /** Checks that a file exists and can be read. */
    static final class ReadableFile implements ITypeConverter<Path> {
        @Override
        public Path convert(String value) {
            Path p = Path.of(value);
            if (!Files.isRegularFile(p) || !Files.isReadable(p)) {
                throw new TypeConversionException("cannot read file '" + value + "'");
            }
            return p;
        }
    }
}
