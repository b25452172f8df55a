package org.raftlib.transport.netty;

import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.WireFormat;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.io.IOException;
import java.util.List;
import org.raftlib.LogEntry;
import org.raftlib.message.AppendEntries;

/**
 * Writes an {@link AppendEntries} frame straight into a buffer, byte for byte what the generated {@code raft.proto}
 * code would write ({@code Frame{envelope{..., append_entries{...}}}}, default values omitted), without building a
 * protobuf object per entry. AppendEntries carries almost all of the bytes and is the one message on the hot path;
 * the other messages keep the generated code. Stateless and thread-safe.
 */
final class AppendEntriesEncoder {

    private static final int FRAME_ENVELOPE = 2;
    private static final int ENVELOPE_APPEND_ENTRIES = 12;
    private static final int ENTRY = 4;

    private AppendEntriesEncoder() {
    }

    static ByteBuf encode(ByteBufAllocator alloc, String clusterId, String groupId, AppendEntries m, int version) {
        List<LogEntry> entries = m.entries();
        int[] entrySizes = new int[entries.size()];
        int body = headerSize(m);
        for (int i = 0; i < entries.size(); i++) {
            entrySizes[i] = entrySize(entries.get(i));
            body += nested(ENTRY, entrySizes[i]);
        }
        int envelope = stringSize(1, clusterId)
                + stringSize(2, groupId)
                + CodedOutputStream.computeStringSize(3, m.from().value())
                + CodedOutputStream.computeStringSize(4, m.to().value())
                + CodedOutputStream.computeUInt32Size(5, version)
                + nested(ENVELOPE_APPEND_ENTRIES, body);
        int frame = nested(FRAME_ENVELOPE, envelope);
        ByteBuf buf = alloc.ioBuffer(ProtoMapper.LENGTH_PREFIX_BYTES + frame);
        try {
            buf.writeInt(frame);
            CodedOutputStream out = CodedOutputStream.newInstance(buf.nioBuffer(ProtoMapper.LENGTH_PREFIX_BYTES,
                    frame));
            startNested(out, FRAME_ENVELOPE, envelope);
            if (!clusterId.isEmpty()) {
                out.writeString(1, clusterId);
            }
            if (!groupId.isEmpty()) {
                out.writeString(2, groupId);
            }
            out.writeString(3, m.from().value());
            out.writeString(4, m.to().value());
            out.writeUInt32(5, version);
            startNested(out, ENVELOPE_APPEND_ENTRIES, body);
            writeBody(out, m, entrySizes);
            out.flush();
            buf.writerIndex(ProtoMapper.LENGTH_PREFIX_BYTES + frame);
            return buf;
        } catch (IOException | RuntimeException ex) {
            buf.release();
            throw new IllegalStateException("cannot encode a " + frame + "-byte AppendEntries frame", ex);
        }
    }

    private static void writeBody(CodedOutputStream out, AppendEntries m, int[] entrySizes) throws IOException {
        writeInt64(out, 1, m.term());
        writeInt64(out, 2, m.prevLogIndex());
        writeInt64(out, 3, m.prevLogTerm());
        List<LogEntry> entries = m.entries();
        for (int i = 0; i < entries.size(); i++) {
            LogEntry e = entries.get(i);
            startNested(out, ENTRY, entrySizes[i]);
            writeInt64(out, 1, e.term());
            writeInt64(out, 2, e.index());
            if (e.type().code() != 0) {
                out.writeInt32(3, e.type().code());
            }
            if (!e.data().isEmpty()) {
                out.writeTag(4, WireFormat.WIRETYPE_LENGTH_DELIMITED);
                out.writeUInt32NoTag(e.data().length());
                out.write(e.data().asReadOnlyByteBuffer());
            }
        }
        writeInt64(out, 5, m.leaderCommit());
        writeInt64(out, 6, m.readSeq());
    }

    private static int headerSize(AppendEntries m) {
        return int64Size(1, m.term()) + int64Size(2, m.prevLogIndex()) + int64Size(3, m.prevLogTerm())
                + int64Size(5, m.leaderCommit()) + int64Size(6, m.readSeq());
    }

    private static int entrySize(LogEntry e) {
        int size = int64Size(1, e.term()) + int64Size(2, e.index());
        if (e.type().code() != 0) {
            size += CodedOutputStream.computeInt32Size(3, e.type().code());
        }
        int len = e.data().length();
        if (len > 0) {
            size += CodedOutputStream.computeTagSize(4) + CodedOutputStream.computeUInt32SizeNoTag(len) + len;
        }
        return size;
    }

    private static int nested(int field, int size) {
        return CodedOutputStream.computeTagSize(field) + CodedOutputStream.computeUInt32SizeNoTag(size) + size;
    }

    private static void startNested(CodedOutputStream out, int field, int size) throws IOException {
        out.writeTag(field, WireFormat.WIRETYPE_LENGTH_DELIMITED);
        out.writeUInt32NoTag(size);
    }

    private static int int64Size(int field, long value) {
        return value == 0 ? 0 : CodedOutputStream.computeInt64Size(field, value);
    }

    private static void writeInt64(CodedOutputStream out, int field, long value) throws IOException {
        if (value != 0) {
            out.writeInt64(field, value);
        }
    }

    private static int stringSize(int field, String value) {
        return value.isEmpty() ? 0 : CodedOutputStream.computeStringSize(field, value);
    }
}
