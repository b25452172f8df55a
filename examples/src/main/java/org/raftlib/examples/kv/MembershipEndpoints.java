package org.raftlib.examples.kv;

import java.net.URI;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.function.Predicate;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.raftlib.ClusterConfig;
import org.raftlib.IndeterminateResultException;
import org.raftlib.Member;
import org.raftlib.MembershipChangeException;
import org.raftlib.NodeId;
import org.raftlib.NotLeaderException;
import org.raftlib.NotMemberException;
import org.raftlib.RaftException;
import org.raftlib.RaftNode;
import org.raftlib.RaftStatus;

/**
 * The membership API of a key-value node. Like writes, every request may go to any node: one that does not lead
 * forwards it to the leader (see {@link Forwarder}).
 *
 * <table>
 *   <caption>Endpoints</caption>
 *   <tr><th>request</th><th>answer</th></tr>
 *   <tr><td>{@code GET /members} (the leader's view), {@code GET /members?local=true} (this node's)</td>
 *       <td>200 {@code {"leader","voters","learners","outgoingVoters","joint","configurationIndex","committed",
 *       "member.<id>","raft.<id>","http.<id>"}}</td></tr>
 *   <tr><td>{@code POST /members/learners}, body {@code {"id","address"[,"httpAddress"]}}</td>
 *       <td>200 with the committed configuration: the node was added as a learner</td></tr>
 *   <tr><td>{@code POST /members/voters}, same body</td><td>200: added as a learner, promoted once caught up</td></tr>
 *   <tr><td>{@code POST /members/promote/{id}}</td><td>200: the learner votes</td></tr>
 *   <tr><td>{@code DELETE /members/{id}}</td><td>200: the member (voter or learner) is gone</td></tr>
 * </table>
 *
 * <p>{@code address} is the new member's Raft address, {@code HOST:PORT}; {@code httpAddress} its HTTP base address,
 * by default {@code http://HOST:PORT+1000} (the launcher's layout). The leader first replicates the HTTP address
 * ({@link KvCommand.Op#MEMBER_HTTP}), so every node can forward to the new member once it leads.
 *
 * <p>Errors: 400 for a bad request or a change the configuration does not allow (the message says why), 409 while
 * another membership change is in progress, 504 when the change did not finish in time or leadership changed during
 * it (it may still complete: {@code GET /members} tells), 503 when no leader could be reached.
 */
final class MembershipEndpoints {

    /** How long a membership request may take: longer than raftlib's own limit (30 election timeouts). */
    static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(20);

    private static final int MAX_BODY_BYTES = 4096;

    private final RaftNode node;
    private final HttpDirectory directory;
    private final Forwarder forwarder;
    private final Forwarder.Rules rules;
    private final CatchUp catchUp;
    private final Duration catchUpLimit;

    MembershipEndpoints(RaftNode node, HttpDirectory directory, Forwarder forwarder, Duration timeout) {
        this.node = node;
        this.directory = directory;
        this.forwarder = forwarder;
        this.catchUp = new CatchUp(node);
        Duration margin = Duration.ofSeconds(5);
        this.catchUpLimit = timeout.compareTo(margin.multipliedBy(2)) > 0 ? timeout.minus(margin)
                : timeout.dividedBy(2);
        this.rules = new Forwarder.Rules(timeout, MembershipEndpoints::failure, () -> Reply.error(504,
                "the membership change did not finish within " + timeout.toMillis() + " ms; it may still complete:"
                        + " GET /members (or the members command) shows the configuration"));
    }

    /** The largest body a membership request may have. */
    static int maxBodyBytes() {
        return MAX_BODY_BYTES;
    }

    /**
     * Serves a request whose path starts with {@code /members}.
     *
     * @param in the request
     * @return the answer
     * @throws IllegalArgumentException on a bad request (answered 400)
     */
    Reply handle(Forwarder.Incoming in) {
        String path = in.pathAndQuery();
        String query = "";
        int q = path.indexOf('?');
        if (q >= 0) {
            query = path.substring(q + 1);
            path = path.substring(0, q);
        }
        String method = in.method();
        if (path.equals("/members") && method.equals("GET")) {
            return list(in, query);
        }
        if (!query.isEmpty()) {
            throw new IllegalArgumentException("unknown query parameter '" + query + "'");
        }
        if (path.equals("/members/learners") && method.equals("POST")) {
            NewMember m = NewMember.parse(in.body());
            return change(in, () -> add(m, false), c -> c.learners().contains(m.id()));
        }
        if (path.equals("/members/voters") && method.equals("POST")) {
            NewMember m = NewMember.parse(in.body());
            return change(in, () -> add(m, true), c -> c.voters().contains(m.id()) && !c.isJoint());
        }
        if (path.startsWith("/members/promote/") && method.equals("POST")) {
            NodeId id = NodeId.of(KeyPath.decodeKey(path.substring("/members/promote/".length())));
            return change(in, () -> promote(id), c -> c.voters().contains(id) && !c.isJoint());
        }
        if (path.startsWith("/members/") && path.indexOf('/', "/members/".length()) < 0 && method.equals("DELETE")) {
            NodeId id = NodeId.of(KeyPath.decodeKey(path.substring("/members/".length())));
            return change(in, () -> node.removeMember(id), c -> !c.contains(id));
        }
        return Reply.error(404, "no such endpoint: " + method + " " + path + "; use GET /members, POST"
                + " /members/learners or /members/voters {\"id\",\"address\"[,\"httpAddress\"]}, POST"
                + " /members/promote/{id} or DELETE /members/{id}");
    }

