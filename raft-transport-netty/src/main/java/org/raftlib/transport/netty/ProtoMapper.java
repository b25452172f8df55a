package org.raftlib.transport.netty;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedInputStream;
import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.UnsafeByteOperations;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.io.IOException;
import java.util.List;
import org.raftlib.Bytes;
import org.raftlib.EntryType;
import org.raftlib.LogEntry;
import org.raftlib.NodeId;
import org.raftlib.message.AppendEntries;
import org.raftlib.message.AppendEntriesResponse;
import org.raftlib.message.ForwardProposal;
import org.raftlib.message.ForwardProposalResponse;
import org.raftlib.message.InstallSnapshot;
import org.raftlib.message.InstallSnapshotResponse;
import org.raftlib.message.LogText;
import org.raftlib.message.RaftMessage;
import org.raftlib.message.ReadIndexRequest;
import org.raftlib.message.ReadIndexResponse;
import org.raftlib.message.RequestVote;
import org.raftlib.message.RequestVoteResponse;
import org.raftlib.message.TimeoutNow;
import org.raftlib.transport.netty.NettyTransportMetrics.RejectReason;
import org.raftlib.transport.netty.wire.RaftWire;

/**
 * Converts between the message records and the protobuf wire format of {@code raft.proto}. The only class that
 * touches the generated types, so they never leak into any other class or public signature.
 *
 * <p>Decoding builds the records through their constructors, so every range and consistency check of
 * {@link RaftMessage} applies to bytes from the network; a failure becomes a {@link FrameException}.
 *
 * <p>Stateless and thread-safe.
 */
final class ProtoMapper {

    /** The wire protocol version this code speaks; a peer with another version is refused at the handshake. */
    static final int PROTOCOL_VERSION = 1;

    /** Bytes of the length prefix before every frame. */
    static final int LENGTH_PREFIX_BYTES = 4;

    /** The smallest limit on a connection's first frame, its handshake: far above what one needs today. */
    static final int HANDSHAKE_ROOM_BYTES = 64 << 10;

    private ProtoMapper() {
    }

    /**
     * The first frame on a connection: who connects, in which cluster and group, and how often it wants receipts
     * ({@code receiptIntervalMillis}; 0, what peers of older versions send, for none).
     */
    record Hello(String clusterId, String groupId, NodeId nodeId, int protocolVersion, int receiptIntervalMillis) {
    }

    /**
     * Returns the longest first frame (length prefix not counted) an inbound connection of this cluster and group
     * accepts: room for the longest handshake a member can send (these ids, a node id of {@link NodeId#MAX_LENGTH}
     * characters of 3 UTF-8 bytes each, the largest numbers), and at least {@link #HANDSHAKE_ROOM_BYTES} so that
     * fields a later version adds still fit. Anyone who can reach the port may announce this much before any check.
     */
    static int maxHandshakeBytes(String clusterId, String groupId) {
        RaftWire.Handshake longest = RaftWire.Handshake.newBuilder()
                .setClusterId(clusterId)
                .setGroupId(groupId)
                .setNodeId("\u0800".repeat(NodeId.MAX_LENGTH))
                .setProtocolVersion(-1)
                .setReceiptIntervalMillis(-1)
                .build();
        return Math.max(HANDSHAKE_ROOM_BYTES, RaftWire.Frame.newBuilder().setHandshake(longest).build()
                .getSerializedSize());
    }

    /** Returns a length-prefixed handshake frame. */
    static ByteBuf encodeHandshake(ByteBufAllocator alloc, Hello hello) {
        RaftWire.Handshake h = RaftWire.Handshake.newBuilder()
                .setClusterId(hello.clusterId())
                .setGroupId(hello.groupId())
                .setNodeId(hello.nodeId().value())
                .setProtocolVersion(hello.protocolVersion())
                .setReceiptIntervalMillis(hello.receiptIntervalMillis())
                .build();
        return write(alloc, RaftWire.Frame.newBuilder().setHandshake(h).build());
    }

    /** Returns a length-prefixed receipt frame: {@code bytesReceived} bytes read on the connection so far. */
    static ByteBuf encodeReceipt(ByteBufAllocator alloc, long bytesReceived) {
        return write(alloc, RaftWire.Frame.newBuilder()
                .setReceipt(RaftWire.Receipt.newBuilder().setBytesReceived(bytesReceived)).build());
    }

