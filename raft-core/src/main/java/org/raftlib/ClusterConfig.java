package org.raftlib;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * A cluster's membership configuration (Raft thesis chapter 4): who votes, who only receives the log, and each
 * member's address. During a joint-consensus change ({@link #isJoint()}) decisions need a majority of
 * {@link #voters()} (the new configuration) and a majority of {@link #outgoingVoters()} (the old one). Immutable.
 *
 * @param members every member of the configuration with its address (an empty address when it is not known), sorted
 *     by id
 * @param voters the voters of the (new) configuration
 * @param outgoingVoters the voters of the old configuration while a joint change is in progress; empty otherwise
 * @param learners members that receive the log but never vote or count towards a commit
 */
public record ClusterConfig(List<Member> members, Set<NodeId> voters, Set<NodeId> outgoingVoters,
        Set<NodeId> learners) {

    /** The configuration of a node that joins an existing cluster and has not heard from it yet: no members. */
    public static final ClusterConfig EMPTY = new ClusterConfig(List.of(), Set.of(), Set.of(), Set.of());

    private static final int ENCODING_VERSION = 1;

    /**
     * Checks the configuration.
     *
     * @throws NullPointerException if an argument or element is null
     * @throws IllegalArgumentException if a learner also votes in the new configuration, a member is listed twice, or
     *     the members are not exactly the voters, outgoing voters and learners
     */
    public ClusterConfig {
        Map<NodeId, Member> byId = new TreeMap<>();
        for (Member m : members) {
            if (byId.put(m.id(), m) != null) {
                throw new IllegalArgumentException("member " + m.id() + " listed twice");
            }
        }
        members = List.copyOf(byId.values());
        voters = Set.copyOf(voters);
        outgoingVoters = Set.copyOf(outgoingVoters);
        learners = Set.copyOf(learners);
        for (NodeId l : learners) {
            if (voters.contains(l)) {
                throw new IllegalArgumentException(l + " cannot be both a voter and a learner");
            }
        }
        Set<NodeId> all = new HashSet<>(voters);
        all.addAll(outgoingVoters);
        all.addAll(learners);
        if (!all.equals(byId.keySet())) {
            throw new IllegalArgumentException("members " + byId.keySet() + " must be exactly the voters, outgoing "
                    + "voters and learners " + new TreeSet<>(all));
        }
    }

    /**
     * Returns a configuration in which {@code voters} vote and nobody else is a member.
     *
     * @param voters the voters with their addresses
     * @return the configuration
     * @throws IllegalArgumentException if a member is listed twice
     */
    public static ClusterConfig ofVoters(Collection<Member> voters) {
        Set<NodeId> ids = voters.stream().map(Member::id).collect(Collectors.toSet());
        return new ClusterConfig(List.copyOf(voters), ids, Set.of(), Set.of());
    }

    /**
     * Returns a configuration of the given voters and learners, not joint.
     *
     * @param voters the voters with their addresses
     * @param learners the learners with their addresses
     * @return the configuration
     * @throws IllegalArgumentException if a member is listed twice
     */
    public static ClusterConfig of(Collection<Member> voters, Collection<Member> learners) {
        List<Member> all = new ArrayList<>(voters);
        all.addAll(learners);
        return new ClusterConfig(all, voters.stream().map(Member::id).collect(Collectors.toSet()), Set.of(),
                learners.stream().map(Member::id).collect(Collectors.toSet()));
    }

    /** Returns whether a joint-consensus change is in progress (both old and new voters decide). */
    public boolean isJoint() {
        return !outgoingVoters.isEmpty();
    }

    /** Returns whether {@code id} votes in this configuration (in either half while joint). */
    public boolean isVoter(NodeId id) {
        return voters.contains(id) || outgoingVoters.contains(id);
    }

    /** Returns whether {@code id} is a member (voter, outgoing voter or learner). */
    public boolean contains(NodeId id) {
        return member(id).isPresent();
    }

    /** Returns the member {@code id}, with its address. */
    public Optional<Member> member(NodeId id) {
        return members.stream().filter(m -> m.id().equals(id)).findFirst();
    }

    /** Returns every member's id. */
    public Set<NodeId> ids() {
        return members.stream().map(Member::id).collect(Collectors.toCollection(TreeSet::new));
    }

    /** Returns the configuration the joint one leads to: the new voters and the learners, without the old voters. */
    public ClusterConfig leaveJoint() {
        List<Member> kept = members.stream().filter(m -> voters.contains(m.id()) || learners.contains(m.id()))
                .toList();
        return new ClusterConfig(kept, voters, Set.of(), learners);
    }

    /** Returns this configuration with {@code addresses} filled in where a member's address is empty. */
    public ClusterConfig withAddresses(Collection<Member> addresses) {
        List<Member> filled = members.stream().map(m -> m.address().isEmpty() ? addresses.stream()
                .filter(a -> a.id().equals(m.id())).findFirst().orElse(m) : m).toList();
        return new ClusterConfig(filled, voters, outgoingVoters, learners);
    }

    /**
     * Returns the stable binary form of this configuration (as stored in configuration log entries and snapshot
     * metadata): {@code version:int8 = 1 | count:int32 | per member: flags:int8 (1 voter, 2 outgoing voter, 4
     * learner) | id length:int16 | id UTF-8 | address length:int16 | address UTF-8}.
     *
     * @return the encoded bytes
     */
    public byte[] encode() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeByte(ENCODING_VERSION);
            out.writeInt(members.size());
            for (Member m : members) {
                int flags = (voters.contains(m.id()) ? 1 : 0) | (outgoingVoters.contains(m.id()) ? 2 : 0)
                        | (learners.contains(m.id()) ? 4 : 0);
                out.writeByte(flags);
                writeString(out, m.id().value());
                writeString(out, m.address());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);              // cannot happen in memory
        }
        return bytes.toByteArray();
    }

    /**
     * Decodes the form {@link #encode()} writes.
     *
     * @param data the encoded bytes
     * @return the configuration
     * @throws IllegalArgumentException if {@code data} is not a valid encoded configuration
     */
    public static ClusterConfig decode(byte[] data) {
        ByteBuffer in = ByteBuffer.wrap(data);
        try {
            int version = in.get();
            if (version != ENCODING_VERSION) {
                throw new IllegalArgumentException("unknown configuration encoding version " + version);
            }
            int count = in.getInt();
            if (count < 0 || count > data.length / 5) {
                throw new IllegalArgumentException("implausible member count " + count);
            }
            List<Member> members = new ArrayList<>();
            Set<NodeId> voters = new HashSet<>();
            Set<NodeId> outgoing = new HashSet<>();
            Set<NodeId> learners = new HashSet<>();
            for (int i = 0; i < count; i++) {
                int flags = in.get();
                Member m = new Member(NodeId.of(readString(in)), readString(in));
                members.add(m);
                if ((flags & 1) != 0) {
                    voters.add(m.id());
                }
                if ((flags & 2) != 0) {
                    outgoing.add(m.id());
                }
                if ((flags & 4) != 0) {
                    learners.add(m.id());
                }
                if ((flags & ~7) != 0 || flags == 0) {
                    throw new IllegalArgumentException("bad role flags " + flags + " for " + m.id());
                }
            }
            if (in.hasRemaining()) {
                throw new IllegalArgumentException(in.remaining() + " trailing bytes");
            }
            return new ClusterConfig(members, voters, outgoing, learners);
        } catch (BufferUnderflowException e) {
            throw new IllegalArgumentException("truncated configuration (" + data.length + " bytes)", e);
        }
    }

    private static void writeString(DataOutputStream out, String s) throws IOException {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        if (b.length > Short.MAX_VALUE) {
            throw new IllegalArgumentException("too long: " + s.length() + " characters");
        }
        out.writeShort(b.length);
        out.write(b);
    }

    private static String readString(ByteBuffer in) {
        int n = in.getShort();
        if (n < 0 || n > in.remaining()) {
            throw new IllegalArgumentException("bad string length " + n);
        }
        byte[] b = new byte[n];
        in.get(b);
        return new String(b, StandardCharsets.UTF_8);
    }

    @Override
    public String toString() {
        return "voters=" + new TreeSet<>(voters) + (isJoint() ? " outgoing=" + new TreeSet<>(outgoingVoters) : "")
                + (learners.isEmpty() ? "" : " learners=" + new TreeSet<>(learners));
    }
}
