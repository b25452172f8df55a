package org.raftlib.examples.kv;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * A throwaway network for process tests (Linux, root): one network namespace per node, each with a veth into a
 * bridge in the root namespace, addresses {@code 10.213.S.1..n} for the nodes and {@code 10.213.S.254} on the
 * bridge so the test JVM reaches every node. Each bridge-side veth gets an htb qdisc whose class {@code 1:2} drops
 * everything (a zero-length fifo), and a cut is a u32 filter that steers one source address's packets to that class
 * on the veth towards their destination: one direction of one pair, silently, like a broken link. No firewall is
 * needed.
 *
 * <p>Every name starts with {@link #PREFIX} and a random tag. The tag's owner file under the temporary directory holds
 * the test JVM's pid, so a later run removes what a killed run left behind without touching a live run's network.
 * Not thread-safe. Public for the fault suite (tests-nemesis), which depends on this module's test-jar.
 */
public final class NetLab implements AutoCloseable {

    static final String PREFIX = "rlp";
    private static final Path OWNERS = Path.of(System.getProperty("java.io.tmpdir"), "raftlib-netlab");
    private static final long COMMAND_SECONDS = 20;

    private final String tag;
    private final int subnet;
    private final int nodes;
    private final Set<Integer> filtered = new LinkedHashSet<>();

    private NetLab(String tag, int subnet, int nodes) {
        this.tag = tag;
        this.subnet = subnet;
        this.nodes = nodes;
    }

    /** Returns why this machine cannot host the lab (not Linux, not root, no {@code ip}), or null if it can. */
    public static String unavailable() {
        if (!System.getProperty("os.name", "").toLowerCase(Locale.ROOT).contains("linux")) {
            return "network namespaces need Linux; this is " + System.getProperty("os.name");
        }
        try {
            if (!run("id", "-u").trim().equals("0")) {
                return "network namespaces need root";
            }
            run("ip", "-V");
            run("tc", "-V");
        } catch (IOException e) {
            return "no usable ip/tc: " + e.getMessage();
        }
        return null;
    }

    /**
     * Builds the network for {@code nodes} nodes after removing what dead runs left behind.
     *
     * @throws IOException if a command fails (for example {@code ip netns add} in a restricted container); whatever
     *     was built is removed first
     */
    public static NetLab create(int nodes) throws IOException {
        removeStale();
        String tag = PREFIX + String.format("%05x", ThreadLocalRandom.current().nextInt(1 << 20));
        Files.createDirectories(OWNERS);
        Files.writeString(OWNERS.resolve(tag), Long.toString(ProcessHandle.current().pid()));
        NetLab lab = new NetLab(tag, freeSubnet(), nodes);
        try {
            lab.build();
            return lab;
        } catch (IOException | RuntimeException e) {
            try {
                lab.close();
            } catch (IOException cleanup) {
                e.addSuppressed(cleanup);
            }
            throw e;
        }
    }

    private void build() throws IOException {
        String bridge = tag + "br";
        run("ip", "link", "add", bridge, "type", "bridge");
        run("ip", "addr", "add", hostAddress() + "/24", "dev", bridge);
        run("ip", "link", "set", bridge, "up");
        for (int i = 0; i < nodes; i++) {
            String ns = namespace(i);
            String host = hostVeth(i);
            String inner = tag + "v" + i;
            run("ip", "netns", "add", ns);
            run("ip", "link", "add", host, "type", "veth", "peer", "name", inner);
            run("ip", "link", "set", inner, "netns", ns);
            run("ip", "link", "set", host, "master", bridge);
            run("ip", "link", "set", host, "up");
            run("ip", "-n", ns, "addr", "add", address(i) + "/24", "dev", inner);
            run("ip", "-n", ns, "link", "set", inner, "up");
            run("ip", "-n", ns, "link", "set", "lo", "up");
            run("tc", "qdisc", "add", "dev", host, "root", "handle", "1:", "htb", "default", "1");
            run("tc", "class", "add", "dev", host, "parent", "1:", "classid", "1:1", "htb", "rate", "10gbit",
                    "quantum", "200000");
            run("tc", "class", "add", "dev", host, "parent", "1:", "classid", "1:2", "htb", "rate", "8bit",
                    "quantum", "1514");
            run("tc", "qdisc", "add", "dev", host, "parent", "1:2", "handle", "20:", "pfifo", "limit", "0");
        }
    }

    /** Returns node {@code i}'s address (from 0). */
    public String address(int i) {
        return "10.213." + subnet + "." + (i + 1);
    }

    /** Returns the address of the test JVM's side, on the bridge. */
    public String hostAddress() {
        return "10.213." + subnet + ".254";
    }

    /** Returns {@code command} run in node {@code i}'s namespace. */
    public List<String> inNamespace(int i, List<String> command) {
        List<String> wrapped = new ArrayList<>(List.of("ip", "netns", "exec", namespace(i)));
        wrapped.addAll(command);
        return wrapped;
    }

    /** Drops every packet from node {@code from} to node {@code to} from now on. */
    public void drop(int from, int to) throws IOException {
        run("tc", "filter", "add", "dev", hostVeth(to), "parent", "1:", "protocol", "ip", "prio", "10", "u32",
                "match", "ip", "src", address(from) + "/32", "flowid", "1:2");
        filtered.add(to);
    }

    /** Removes every cut. */
    public void healAll() throws IOException {
        for (int to : filtered) {
            run("tc", "filter", "del", "dev", hostVeth(to), "parent", "1:", "prio", "10");
        }
        filtered.clear();
    }

    private String namespace(int i) {
        return tag + "n" + i;
    }

    private String hostVeth(int i) {
        return tag + "h" + i;
    }

    /** Removes the namespaces (after killing what still runs in them), the veths, the bridge and the owner file. */
    @Override
    public void close() throws IOException {
        remove(tag);
    }

    private static void remove(String tag) throws IOException {
        for (String ns : lines(run("ip", "netns", "list"))) {
            if (ns.startsWith(tag)) {
                String name = ns.split("\\s+")[0];
                for (String pid : lines(runQuietly("ip", "netns", "pids", name))) {
                    ProcessHandle.of(Long.parseLong(pid.trim())).ifPresent(ProcessHandle::destroyForcibly);
                }
                runQuietly("ip", "netns", "del", name);
            }
        }
        for (String link : linkNames()) {
            if (link.startsWith(tag)) {
                runQuietly("ip", "link", "del", link);
            }
        }
        Files.deleteIfExists(OWNERS.resolve(tag));
    }

    /** Removes the networks of runs whose JVM is gone. */
    private static void removeStale() throws IOException {
        Set<String> tags = new LinkedHashSet<>();
        for (String ns : lines(run("ip", "netns", "list"))) {
            tags.add(ns);
        }
        tags.addAll(linkNames());
        Set<String> stale = new LinkedHashSet<>();
        for (String name : tags) {
            if (name.startsWith(PREFIX) && name.length() >= PREFIX.length() + 5) {
                String t = name.substring(0, PREFIX.length() + 5);
                if (!ownerAlive(t)) {
                    stale.add(t);
                }
            }
        }
        for (String t : stale) {
            remove(t);
        }
    }

    private static boolean ownerAlive(String tag) throws IOException {
        Path owner = OWNERS.resolve(tag);
        if (!Files.exists(owner)) {
            return false;
        }
        try {
            return ProcessHandle.of(Long.parseLong(Files.readString(owner).trim())).map(ProcessHandle::isAlive)
                    .orElse(false);
        } catch (NumberFormatException e) {
            return false;
        }
    }

    private static List<String> linkNames() throws IOException {
        List<String> names = new ArrayList<>();
        for (String line : lines(run("ip", "-o", "link", "show"))) {
            String[] parts = line.split(":\\s+", 3);
            if (parts.length >= 2) {
                names.add(parts[1].split("@")[0].trim());
            }
        }
        return names;
    }

    /** A third octet that no address or route of this machine uses yet. */
    private static int freeSubnet() throws IOException {
        String used = run("ip", "-4", "-o", "addr", "show") + run("ip", "-4", "route", "show");
        for (int attempt = 0; attempt < 50; attempt++) {
            int s = ThreadLocalRandom.current().nextInt(1, 255);
            if (!used.contains("10.213." + s + ".")) {
                return s;
            }
        }
        throw new IOException("no free 10.213.x.0/24 subnet");
    }

    private static List<String> lines(String text) {
        return text.lines().filter(l -> !l.isBlank()).toList();
    }

    private static String runQuietly(String... command) {
        try {
            return run(command);
        } catch (IOException e) {
            return "";
        }
    }

    /** Runs {@code command} and returns its standard output; throws with its output if it fails. */
    public static String run(String... command) throws IOException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        try {
            if (!p.waitFor(COMMAND_SECONDS, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException(String.join(" ", command) + " did not finish in " + COMMAND_SECONDS + " s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted running " + String.join(" ", command), e);
        }
        if (p.exitValue() != 0) {
            throw new IOException(String.join(" ", command) + " failed (" + p.exitValue() + "): " + out.trim());
        }
        return out;
    }
}