    /**
     * Decodes a frame (without its length prefix) that the listening side wrote on an outbound connection.
     *
     * @return the byte count the receipt acknowledges
     * @throws FrameException if the bytes are not a receipt with a count of at least zero
     */
    static long decodeReceipt(ByteBuf frame) {
        RaftWire.Frame f = parse(frame);
        if (f.getKindCase() != RaftWire.Frame.KindCase.RECEIPT || f.getReceipt().getBytesReceived() < 0) {
            throw new FrameException(RejectReason.MALFORMED_FRAME, "expected a receipt, got " + f.getKindCase());
        }
        return f.getReceipt().getBytesReceived();
    }

    /** Returns a length-prefixed envelope frame carrying {@code message}. */
    static ByteBuf encode(ByteBufAllocator alloc, String clusterId, String groupId, RaftMessage message) {
        if (message instanceof AppendEntries || message instanceof AppendEntriesResponse) {
            return encode(alloc, ReplicationCodec.Route.of(clusterId, groupId, message.from(), message.to(),
                    PROTOCOL_VERSION), message);
        }
        return encodeWithGeneratedCode(alloc, clusterId, groupId, message);
    }

    /**
     * Returns a length-prefixed envelope frame carrying {@code message} on a connection whose envelope fields are
     * {@code route}'s; the replication messages are written by {@link ReplicationCodec}.
     */
    static ByteBuf encode(ByteBufAllocator alloc, ReplicationCodec.Route route, RaftMessage message) {
        if (route.carries(message)) {
            if (message instanceof AppendEntries ae) {
                return ReplicationCodec.encode(alloc, route, ae);
            }
            if (message instanceof AppendEntriesResponse r) {
                return ReplicationCodec.encode(alloc, route, r);
            }
            if (message instanceof InstallSnapshot s) {
                return ReplicationCodec.encode(alloc, route, s);
            }
        }
        return encodeWithGeneratedCode(alloc, route.clusterId(), route.groupId(), message);
    }

    /** {@link #encode} through the generated protobuf classes; the reference the hand-written encoder must match. */
    static ByteBuf encodeWithGeneratedCode(ByteBufAllocator alloc, String clusterId, String groupId,
            RaftMessage message) {
        RaftWire.Envelope.Builder e = RaftWire.Envelope.newBuilder()
                .setClusterId(clusterId)
                .setGroupId(groupId)
                .setFrom(message.from().value())
                .setTo(message.to().value())
                .setProtocolVersion(PROTOCOL_VERSION);
        switch (message.type()) {
            case REQUEST_VOTE -> e.setRequestVote(toProto((RequestVote) message));
            case REQUEST_VOTE_RESPONSE -> e.setRequestVoteResponse(toProto((RequestVoteResponse) message));
            case APPEND_ENTRIES -> e.setAppendEntries(toProto((AppendEntries) message));
            case APPEND_ENTRIES_RESPONSE -> e.setAppendEntriesResponse(toProto((AppendEntriesResponse) message));
            case INSTALL_SNAPSHOT -> e.setInstallSnapshot(toProto((InstallSnapshot) message));
            case INSTALL_SNAPSHOT_RESPONSE -> e.setInstallSnapshotResponse(toProto((InstallSnapshotResponse) message));
            case TIMEOUT_NOW -> e.setTimeoutNow(RaftWire.TimeoutNow.newBuilder().setTerm(message.term()));
            case READ_INDEX_REQUEST -> e.setReadIndexRequest(toProto((ReadIndexRequest) message));
            case READ_INDEX_RESPONSE -> e.setReadIndexResponse(toProto((ReadIndexResponse) message));
            case FORWARD_PROPOSAL -> e.setForwardProposal(toProto((ForwardProposal) message));
            case FORWARD_PROPOSAL_RESPONSE -> e.setForwardProposalResponse(toProto((ForwardProposalResponse) message));
            default -> throw new IllegalStateException("unhandled message type " + message.type());
        }
        return write(alloc, RaftWire.Frame.newBuilder().setEnvelope(e).build());
    }

