package org.raftlib.internal.runtime;

import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.raftlib.ClusterConfig;
import org.raftlib.Member;
import org.raftlib.NodeId;

/**
 * Compares the members a node was started with to the configuration it restored: once a log or a snapshot holds a
 * configuration, that one is in force and the members given only seed a new node, so a restart with another list
 * (a typo fixed, a member "moved" by editing the command line) changes nothing in Raft, yet an application may use
 * the list for its own addresses. The node says so at start rather than run quietly on either.
 */
final class GivenMembers {

    private GivenMembers() {
    }

    /**
     * Returns the warning for a node started with {@code given} that restored {@code stored} (at {@code index}), or
     * empty if they name the same members at the same addresses, or the node holds no configuration yet (joining).
     */
    static Optional<String> mismatch(NodeId id, Collection<Member> given, ClusterConfig stored, long index) {
        if (stored.ids().isEmpty()) {
            return Optional.empty();
        }
        List<Member> held = stored.withAddresses(given).members();
        if (Set.copyOf(held).equals(Set.copyOf(given))) {
            return Optional.empty();
        }
        return Optional.of(id + " was started with the members " + sorted(given) + ", but the configuration it"
                + " restored (index " + index + ") has " + sorted(held) + ": that configuration is in force; the"
                + " members given only seed a new node's. Change members with addVoter, addLearner, removeMember or"
                + " changeMembership, and start nodes with the current list");
    }

    private static String sorted(Collection<Member> members) {
        return members.stream().sorted(Comparator.comparing(m -> m.id().value()))
                .map(m -> m.id() + "=" + m.address()).collect(Collectors.joining(", ", "[", "]"));
    }
}