    private Reply list(Forwarder.Incoming in, String query) {
        boolean local = switch (query) {
            case "", "local=false" -> false;
            case "local", "local=true" -> true;
            default -> throw new IllegalArgumentException("unknown query parameter '" + query
                    + "'; only local=true|false");
        };
        Forwarder.Incoming request = local ? new Forwarder.Incoming(in.method(), in.pathAndQuery(), in.body(),
                Forwarder.MAX_HOPS, false) : in;
        Forwarder.Rules listing = new Forwarder.Rules(forwarder.timeout(), MembershipEndpoints::failure,
                () -> Reply.error(503, "no answer from the leader within " + forwarder.timeout().toMillis() + " ms"));
        return forwarder.run(request, listing, () -> {             // a read: the request timeout, not a change's
            RaftStatus s = node.status();
            if (!local && !s.isLeader() && !s.configuration().voters().isEmpty()
                    && !s.configuration().contains(node.id())) {         // removed: no leader will tell it more
                return CompletableFuture.failedFuture(new NotMemberException(node.id(), s.configurationIndex()));
            }
            if (!local && !s.isLeader()) {
                return CompletableFuture.failedFuture(new NotLeaderException(node.id(), s.leader()));
            }
            return CompletableFuture.completedFuture(s);
        }, s -> {
            Map<String, Object> f = new LinkedHashMap<>();
            f.put("id", s.id().value());
            f.put("leader", s.leader().map(NodeId::value).orElse(null));
            f.put("configurationIndex", s.configurationIndex());
            f.put("committed", s.isConfigurationCommitted());
            f.putAll(describe(s.configuration(), directory));
            return Reply.of(200, f);
        });
    }

    /**
     * Runs a change on the leader; {@code goal} tells whether a configuration is what the change wants, for an
     * outcome raftlib calls indeterminate.
     */
    private Reply change(Forwarder.Incoming in, Supplier<CompletableFuture<ClusterConfig>> op,
            Predicate<ClusterConfig> goal) {
        Forwarder.Rules withGoal = new Forwarder.Rules(rules.timeout(), cause -> resolve(cause, goal),
                rules.timedOut());
        return forwarder.run(in, withGoal, () -> {
            try {
                return op.get();
            } catch (RuntimeException e) {
                return CompletableFuture.failedFuture(e);
            }
        }, this::committed);
    }

    private Reply committed(ClusterConfig c) {
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("committed", true);
        f.putAll(describe(c, directory));
        return Reply.of(200, f);
    }

    /**
     * A change that ended with {@link IndeterminateResultException} succeeded if this node holds a committed
     * configuration that meets its goal. This matters for removing the leader: raftlib steps the leader down in
     * the same turn the change commits and then reports the change as indeterminate, though it committed.
     */
    private Reply resolve(Throwable cause, Predicate<ClusterConfig> goal) {
        if (cause instanceof IndeterminateResultException) {
            try {
                RaftStatus s = node.status();
                if (s.isConfigurationCommitted() && !s.configuration().members().isEmpty()
                        && goal.test(s.configuration())) {
                    return committed(s.configuration());
                }
            } catch (RaftException e) {
                // the node cannot tell; report the indeterminate outcome
            }
        }
        return failure(cause);
    }

    /**
     * Adds a member on the leader as a learner, then records its HTTP address in the replicated directory, and for a
     * voter waits until it has caught up and promotes it. A learner with the same address is taken as added already
     * (a request repeated after a leader change resumes); any other member is refused.
     *
     * <p>The address is recorded after the learner is added (it cannot lead before it is promoted), so that this
     * write also makes the leader send the learner its log: raftlib loses its first message to a member it has just
     * learned of, and on an idle cluster does not probe again until the next entry.
     */
    private CompletableFuture<ClusterConfig> add(NewMember m, boolean voter) {
        RaftStatus s = node.status();
        if (!s.isLeader()) {
            return CompletableFuture.failedFuture(new NotLeaderException(node.id(), s.leader()));
        }
        ClusterConfig c = s.configuration();
        Member member = new Member(m.id(), m.address());
        boolean learner = c.learners().contains(m.id());
        if (c.contains(m.id()) && !(learner && c.member(m.id()).orElseThrow().equals(member))) {
            return CompletableFuture.failedFuture(new IllegalArgumentException(m.id() + " is a member already ("
                    + c + (learner ? ", at " + c.member(m.id()).orElseThrow().address() : "")
                    + "); remove it first to add it again"));
        }
        CompletableFuture<ClusterConfig> added = learner ? CompletableFuture.completedFuture(c)
                : node.addLearner(member);
        byte[] record = KvCommand.memberHttp(m.id().value(), m.http().toString()).encode();
        CompletableFuture<ClusterConfig> recorded = added.thenCompose(config -> node.submit(record)
                .thenApply(r -> config));
        return voter ? recorded.thenCompose(x -> promote(m.id())) : recorded;
    }