    private static ByteBuf write(ByteBufAllocator alloc, RaftWire.Frame frame) {
        int size = frame.getSerializedSize();
        ByteBuf buf = alloc.ioBuffer(LENGTH_PREFIX_BYTES + size);
        try {
            buf.writeInt(size);
            CodedOutputStream out = CodedOutputStream.newInstance(buf.nioBuffer(LENGTH_PREFIX_BYTES, size));
            frame.writeTo(out);
            out.flush();
            buf.writerIndex(LENGTH_PREFIX_BYTES + size);
            return buf;
        } catch (IOException | RuntimeException ex) {
            buf.release();
            throw new IllegalStateException("cannot encode a " + size + "-byte frame", ex);
        }
    }

    /**
     * Decodes the first frame of a connection (without its length prefix).
     *
     * @throws FrameException if the bytes are not a handshake
     */
    static Hello decodeHandshake(ByteBuf frame) {
        RaftWire.Frame f = parse(frame);
        if (f.getKindCase() != RaftWire.Frame.KindCase.HANDSHAKE) {
            throw new FrameException(RejectReason.BAD_HANDSHAKE, "first frame is " + f.getKindCase()
                    + ", not a handshake");
        }
        RaftWire.Handshake h = f.getHandshake();
        try {
            return new Hello(h.getClusterId(), h.getGroupId(), NodeId.of(h.getNodeId()), h.getProtocolVersion(),
                    h.getReceiptIntervalMillis());
        } catch (IllegalArgumentException ex) {
            throw new FrameException(RejectReason.BAD_HANDSHAKE, ex.getMessage());
        }
    }

    /**
     * Decodes an envelope frame (without its length prefix), checking its cluster, group and version against
     * {@code expected} before building the message.
     *
     * @throws FrameException if the bytes are not a valid envelope for {@code expected}
     */
    static RaftMessage decodeEnvelope(ByteBuf frame, Hello expected) {
        RaftWire.Frame f = parse(frame);
        if (f.getKindCase() != RaftWire.Frame.KindCase.ENVELOPE) {
            throw new FrameException(RejectReason.MALFORMED_FRAME, "expected an envelope, got " + f.getKindCase());
        }
        RaftWire.Envelope e = f.getEnvelope();
        if (e.getProtocolVersion() != expected.protocolVersion()) {
            throw new FrameException(RejectReason.UNSUPPORTED_VERSION, "version " + e.getProtocolVersion());
        }
        if (!e.getClusterId().equals(expected.clusterId())) {
            throw new FrameException(RejectReason.WRONG_CLUSTER, "cluster " + LogText.quote(e.getClusterId()));
        }
        if (!e.getGroupId().equals(expected.groupId())) {
            throw new FrameException(RejectReason.WRONG_GROUP, "group " + LogText.quote(e.getGroupId()));
        }
        try {
            return toMessage(e, NodeId.of(e.getFrom()), NodeId.of(e.getTo()));
        } catch (IllegalArgumentException | NullPointerException ex) {
            throw new FrameException(RejectReason.INVALID_MESSAGE, e.getBodyCase() + ": " + ex.getMessage());
        }
    }

    /**
     * Decodes an envelope frame like {@link #decodeEnvelope(ByteBuf, Hello)}, taking the replication messages of a
     * connection whose inbound envelope fields are {@code route}'s the short way ({@link ReplicationCodec}).
     *
     * @throws FrameException if the bytes are not a valid envelope for {@code expected}
     */
    static RaftMessage decodeEnvelope(ByteBuf frame, Hello expected, ReplicationCodec.Route route) {
        RaftMessage fast = ReplicationCodec.decode(frame, route);
        return fast != null ? fast : decodeEnvelope(frame, expected);
    }

    /**
     * Parses with aliasing: byte fields point into {@code frame} instead of being copied, and {@link #toBytes} makes
     * the one copy a message keeps. Nothing parsed may outlive the call that decodes {@code frame}.
     */
    private static RaftWire.Frame parse(ByteBuf frame) {
        try {
            CodedInputStream in = CodedInputStream.newInstance(frame.nioBuffer());
            in.enableAliasing(true);
            return RaftWire.Frame.parseFrom(in);
        } catch (IOException ex) {                          // InvalidProtocolBufferException; nothing else reads I/O
            throw new FrameException(RejectReason.MALFORMED_FRAME, ex.getMessage());
        }
    }

