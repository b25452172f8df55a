package org.raftlib.examples.kv;

import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import org.raftlib.NodeId;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * A tiny command-line client of {@link KvServer}, and the command line of {@code raftlib-kv.jar} (parsed by picocli;
 * {@code COMMAND --help} shows each command's usage).
 *
 * <pre>
 * put KEY VALUE | get KEY [--stale|--lease] | delete KEY | cas KEY EXPECTED NEW | append KEY TEXT | status
 * | snapshot | fill COUNT | members | add-learner ID HOST:RAFT_PORT[@HTTP_PORT]
 * | add-voter ID HOST:RAFT_PORT[@HTTP_PORT] | promote ID | remove ID                  [--node URL[,URL...]]
 * </pre>
 *
 * <p>The membership commands go to any node, which forwards them to the leader, and wait until the change is
 * committed (up to {@link #ADMIN_TIMEOUT}). Without {@code @HTTP_PORT} the new member's HTTP port is taken to be its
 * Raft port + {@link KvCluster#HTTP_OFFSET}, as the launcher lays nodes out.
 *
 * <p>Without {@code --node} it tries the launcher's default HTTP addresses ({@code http://127.0.0.1:8001} to
 * {@code :8003}) in turn, moving on when a node cannot be reached or answers 503, so it keeps working while one
 * node is down; {@code append}, which is not idempotent, moves on only while nothing was applied (the node could not
 * be reached, or answered {@code "applied": false}). Exit status: 0 success, 1 not found or compare-and-set failed,
 * 2 any other error, including a bad argument or an unknown option (the message names it).
 */
@Command(name = "raftlib-kv.jar", subcommandsRepeatable = false,
        subcommands = {KvCluster.Run.class, KvNode.Run.class, CommandLine.HelpCommand.class},
        description = "The raftlib key-value example: run nodes, and talk to them.",
        footer = "Exit status: 0 success, 1 not found or compare-and-set failed, 2 any other error.")
public final class KvCli implements Callable<Integer> {

    /** How long the client waits for a membership change: longer than the server's own limit. */
    static final Duration ADMIN_TIMEOUT = Duration.ofSeconds(45);

    private static final Duration TIMEOUT = Duration.ofSeconds(15);
    /** A node answers {@code GET /status} from its own memory: one that takes longer is stopped or overloaded. */
    private static final Duration STATUS_TIMEOUT = Duration.ofSeconds(3);
    private static final String ROW = "%-6s %-24s %-13s %-14s %6s %8s %8s %9s %8s%n";

    @Mixin
    private Help help;

    private final PrintStream out;
    private final PrintStream err;
    private Duration timeout = TIMEOUT;
    private Duration adminTimeout = ADMIN_TIMEOUT;
    private Duration statusTimeout = STATUS_TIMEOUT;
    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
    private List<URI> nodes = List.of();

    private KvCli(PrintStream out, PrintStream err) {
        this.out = out;
        this.err = err;
    }

    /**
     * Runs one command and exits with its status.
     *
     * @param args the command and its arguments
     */
    public static void main(String[] args) {
        Main.main(args);
    }

    /**
     * Runs one command: a client command, or {@code node} or {@code cluster}, which return once stopped.
     *
     * @param args the command and its arguments
     * @param out where results go
     * @param err where errors go
     * @return the exit status: 0 success, 1 not found or CAS failed, 2 error (such as a bad argument)
     */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        return commandLine(out, err).execute(args);
    }

    /** The whole command line of {@code raftlib-kv.jar}: the client commands, {@code node} and {@code cluster}. */
    static CommandLine commandLine(PrintStream out, PrintStream err) {
        CommandLine cl = new CommandLine(new KvCli(out, err));
        cl.setOut(new PrintWriter(out, true, StandardCharsets.UTF_8));
        cl.setErr(new PrintWriter(err, true, StandardCharsets.UTF_8));
        cl.setExecutionExceptionHandler((e, line, parsed) -> {
            if (!(e instanceof IllegalArgumentException)) {
                throw e;
            }
            line.getErr().println(e.getMessage());
            line.getErr().println("(" + line.getCommandName() + " --help shows the usage)");
            return CommandLine.ExitCode.USAGE;
        });
        return cl;
    }

    /** Without a command: the usage, and status 2. */
    @Override
    public Integer call() {
        err.print(new CommandLine(this).getUsageMessage());
        return CommandLine.ExitCode.USAGE;
    }

    /** {@code -h} and {@code --help}, on every command. */
    static class Help {

        @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help message and exit.")
        boolean help;
    }

    /** {@code --node}: the nodes to ask, in order. */
    static final class Target extends Help {

        @Option(names = "--node", paramLabel = "URL[,URL...]",
                description = "nodes to ask, in turn (default: http://127.0.0.1:8001 to :8003)")
        String node;

        @Option(names = "--timeout", paramLabel = "SECONDS", description = "how long to wait for each node's answer"
                + " (default: 15; status 3, membership changes 45)")
        Integer timeoutSeconds;

        List<URI> uris() {
            List<URI> list = new ArrayList<>();
            for (String u : (node == null ? KvCluster.defaultHttpAddresses() : node).split(",")) {
                list.add(URI.create(u.trim().replaceAll("/+$", "")));
            }
            return list;
        }
    }

    private KvCli to(Target target) {
        nodes = target.uris();
        if (target.timeoutSeconds != null) {
            if (target.timeoutSeconds <= 0) {
                throw new IllegalArgumentException("--timeout must be a positive number of seconds, not "
                        + target.timeoutSeconds);
            }
            timeout = Duration.ofSeconds(target.timeoutSeconds);
            adminTimeout = timeout;
            statusTimeout = timeout;
        }
        return this;
    }

    @Command(name = "put", description = "Stores VALUE under KEY.")
    int put(@Parameters(paramLabel = "KEY") String key, @Parameters(paramLabel = "VALUE") String value,
            @Mixin Target target) {
        return to(target).show(call("PUT", keyPath(key), value), "OK");
    }

    @Command(name = "get", description = "Prints the value of KEY.")
    int get(@Parameters(paramLabel = "KEY") String key,
            @Option(names = "--stale", description = "read the node's own state, without asking the leader")
            boolean stale,
            @Option(names = "--lease", description = "a linearizable read under the leader's lease (no round trip)")
            boolean lease, @Mixin Target target) {
        String query = stale ? "?read=stale" : lease ? "?read=lease" : "";
        return to(target).show(call("GET", keyPath(key) + query, null), null);
    }

    @Command(name = "delete", description = "Deletes KEY.")
    int delete(@Parameters(paramLabel = "KEY") String key, @Mixin Target target) {
        return to(target).show(call("DELETE", keyPath(key), null), "deleted");
    }

    @Command(name = "cas",
            description = "Sets KEY to NEW if its value is EXPECTED (compare-and-set).")
    int cas(@Parameters(paramLabel = "KEY") String key, @Parameters(paramLabel = "EXPECTED") String expected,
            @Parameters(paramLabel = "NEW") String newValue, @Mixin Target target) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("expected", expected);
        body.put("new", newValue);
        return to(target).show(call("POST", keyPath(key) + "/cas", Json.encode(body)), "OK");
    }

    @Command(name = "append", description = "Appends TEXT to the value of KEY and prints the new value.")
    int append(@Parameters(paramLabel = "KEY") String key, @Parameters(paramLabel = "TEXT") String text,
            @Mixin Target target) {
        String path = keyPath(key) + "?op=append";
        Answer a = null;
        for (URI node : to(target).nodes) {
            a = callOne(node, "POST", path, text, timeout);
            if (!"false".equals(a.json().get(Forwarder.APPLIED_FIELD))) {
                break;                                 // applied, or maybe applied: trying elsewhere could repeat it
            }
        }
        return show(a, null);
    }

    @Command(name = "status", description = "Shows every member's state.")
    int status(@Mixin Target target) {
        return to(target).status();
    }

    @Command(name = "snapshot",
            description = "The first node given snapshots its state now and compacts its log.")
    int snapshot(@Mixin Target target) {
        return to(target).snapshot();
    }

    @Command(name = "fill", description = "Writes COUNT keys, fill-0 and on.")
    int fill(@Parameters(paramLabel = "COUNT") int count, @Mixin Target target) {
        return to(target).fill(count);
    }

    @Command(name = "members", description = "Lists the configuration.")
    int members(@Mixin Target target) {
        return to(target).members();
    }

    @Command(name = "add-learner",
            description = "Adds a learner (it must run, started with node --join).")
    int addLearner(@Parameters(paramLabel = "ID") String id,
            @Parameters(paramLabel = "HOST:RAFT_PORT[@HTTP_PORT]") String address, @Mixin Target target) {
        return to(target).addMember(id, address, false);
    }

    @Command(name = "add-voter",
            description = "Adds a voter (it must run and have caught up).")
    int addVoter(@Parameters(paramLabel = "ID") String id,
            @Parameters(paramLabel = "HOST:RAFT_PORT[@HTTP_PORT]") String address, @Mixin Target target) {
        return to(target).addMember(id, address, true);
    }

    @Command(name = "promote", description = "Makes a learner a voter.")
    int promote(@Parameters(paramLabel = "ID") String id, @Mixin Target target) {
        return to(target).change(call("POST", "/members/promote/" + memberPath(id), null, adminTimeout));
    }

    @Command(name = "remove", description = "Removes a member.")
    int remove(@Parameters(paramLabel = "ID") String id, @Mixin Target target) {
        return to(target).change(call("DELETE", "/members/" + memberPath(id), null, adminTimeout));
    }

    /** Asks the first reachable node (choose one with {@code --node}) to snapshot now. */
    private int snapshot() {
        Answer a = call("POST", "/snapshot", null);
        if (a == null || a.status() != 200) {
            err.println("snapshot failed: " + (a == null ? "no nodes given" : a.error()));
            return 2;
        }
        out.println("snapshot at index " + a.json().get("snapshotIndex") + " on " + a.node());
        return 0;
    }

    /** Writes keys {@code fill-0 .. fill-<count-1>}, one after the other: enough entries to see snapshots work. */
    private int fill(int count) {
        if (count < 1 || count > 1_000_000) {
            throw new IllegalArgumentException("fill takes a count between 1 and 1000000, got " + count);
        }
        for (int i = 0; i < count; i++) {
            Answer a = call("PUT", "/kv/fill-" + i, "value-" + i);
            if (a == null || a.status() != 200) {
                err.println("fill stopped after " + i + " writes: " + (a == null ? "no nodes given" : a.error()));
                return 2;
            }
        }
        out.println("wrote " + count + " keys");
        return 0;
    }

    private static String keyPath(String key) {
        KvCommand.checkKey(key);
        return "/kv/" + KeyPath.encodeKey(key);
    }

    /** An answer and the node that gave it; {@code status} is 0 when no node could be reached. */
    private record Answer(URI node, int status, Map<String, String> json, String error) {
    }

    private Answer call(String method, String path, String body) {
        return call(method, path, body, timeout);
    }

    /**
     * Sends the request to the nodes in turn until one answers. A read moves on after any failure; a write only after
     * one that says nothing was applied (the node could not be reached, or answered {@code "applied": false}). After
     * a write timed out or its connection broke, another node is not tried: the first may still apply it (a paused
     * node's kernel holds the request until it resumes), and a second copy could overwrite a newer value.
     */
    private Answer call(String method, String path, String body, Duration timeout) {
        boolean write = !method.equals("GET") && !path.equals("/snapshot");   // a snapshot changes no state
        Answer last = null;
        List<String> earlier = new ArrayList<>();
        for (URI node : nodes) {
            if (last != null) {
                earlier.add(last.node() + ": " + (last.error() != null ? last.error() : "status " + last.status()));
            }
            last = callOne(node, method, path, body, timeout);
            if (last.status() != 0 && last.status() != 503) {
                return last;
            }
            if (write && !"false".equals(last.json().get(Forwarder.APPLIED_FIELD))) {
                return last.status() != 0 ? last : new Answer(node, 0, last.json(), last.error() + ": the "
                        + method + " may or may not have been applied (" + node + " may still apply it); read the"
                        + " key or the members to find out before retrying");
            }
        }
        // every node failed: say what each said, not only the last (a removed node's refusal hid a lost quorum)
        return earlier.isEmpty() || last.error() == null ? last : new Answer(last.node(), last.status(), last.json(),
                last.error() + " (earlier: " + String.join("; ", earlier) + ")");
    }

    private Answer callOne(URI node, String method, String path, String body, Duration timeout) {
        HttpRequest request = HttpRequest.newBuilder(URI.create(node + path)).timeout(timeout)
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body))
                .build();
        try {
            HttpResponse<String> r = client.send(request, HttpResponse.BodyHandlers.ofString());
            Map<String, String> json;
            try {
                json = Json.decode(r.body());
            } catch (IllegalArgumentException e) {
                return notAKvAnswer(node, r);
            }
            return new Answer(node, r.statusCode(), json, json.get("error"));
        } catch (ConnectException | HttpConnectTimeoutException e) {     // nothing was sent
            return new Answer(node, 0, Map.of(Forwarder.APPLIED_FIELD, "false"), "cannot reach " + node + ": " + e);
        } catch (IOException e) {
            return new Answer(node, 0, Map.of(), "cannot reach " + node + ": " + e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Answer(node, 0, Map.of(), "interrupted");
        }
    }

    /**
     * An answer without the JSON body every key-value node sends: another server at that address (or a proxy), so not
     * a node's answer at all (a 404 is no "key not found"), and the next node is tried. A client error (4xx) means
     * the request was not processed; another status (a proxy's 502 or 504, say) leaves a write's outcome unknown.
     */
    private static Answer notAKvAnswer(URI node, HttpResponse<String> r) {
        String body = r.body().strip().lines().findFirst().orElse("");
        String shown = body.length() > 60 ? body.substring(0, 60) + "..." : body;
        String error = "not a key-value node's answer from " + node + ": HTTP " + r.statusCode()
                + (body.isEmpty() ? " with no body" : ", " + shown);
        return new Answer(node, 0, r.statusCode() / 100 == 4 ? Map.of(Forwarder.APPLIED_FIELD, "false") : Map.of(),
                error);
    }

    private int show(Answer a, String word) {
        if (a.status() == 200) {
            if (word == null) {
                out.println(a.json().get("value"));
            } else {
                String previous = a.json().get("previous");
                out.println(word + (previous == null ? "" : " (previous value: " + previous + ")"));
            }
            return 0;
        }
        if (a.status() == 404 || a.status() == 409) {
            String current = a.json().get("current");
            err.println(a.error() + (a.status() == 409 ? " (current value: " + current + ")" : ""));
            return 1;
        }
        err.println("error" + (a.status() == 0 ? "" : " " + a.status()) + " from " + a.node() + ": " + a.error());
        return 2;
    }

    private int status() {
        Answer first = call("GET", "/status", null, statusTimeout);
        if (first == null || first.status() != 200) {
            err.println("no node answered: " + (first == null ? "no nodes given" : first.error()));
            return 2;
        }
        Map<String, String> view = leaderView(first.json());
        out.printf(ROW, "ID", "HTTP", "ROLE", "MEMBER", "TERM", "COMMIT", "APPLIED", "SNAPSHOT", "LOG");
        String leader = null;
        Set<String> shown = new LinkedHashSet<>();
        for (String id : view.getOrDefault("members", "").split(",")) {
            if (id.isEmpty()) {
                continue;
            }
            String http = view.get("http." + id);
            shown.add(http);
            Answer s = http == null ? null : callOne(URI.create(http), "GET", "/status", null, statusTimeout);
            if (s == null || s.status() != 200) {
                out.printf("%-6s %-24s %-13s %-14s%n", id, http, "unreachable", view.get("member." + id));
                continue;
            }
            row(s.json());
            if ("LEADER".equals(s.json().get("role"))) {
                leader = id + " at " + http;
            }
        }
        for (URI node : nodes) {
            if (!shown.contains(node.toString())) {
                Answer s = callOne(node, "GET", "/status", null, statusTimeout);
                if (s.status() == 200 && !("," + view.get("members") + ",").contains("," + s.json().get("id") + ",")) {
                    row(asTheLeaderSeesIt(s.json(), view));
                }
            }
        }
        out.println("configuration: " + configuration(view, "configurationCommitted"));
        out.println(leader == null ? "no leader known right now" : "leader: " + leader);
        return 0;
    }

    /**
     * A node outside the configuration of {@code view}: when that is the leader's, the node is removed (or still
     * joining), whatever its own view says (one removed while it was down or cut off still thinks it a voter).
     */
    private static Map<String, String> asTheLeaderSeesIt(Map<String, String> node, Map<String, String> view) {
        if (!"LEADER".equals(view.get("role")) || "joining".equals(node.get("membership"))) {
            return node;
        }
        Map<String, String> shown = new LinkedHashMap<>(node);
        shown.put("membership", "removed");
        return shown;
    }

    private void row(Map<String, String> j) {
        out.printf(ROW, j.get("id"), j.get("http"), j.get("role"), j.get("membership"), j.get("term"),
                j.get("commitIndex"), j.get("appliedIndex"), j.get("snapshotIndex"), j.get("logEntries"));
    }

    /** The leader's status if the node that answered knows a leader that answers, else that node's. */
    private Map<String, String> leaderView(Map<String, String> first) {
        String leaderHttp = first.get("leaderHttp");
        if (leaderHttp == null || leaderHttp.equals(first.get("http"))) {
            return first;
        }
        Answer a = callOne(URI.create(leaderHttp), "GET", "/status", null, statusTimeout);
        return a.status() == 200 && "LEADER".equals(a.json().get("role")) ? a.json() : first;
    }

    /** Describes the configuration in a status or members answer: voters, learners, joint, index, committed. */
    private static String configuration(Map<String, String> j, String committedField) {
        StringBuilder b = new StringBuilder();
        if ("true".equals(j.get("joint"))) {
            b.append("joint consensus: old voters ").append(j.get("outgoingVoters")).append(" -> new voters ");
        } else {
            b.append("voters ");
        }
        b.append(orNone(j.get("voters"))).append("; learners ").append(orNone(j.get("learners")));
        if (j.containsKey("configurationIndex")) {
            b.append("; index ").append(j.get("configurationIndex"));
        }
        b.append("true".equals(j.get(committedField)) ? ", committed" : ", not committed yet");
        return b.toString();
    }

    private static String orNone(String ids) {
        return ids == null || ids.isEmpty() ? "none" : ids;
    }

    /** {@code members}: the leader's configuration, one line per member. */
    private int members() {
        Answer a = call("GET", "/members", null);
        if (a.status() != 200) {
            return fail(a);
        }
        Map<String, String> j = a.json();
        out.println(configuration(j, "committed") + "; leader " + orNone(j.get("leader")));
        for (String id : members(j)) {
            out.printf("  %-6s %-14s raft %-21s http %s%n", id, j.get("member." + id), j.get("raft." + id),
                    j.get("http." + id));
        }
        return 0;
    }

    private static List<String> members(Map<String, String> j) {
        return j.keySet().stream().filter(k -> k.startsWith("member.")).map(k -> k.substring("member.".length()))
                .sorted().toList();
    }

    /** {@code add-learner} and {@code add-voter}: {@code address} is {@code HOST:RAFT_PORT[@HTTP_PORT]}. */
    private int addMember(String id, String address, boolean voter) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("id", id);
        int at = address.lastIndexOf('@');
        String raft = at < 0 ? address : address.substring(0, at);
        body.put("address", raft);
        if (at >= 0) {
            int colon = raft.lastIndexOf(':');
            if (colon <= 0) {
                throw new IllegalArgumentException("address '" + address + "' must be HOST:RAFT_PORT[@HTTP_PORT]");
            }
            body.put("httpAddress", "http://" + raft.substring(0, colon) + ":" + address.substring(at + 1));
        }
        return change(call("POST", "/members/" + (voter ? "voters" : "learners"), Json.encode(body), adminTimeout));
    }

    private static String memberPath(String id) {
        return KeyPath.encodeKey(NodeId.of(id).value());
    }

    /** Prints a committed membership change, or the error. */
    private int change(Answer a) {
        if (a.status() != 200) {
            return fail(a);
        }
        out.println("OK: " + configuration(a.json(), "committed"));
        return 0;
    }

    private int fail(Answer a) {
        err.println("error" + (a.status() == 0 ? "" : " " + a.status()) + " from " + a.node() + ": " + a.error());
        return 2;
    }
}