    /** Promotes the learner {@code id} once it has caught up (see {@link CatchUp}). */
    private CompletableFuture<ClusterConfig> promote(NodeId id) {
        long deadline = System.nanoTime() + catchUpLimit.toNanos();
        return catchUp.await(id, deadline).thenCompose(v -> node.promote(id));
    }

    /** The flat JSON fields describing a configuration. */
    static Map<String, Object> describe(ClusterConfig c, HttpDirectory directory) {
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("voters", ids(c.voters()));
        f.put("learners", ids(c.learners()));
        f.put("outgoingVoters", ids(c.outgoingVoters()));
        f.put("joint", c.isJoint());
        for (Member m : c.members()) {
            f.put("member." + m.id(), roleIn(c, m.id()));
            f.put("raft." + m.id(), m.address());
            f.put("http." + m.id(), directory.text(m.id()));
        }
        return f;
    }

    /** Returns {@code id}'s part in {@code c}: voter, learner, outgoing voter (leaving in a joint change) or none. */
    static String roleIn(ClusterConfig c, NodeId id) {
        if (c.voters().contains(id)) {
            return "voter";
        }
        if (c.outgoingVoters().contains(id)) {
            return "outgoing voter";
        }
        return c.learners().contains(id) ? "learner" : "none";
    }

    static String ids(Set<NodeId> ids) {
        return new TreeSet<>(ids).stream().map(NodeId::value).collect(Collectors.joining(","));
    }

    /** The answer to a failed membership request. */
    static Reply failure(Throwable cause) {
        if (cause instanceof IllegalArgumentException) {
            return Reply.error(400, cause.getMessage());
        }
        if (cause instanceof CatchUp.NotCaughtUpException) {
            return Reply.error(409, cause.getMessage());
        }
        if (cause instanceof IndeterminateResultException) {
            return Reply.error(504, cause.getMessage() + "; GET /members (or the members command) shows whether it"
                    + " did");
        }
        if (cause instanceof MembershipChangeException e) {
            return switch (e.reason()) {
                case IN_PROGRESS -> Reply.error(409, e.getMessage() + "; retry once it has finished (members shows "
                        + "the config)");
                case NO_LIVE_QUORUM -> Reply.error(409, e.getMessage());
                case TIMED_OUT -> Reply.error(504, e.getMessage());
            };
        }
        return Forwarder.failure(cause);
    }

    /**
     * A member to add, as the request body gives it.
     *
     * @param id its id
     * @param address its Raft address, {@code HOST:PORT}
     * @param http its HTTP base address
     */
    record NewMember(NodeId id, String address, URI http) {

        static NewMember parse(byte[] body) {
            Map<String, String> fields = Json.decodeStrings(body, Set.of("id", "address", "httpAddress"),
                    "a member has \"id\", \"address\" (HOST:RAFT_PORT) and optionally \"httpAddress\""
                    + " (http://HOST:PORT)");
            String id = fields.get("id");
            String address = fields.get("address");
            if (id == null || address == null) {
                throw new IllegalArgumentException("a member needs \"id\" and \"address\" (HOST:RAFT_PORT)");
            }
            int colon = address.lastIndexOf(':');
            int port = -1;
            try {
                port = colon <= 0 ? -1 : Integer.parseInt(address.substring(colon + 1));
            } catch (NumberFormatException e) {
                port = -1;
            }
            if (port < 1 || port > 65535) {
                throw new IllegalArgumentException("address '" + address + "' must be HOST:PORT, e.g. 127.0.0.1:7004");
            }
            String http = fields.get("httpAddress");
            if (http == null) {
                if (port + KvCluster.HTTP_OFFSET > 65535) {
                    throw new IllegalArgumentException("give \"httpAddress\": the default, the Raft port + "
                            + KvCluster.HTTP_OFFSET + ", is not a port");
                }
                http = "http://" + address.substring(0, colon) + ":" + (port + KvCluster.HTTP_OFFSET);
            }
            URI uri = URI.create(http.replaceAll("/+$", ""));
            if (!"http".equals(uri.getScheme()) || uri.getHost() == null || uri.getPort() < 1) {
                throw new IllegalArgumentException("httpAddress '" + http + "' must look like http://HOST:PORT");
            }
            return new NewMember(NodeId.of(id), address, uri);
        }
    }
}