    private static RaftMessage toMessage(RaftWire.Envelope e, NodeId from, NodeId to) {
        return switch (e.getBodyCase()) {
            case REQUEST_VOTE -> {
                RaftWire.RequestVote m = e.getRequestVote();
                yield new RequestVote(from, to, m.getTerm(), m.getLastLogIndex(), m.getLastLogTerm(),
                        m.getPreVote(), m.getLeadershipTransfer());
            }
            case REQUEST_VOTE_RESPONSE -> {
                RaftWire.RequestVoteResponse m = e.getRequestVoteResponse();
                yield new RequestVoteResponse(from, to, m.getTerm(), m.getVoteGranted(), m.getPreVote());
            }
            case APPEND_ENTRIES -> toAppendEntries(e.getAppendEntries(), from, to);
            case APPEND_ENTRIES_RESPONSE -> {
                RaftWire.AppendEntriesResponse m = e.getAppendEntriesResponse();
                yield new AppendEntriesResponse(from, to, m.getTerm(), m.getSuccess(), m.getMatchIndex(),
                        m.getRejectedIndex(), m.getConflictTerm(), m.getConflictIndex(), m.getReadSeq());
            }
            case INSTALL_SNAPSHOT -> {
                RaftWire.InstallSnapshot m = e.getInstallSnapshot();
                yield new InstallSnapshot(from, to, m.getTerm(), m.getLastIncludedIndex(), m.getLastIncludedTerm(),
                        m.getOffset(), toBytes(m.getData()), m.getDone());
            }
            case INSTALL_SNAPSHOT_RESPONSE -> {
                RaftWire.InstallSnapshotResponse m = e.getInstallSnapshotResponse();
                yield new InstallSnapshotResponse(from, to, m.getTerm(), m.getLastIncludedIndex(), m.getNextOffset(),
                        m.getSuccess());
            }
            case TIMEOUT_NOW -> new TimeoutNow(from, to, e.getTimeoutNow().getTerm());
            case READ_INDEX_REQUEST -> {
                RaftWire.ReadIndexRequest m = e.getReadIndexRequest();
                yield new ReadIndexRequest(from, to, m.getTerm(), m.getRequestId(), m.getLease());
            }
            case READ_INDEX_RESPONSE -> {
                RaftWire.ReadIndexResponse m = e.getReadIndexResponse();
                yield new ReadIndexResponse(from, to, m.getTerm(), m.getRequestId(), m.getAccepted(),
                        m.getReadIndex());
            }
            case FORWARD_PROPOSAL -> {
                RaftWire.ForwardProposal m = e.getForwardProposal();
                yield new ForwardProposal(from, to, m.getTerm(), m.getRequestId(), entryType(m.getEntryType()),
                        toBytes(m.getData()));
            }
            case FORWARD_PROPOSAL_RESPONSE -> {
                RaftWire.ForwardProposalResponse m = e.getForwardProposalResponse();
                yield new ForwardProposalResponse(from, to, m.getTerm(), m.getRequestId(), outcome(m.getOutcome()),
                        m.getIndex(), m.getEntryTerm());
            }
            case BODY_NOT_SET -> throw new IllegalArgumentException("envelope carries no message");
        };
    }

    private static RaftWire.ReadIndexRequest toProto(ReadIndexRequest m) {
        return RaftWire.ReadIndexRequest.newBuilder().setTerm(m.term()).setRequestId(m.requestId())
                .setLease(m.lease()).build();
    }

    private static RaftWire.ReadIndexResponse toProto(ReadIndexResponse m) {
        return RaftWire.ReadIndexResponse.newBuilder().setTerm(m.term()).setRequestId(m.requestId())
                .setAccepted(m.accepted()).setReadIndex(m.readIndex()).build();
    }

    private static RaftWire.ForwardProposal toProto(ForwardProposal m) {
        return RaftWire.ForwardProposal.newBuilder().setTerm(m.term()).setRequestId(m.requestId())
                .setEntryType(m.entryType().code()).setData(toByteString(m.data())).build();
    }

    private static RaftWire.ForwardProposalResponse toProto(ForwardProposalResponse m) {
        return RaftWire.ForwardProposalResponse.newBuilder().setTerm(m.term()).setRequestId(m.requestId())
                .setOutcome(m.outcome().ordinal() + 1).setIndex(m.index()).setEntryTerm(m.entryTerm()).build();
    }

