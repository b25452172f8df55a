package org.raftlib.examples.kv;

import java.net.URI;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.stream.Collectors;
import org.raftlib.Member;
import org.raftlib.NodeId;

/**
 * One member of a key-value cluster as written on the command line: {@code ID=HOST:RAFT_PORT@HTTP_PORT}, for
 * example {@code n1=127.0.0.1:7001@8001}. The HTTP server listens on the same host as the Raft transport.
 *
 * @param id the member's id
 * @param host the host both servers listen on
 * @param raftPort the Raft transport's port
 * @param httpPort the HTTP API's port
 */
public record MemberSpec(NodeId id, String host, int raftPort, int httpPort) {

    /**
     * Checks the ports.
     *
     * @param id the member's id
     * @param host the host both servers listen on
     * @param raftPort the Raft transport's port
     * @param httpPort the HTTP API's port
     *
     * @throws IllegalArgumentException if a port is outside 1..65535
     * @throws NullPointerException if an argument is null
     */
    public MemberSpec {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(host, "host");
        checkPort(raftPort, "raft port");
        checkPort(httpPort, "HTTP port");
    }

    private static void checkPort(int port, String name) {
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException(name + " must be between 1 and 65535: " + port);
        }
    }

    /**
     * Returns the Raft member.
     *
     * @return the id and transport address
     */
    public Member member() {
        return new Member(id, host + ":" + raftPort);
    }

    /**
     * Returns the HTTP base address.
     *
     * @return the address, such as {@code http://127.0.0.1:8001}
     */
    public URI httpUri() {
        return URI.create("http://" + host + ":" + httpPort);
    }

    @Override
    public String toString() {
        return id + "=" + host + ":" + raftPort + "@" + httpPort;
    }

    /**
     * Parses a comma-separated list of {@code ID=HOST:RAFT_PORT@HTTP_PORT}.
     *
     * @param text the list
     * @return the members, in the given order
     * @throws IllegalArgumentException naming the first entry that does not parse, or a repeated id or address
     */
    public static List<MemberSpec> parseList(String text) {
        List<MemberSpec> out = new ArrayList<>();
        Set<NodeId> ids = new HashSet<>();
        Set<String> addresses = new HashSet<>();
        for (String part : text.split(",")) {
            MemberSpec m = parse(part.trim());
            if (!ids.add(m.id())) {
                throw new IllegalArgumentException("member id " + m.id() + " appears twice in " + text);
            }
            if (!addresses.add(m.host + ":" + m.raftPort) || !addresses.add(m.host + ":" + m.httpPort)) {
                throw new IllegalArgumentException("a port of " + m + " is used twice in " + text);
            }
            out.add(m);
        }
        return out;
    }

    /**
     * Formats members as {@link #parseList} reads them.
     *
     * @param members the members
     * @return the comma-separated list
     */
    public static String format(List<MemberSpec> members) {
        return members.stream().map(MemberSpec::toString).collect(Collectors.joining(","));
    }

    private static MemberSpec parse(String s) {
        String usage = "member '" + s + "' must look like ID=HOST:RAFT_PORT@HTTP_PORT, e.g. n1=127.0.0.1:7001@8001";
        int eq = s.indexOf('=');
        int at = s.lastIndexOf('@');
        int colon = s.lastIndexOf(':', at);
        if (eq <= 0 || at < 0 || colon <= eq + 1 || at < colon) {
            throw new IllegalArgumentException(usage);
        }
        try {
            return new MemberSpec(NodeId.of(s.substring(0, eq)), s.substring(eq + 1, colon),
                    Integer.parseInt(s.substring(colon + 1, at)), Integer.parseInt(s.substring(at + 1)));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(usage, e);
        }
    }
}
