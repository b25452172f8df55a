package org.raftlib.examples.kv;

import java.net.URI;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;
import org.raftlib.NodeId;

/**
 * Where each member serves HTTP: the addresses the cluster replicated ({@link KvCommand.Op#MEMBER_HTTP}, recorded
 * when a member is added at run time) and, for the others, the addresses this node was started with
 * ({@code --members}). The Raft configuration holds only Raft addresses, so this is how a node finds a leader that
 * joined after it started. Thread-safe.
 */
final class HttpDirectory {

    private final Map<NodeId, URI> configured;
    private final Function<String, Optional<String>> replicated;

    private HttpDirectory(Map<NodeId, URI> configured, Function<String, Optional<String>> replicated) {
        this.configured = Map.copyOf(configured);
        this.replicated = Objects.requireNonNull(replicated, "replicated");
    }

    /** Returns a directory of the addresses given at start only. */
    static HttpDirectory of(Map<NodeId, URI> configured) {
        return new HttpDirectory(configured, id -> Optional.empty());
    }

    /** Returns a directory that prefers the addresses {@code machine} replicated over those given at start. */
    static HttpDirectory of(Map<NodeId, URI> configured, KvStateMachine machine) {
        return new HttpDirectory(configured, machine::memberHttp);
    }

    /** Returns the HTTP base address of {@code id}, if known. */
    Optional<URI> lookup(NodeId id) {
        Optional<URI> fromCluster = replicated.apply(id.value()).flatMap(HttpDirectory::parse);
        return fromCluster.isPresent() ? fromCluster : Optional.ofNullable(configured.get(id));
    }

    /** Returns the address of {@code id} as text, or null if unknown (for JSON). */
    String text(NodeId id) {
        return lookup(id).map(URI::toString).orElse(null);
    }

    private static Optional<URI> parse(String s) {
        try {
            return Optional.of(URI.create(s));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }
}