    private static EntryType entryType(int code) {
        if (code != (byte) code) {
            throw new IllegalArgumentException("unknown entry type code " + code);
        }
        return EntryType.fromCode((byte) code);
    }

    private static ForwardProposalResponse.Outcome outcome(int code) {
        ForwardProposalResponse.Outcome[] all = ForwardProposalResponse.Outcome.values();
        if (code < 1 || code > all.length) {
            throw new IllegalArgumentException("unknown forward outcome " + code);
        }
        return all[code - 1];
    }

    private static AppendEntries toAppendEntries(RaftWire.AppendEntries m, NodeId from, NodeId to) {
        LogEntry[] entries = new LogEntry[m.getEntriesCount()];
        for (int i = 0; i < entries.length; i++) {
            RaftWire.Entry e = m.getEntries(i);
            int code = e.getType();
            if (code != (byte) code) {
                throw new IllegalArgumentException("unknown entry type code " + code);
            }
            entries[i] = new LogEntry(e.getTerm(), e.getIndex(), EntryType.fromCode((byte) code), toBytes(e.getData()));
        }
        return new AppendEntries(from, to, m.getTerm(), m.getPrevLogIndex(), m.getPrevLogTerm(), List.of(entries),
                m.getLeaderCommit(), m.getReadSeq());
    }

    private static RaftWire.RequestVote toProto(RequestVote m) {
        return RaftWire.RequestVote.newBuilder()
                .setTerm(m.term())
                .setLastLogIndex(m.lastLogIndex())
                .setLastLogTerm(m.lastLogTerm())
                .setPreVote(m.preVote())
                .setLeadershipTransfer(m.leadershipTransfer())
                .build();
    }

    private static RaftWire.RequestVoteResponse toProto(RequestVoteResponse m) {
        return RaftWire.RequestVoteResponse.newBuilder()
                .setTerm(m.term())
                .setVoteGranted(m.voteGranted())
                .setPreVote(m.preVote())
                .build();
    }

    private static RaftWire.AppendEntries toProto(AppendEntries m) {
        RaftWire.AppendEntries.Builder b = RaftWire.AppendEntries.newBuilder()
                .setTerm(m.term())
                .setPrevLogIndex(m.prevLogIndex())
                .setPrevLogTerm(m.prevLogTerm())
                .setLeaderCommit(m.leaderCommit())
                .setReadSeq(m.readSeq());
        for (LogEntry e : m.entries()) {
            b.addEntries(RaftWire.Entry.newBuilder()
                    .setTerm(e.term())
                    .setIndex(e.index())
                    .setType(e.type().code())
                    .setData(toByteString(e.data())));
        }
        return b.build();
    }

    private static RaftWire.AppendEntriesResponse toProto(AppendEntriesResponse m) {
        return RaftWire.AppendEntriesResponse.newBuilder()
                .setTerm(m.term())
                .setSuccess(m.success())
                .setMatchIndex(m.matchIndex())
                .setRejectedIndex(m.rejectedIndex())
                .setConflictTerm(m.conflictTerm())
                .setConflictIndex(m.conflictIndex())
                .setReadSeq(m.readSeq())
                .build();
    }

    private static RaftWire.InstallSnapshot toProto(InstallSnapshot m) {
        return RaftWire.InstallSnapshot.newBuilder()
                .setTerm(m.term())
                .setLastIncludedIndex(m.lastIncludedIndex())
                .setLastIncludedTerm(m.lastIncludedTerm())
                .setOffset(m.offset())
                .setData(toByteString(m.data()))
                .setDone(m.done())
                .build();
    }

    private static RaftWire.InstallSnapshotResponse toProto(InstallSnapshotResponse m) {
        return RaftWire.InstallSnapshotResponse.newBuilder()
                .setTerm(m.term())
                .setLastIncludedIndex(m.lastIncludedIndex())
                .setNextOffset(m.nextOffset())
                .setSuccess(m.success())
                .build();
    }

    /** Wraps without copying: {@link Bytes} is immutable, so sharing its array read-only is safe. */
    private static ByteString toByteString(Bytes data) {
        return data.isEmpty() ? ByteString.EMPTY : UnsafeByteOperations.unsafeWrap(data.asReadOnlyByteBuffer());
    }

    private static Bytes toBytes(ByteString data) {
        return data.isEmpty() ? Bytes.EMPTY : Bytes.wrap(data.toByteArray());
    }
}
