package org.raftlib.transport.netty;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.MessageLite;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufInputStream;
import io.netty.buffer.ByteBufOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.raftlib.ClusterConfig;
import org.raftlib.Member;
import org.raftlib.NodeId;
import org.raftlib.NodeState;
import org.raftlib.RaftRole;
import org.raftlib.RaftStatus;
import org.raftlib.SnapshotMeta;
import org.raftlib.transport.netty.wire.AdminWire;

/**
 * Converts between raftlib's records and the admin messages of {@code admin.proto}, and frames them. The only admin
 * class besides the server and client handlers that touches the generated types; none reach a public signature.
 *
 * <p>Stateless and thread-safe.
 */
final class AdminCodec {

    /** The admin protocol version this code speaks. */
    static final int VERSION = 1;

    private AdminCodec() {
    }

    /** Returns {@code message} with its 4-byte big-endian length prefix. */
    static ByteBuf frame(ByteBufAllocator alloc, MessageLite message) {
        int size = message.getSerializedSize();
        ByteBuf buf = alloc.buffer(ProtoMapper.LENGTH_PREFIX_BYTES + size);
        buf.writeInt(size);
        try (ByteBufOutputStream out = new ByteBufOutputStream(buf)) {
            message.writeTo(out);
        } catch (IOException e) {
            buf.release();
            throw new UncheckedIOException(e);              // cannot happen in memory
        }
        return buf;
    }

    /** Parses a request frame (without its prefix). */
    static AdminWire.AdminRequest parseRequest(ByteBuf frame) throws InvalidProtocolBufferException {
        try (ByteBufInputStream in = new ByteBufInputStream(frame)) {
            return AdminWire.AdminRequest.parseFrom(in);
        } catch (InvalidProtocolBufferException e) {
            throw e;
        } catch (IOException e) {
            throw new InvalidProtocolBufferException(e);
        }
    }

    /** Parses a response frame (without its prefix). */
    static AdminWire.AdminResponse parseResponse(ByteBuf frame) throws InvalidProtocolBufferException {
        try (ByteBufInputStream in = new ByteBufInputStream(frame)) {
            return AdminWire.AdminResponse.parseFrom(in);
        } catch (InvalidProtocolBufferException e) {
            throw e;
        } catch (IOException e) {
            throw new InvalidProtocolBufferException(e);
        }
    }

    static AdminWire.AdminResponse.Builder response(NodeId node) {
        return AdminWire.AdminResponse.newBuilder().setProtocolVersion(VERSION).setNodeId(node.value());
    }

    static AdminWire.AdminResponse error(NodeId node, AdminException.Code code, String message,
            Optional<NodeId> leader) {
        return response(node).setError(AdminWire.AdminError.newBuilder().setCode(code.name())
                .setMessage(message).setLeaderId(leader.map(NodeId::value).orElse(""))).build();
    }

    static AdminWire.Configuration config(ClusterConfig c) {
        AdminWire.Configuration.Builder b = AdminWire.Configuration.newBuilder();
        for (Member m : c.members()) {
            b.addMembers(member(m, c));
        }
        return b.build();
    }

    private static AdminWire.ConfigMember member(Member m, ClusterConfig c) {
        return AdminWire.ConfigMember.newBuilder().setId(m.id().value()).setAddress(m.address())
                .setVoter(c.voters().contains(m.id())).setOutgoingVoter(c.outgoingVoters().contains(m.id()))
                .setLearner(c.learners().contains(m.id())).build();
    }

    static AdminWire.NodeStatus status(RaftStatus s) {
        AdminWire.NodeStatus.Builder b = AdminWire.NodeStatus.newBuilder()
                .setId(s.id().value()).setState(s.state().name()).setRole(s.role().name()).setTerm(s.term())
                .setLeader(s.leader().map(NodeId::value).orElse(""))
                .setLastLogIndex(s.lastLogIndex()).setCommitIndex(s.commitIndex()).setAppliedIndex(s.appliedIndex())
                .setFirstLogIndex(s.firstLogIndex()).setConfiguration(config(s.configuration()))
                .setConfigurationIndex(s.configurationIndex());
        s.latestSnapshot().ifPresent(m -> b.setLatestSnapshot(AdminWire.Snapshot.newBuilder().setIndex(m.index())
                .setTerm(m.term()).setConfiguration(config(m.config())).setConfigurationIndex(m.configIndex())
                .setSizeBytes(m.sizeBytes()).setCreatedMillis(m.createdMillis())));
        for (Member m : s.members()) {
            b.addMembers(member(m, s.configuration()));
        }
        s.peers().entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(e -> b.addPeers(
                AdminWire.PeerProgress.newBuilder().setId(e.getKey().value())
                        .setMatchIndex(e.getValue().matchIndex()).setNextIndex(e.getValue().nextIndex())
                        .setUnreachable(!e.getValue().reachable())
                        .setMillisSinceHeard(e.getValue().sinceHeard().toMillis())));
        return b.build();
    }

    /**
     * Rebuilds a configuration.
     *
     * @throws IllegalArgumentException if the message does not describe a valid one
     */
    static ClusterConfig config(AdminWire.Configuration c) {
        List<Member> members = new ArrayList<>();
        Set<NodeId> voters = new HashSet<>();
        Set<NodeId> outgoing = new HashSet<>();
        Set<NodeId> learners = new HashSet<>();
        for (AdminWire.ConfigMember m : c.getMembersList()) {
            Member member = Member.of(m.getId(), m.getAddress());
            members.add(member);
            addIf(m.getVoter(), voters, member.id());
            addIf(m.getOutgoingVoter(), outgoing, member.id());
            addIf(m.getLearner(), learners, member.id());
        }
        return new ClusterConfig(members, voters, outgoing, learners);
    }

    private static void addIf(boolean condition, Set<NodeId> set, NodeId id) {
        if (condition) {
            set.add(id);
        }
    }

    /**
     * Rebuilds a status.
     *
     * @throws IllegalArgumentException if the message does not describe a valid one
     */
    static RaftStatus status(AdminWire.NodeStatus s) {
        Optional<SnapshotMeta> snapshot = Optional.empty();
        if (s.hasLatestSnapshot()) {
            AdminWire.Snapshot m = s.getLatestSnapshot();
            snapshot = Optional.of(new SnapshotMeta(m.getIndex(), m.getTerm(), config(m.getConfiguration()),
                    m.hasConfigurationIndex() ? m.getConfigurationIndex() : m.getIndex(), m.getSizeBytes(),
                    m.getCreatedMillis()));
        }
        List<Member> members = s.getMembersList().stream().map(m -> Member.of(m.getId(), m.getAddress())).toList();
        Map<NodeId, RaftStatus.PeerStatus> peers = new HashMap<>();
        for (AdminWire.PeerProgress p : s.getPeersList()) {
            peers.put(NodeId.of(p.getId()), new RaftStatus.PeerStatus(p.getMatchIndex(), p.getNextIndex(),
                    !p.getUnreachable(), Duration.ofMillis(Math.max(0, p.getMillisSinceHeard()))));
        }
        return new RaftStatus(NodeId.of(s.getId()), NodeState.valueOf(s.getState()), RaftRole.valueOf(s.getRole()),
                s.getTerm(), s.getLeader().isEmpty() ? Optional.empty() : Optional.of(NodeId.of(s.getLeader())),
                s.getLastLogIndex(), s.getCommitIndex(), s.getAppliedIndex(), s.getFirstLogIndex(), snapshot,
                members, config(s.getConfiguration()), s.getConfigurationIndex(), peers);
    }
}
