package org.raftlib.transport.netty;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.raftlib.Bytes;
import org.raftlib.EntryType;
import org.raftlib.LogEntry;
import org.raftlib.NodeId;
import org.raftlib.message.AppendEntries;
import org.raftlib.message.AppendEntriesResponse;
import org.raftlib.message.InstallSnapshot;
import org.raftlib.message.RaftMessage;

/**
 * Hand-written encoding and decoding of the messages that carry almost every frame and byte, {@link AppendEntries},
 * {@link AppendEntriesResponse} and {@link InstallSnapshot} chunks, straight between message records and buffers.
 * They skip the generated protobuf objects (a builder and an object per entry, a copy of every payload into a
 * {@code ByteString}, a copy of a whole direct frame into an array before parsing it) and, as much, the JIT work of
 * compiling that code: a snapshot chunk's bytes are copied once on each side, into the frame and out of it.
 *
 * <p>Both directions use a connection's {@link Route}: the envelope fields in front of the body (cluster, group,
 * from, to, version) are the same for every frame on a connection, so they are encoded once. The encoder writes
 * exactly the bytes the generated code writes ({@code ReplicationCodecTest} checks it byte for byte). The decoder
 * takes only that canonical form: any frame it does not recognise in full (another header, another message type,
 * fields out of order or repeated, unknown fields, a malformed varint, values a record refuses) returns
 * {@code null}, and the caller decodes it with the generated code, which also produces the precise error. So the
 * fast path never accepts anything the generated parser would decode differently.
 *
 * <p>Stateless and thread-safe.
 */
final class ReplicationCodec {

    private static final int LEN = 2;                          // wire type: length-delimited
    private static final int FRAME_ENVELOPE = 2 << 3 | LEN;
    private static final int APPEND_ENTRIES = 12 << 3 | LEN;
    private static final int APPEND_ENTRIES_RESPONSE = 13 << 3 | LEN;
    private static final int INSTALL_SNAPSHOT = 14 << 3 | LEN;
    private static final int CHUNK_DATA = 5 << 3 | LEN;
    private static final int ENTRY = 4 << 3 | LEN;

    private ReplicationCodec() {
    }

    /**
     * The envelope fields of one direction of one connection, encoded once.
     *
     * @param header envelope fields 1-5 as the generated code writes them
     * @param clusterId the cluster
     * @param groupId the group
     * @param from the sender
     * @param to the addressee
     */
    record Route(byte[] header, String clusterId, String groupId, NodeId from, NodeId to) {

        /** Encodes the header of messages from {@code from} to {@code to}. */
        static Route of(String clusterId, String groupId, NodeId from, NodeId to, int version) {
            byte[][] fields = {utf8(clusterId), utf8(groupId), utf8(from.value()), utf8(to.value())};
            int size = int64Size(version);
            for (byte[] f : fields) {
                size += f.length == 0 ? 0 : 1 + lengthDelimited(f.length);
            }
            Out out = new Out(size);
            for (int i = 0; i < fields.length; i++) {
                if (fields[i].length > 0) {
                    out.put((i + 1) << 3 | LEN);
                    out.varint(fields[i].length);
                    out.bytes(fields[i]);
                }
            }
            out.int64(5, version);
            return new Route(out.array(), clusterId, groupId, from, to);
        }

        private static byte[] utf8(String s) {
            return s.getBytes(StandardCharsets.UTF_8);
        }

        boolean carries(RaftMessage m) {
            return m.from().equals(from) && m.to().equals(to);
        }
    }

    // ------------------------------------------------------------------------------------------------ encoding

    /** Returns a length-prefixed frame carrying {@code m}, whose sender and addressee are {@code route}'s. */
    static ByteBuf encode(ByteBufAllocator alloc, Route route, AppendEntries m) {
        List<LogEntry> entries = m.entries();
        int body = int64Size(m.term()) + int64Size(m.prevLogIndex()) + int64Size(m.prevLogTerm())
                + int64Size(m.leaderCommit()) + int64Size(m.readSeq());
        for (int i = 0; i < entries.size(); i++) {
            body += 1 + lengthDelimited(entrySize(entries.get(i)));
        }
        Out out = start(route, APPEND_ENTRIES, body);
        out.int64(1, m.term());
        out.int64(2, m.prevLogIndex());
        out.int64(3, m.prevLogTerm());
        for (int i = 0; i < entries.size(); i++) {
            LogEntry e = entries.get(i);
            out.put(ENTRY);
            out.varint(entrySize(e));
            out.int64(1, e.term());
            out.int64(2, e.index());
            out.int64(3, e.type().code());                  // int32 on the wire: sign-extended like int64
            if (!e.data().isEmpty()) {
                out.put(4 << 3 | LEN);
                out.varint(e.data().length());
                out.bytes(e.data());
            }
        }
        out.int64(5, m.leaderCommit());
        out.int64(6, m.readSeq());
        return out.toBuffer(alloc);
    }

    /** Returns a length-prefixed frame carrying {@code m}, whose sender and addressee are {@code route}'s. */
    static ByteBuf encode(ByteBufAllocator alloc, Route route, AppendEntriesResponse m) {
        int body = int64Size(m.term()) + (m.success() ? 2 : 0) + int64Size(m.matchIndex())
                + int64Size(m.rejectedIndex()) + int64Size(m.conflictTerm()) + int64Size(m.conflictIndex())
                + int64Size(m.readSeq());
        Out out = start(route, APPEND_ENTRIES_RESPONSE, body);
        out.int64(1, m.term());
        out.int64(2, m.success() ? 1 : 0);
        out.int64(3, m.matchIndex());
        out.int64(4, m.rejectedIndex());
        out.int64(5, m.conflictTerm());
        out.int64(6, m.conflictIndex());
        out.int64(7, m.readSeq());
        return out.toBuffer(alloc);
    }

    /**
     * Returns a length-prefixed frame carrying {@code m}, whose sender and addressee are {@code route}'s. The chunk's
     * bytes are copied once, straight into the frame's (direct) buffer.
     */
    static ByteBuf encode(ByteBufAllocator alloc, Route route, InstallSnapshot m) {
        int n = m.data().length();
        int fields = int64Size(m.term()) + int64Size(m.lastIncludedIndex()) + int64Size(m.lastIncludedTerm())
                + int64Size(m.offset());
        int data = n == 0 ? 0 : 1 + lengthDelimited(n);
        int done = m.done() ? 2 : 0;
        Out out = start(route, INSTALL_SNAPSHOT, fields + data + done, n + done);
        out.int64(1, m.term());
        out.int64(2, m.lastIncludedIndex());
        out.int64(3, m.lastIncludedTerm());
        out.int64(4, m.offset());
        if (n > 0) {
            out.put(CHUNK_DATA);
            out.varint(n);
        }
        byte[] head = out.array();
        ByteBuf frame = alloc.ioBuffer(head.length + n + done);
        frame.writeBytes(head);
        frame.writeBytes(m.data().asReadOnlyByteBuffer());
        if (m.done()) {
            frame.writeByte(6 << 3);
            frame.writeByte(1);
        }
        return frame;
    }

    /** Sizes the frame and writes everything up to the body's first field. */
    private static Out start(Route route, int bodyTag, int body) {
        return start(route, bodyTag, body, 0);
    }

    /** {@link #start(Route, int, int)} for a frame whose last {@code tail} bytes the caller writes elsewhere. */
    private static Out start(Route route, int bodyTag, int body, int tail) {
        int envelope = route.header().length + 1 + lengthDelimited(body);
        int frame = 1 + lengthDelimited(envelope);
        Out out = new Out(ProtoMapper.LENGTH_PREFIX_BYTES + frame - tail);
        out.put(frame >>> 24);
        out.put(frame >>> 16);
        out.put(frame >>> 8);
        out.put(frame);
        out.put(FRAME_ENVELOPE);
        out.varint(envelope);
        out.bytes(route.header());
        out.put(bodyTag);                                    // fields 12 to 14: one-byte tags
        out.varint(body);
        return out;
    }

    private static int entrySize(LogEntry e) {
        int size = int64Size(e.term()) + int64Size(e.index()) + int64Size(e.type().code());
        int len = e.data().length();
        return len == 0 ? size : size + 1 + lengthDelimited(len);
    }

    private static int lengthDelimited(int length) {
        return varintSize(length) + length;
    }

    /** Bytes of a non-default int64 field with a one-byte tag. */
    private static int int64Size(long value) {
        return value == 0 ? 0 : 1 + varintSize(value);
    }

    /** Bytes of {@code value} as a varint, without branches on its magnitude. */
    static int varintSize(long value) {
        return (640 - 9 * Long.numberOfLeadingZeros(value | 1)) >>> 6;
    }

    /**
     * A frame of known size built in a heap array, then copied into a pooled buffer in one go: plain array stores
     * are less code for the JIT to compile than a buffer call per byte.
     */
    private static final class Out {
        private final byte[] a;
        private final ByteBuffer view;
        private int p;

        Out(int size) {
            a = new byte[size];
            view = ByteBuffer.wrap(a);
        }

        void put(int b) {
            a[p++] = (byte) b;
        }

        void varint(long value) {
            long v = value;
            while ((v & ~0x7FL) != 0) {
                a[p++] = (byte) (v & 0x7F | 0x80);
                v >>>= 7;
            }
            a[p++] = (byte) v;
        }

        void int64(int field, long value) {
            if (value != 0) {
                a[p++] = (byte) (field << 3);
                varint(value);
            }
        }

        void bytes(byte[] b) {
            System.arraycopy(b, 0, a, p, b.length);
            p += b.length;
        }

        void bytes(Bytes b) {
            view.position(p);
            b.writeTo(view);
            p += b.length();
        }

        byte[] array() {
            if (p != a.length) {
                throw new IllegalStateException("encoded " + p + " bytes of a " + a.length + "-byte frame");
            }
            return a;
        }

        ByteBuf toBuffer(ByteBufAllocator alloc) {
            return alloc.ioBuffer(a.length).writeBytes(array());
        }
    }

    // ------------------------------------------------------------------------------------------------ decoding

    /**
     * Decodes a frame (without its length prefix) if it is an AppendEntries or AppendEntriesResponse envelope in
     * canonical form with exactly {@code route}'s header; returns {@code null} for anything else. Does not move the
     * frame's reader index.
     */
    static RaftMessage decode(ByteBuf frame, Route route) {
        Reader r = new Reader(frame);
        if (r.readByte() != FRAME_ENVELOPE || r.readLength() != r.remaining()) {
            return null;
        }
        byte[] header = route.header();
        if (!r.skipIf(header)) {
            return null;
        }
        int tag = r.readTag();
        int body = r.readLength();
        if (body != r.remaining()) {
            return null;
        }
        try {
            if (tag == APPEND_ENTRIES) {
                return appendEntries(r, route);
            }
            if (tag == APPEND_ENTRIES_RESPONSE) {
                return appendEntriesResponse(r, route);
            }
            if (tag == INSTALL_SNAPSHOT) {
                return installSnapshot(r, route);
            }
        } catch (IllegalArgumentException | NullPointerException e) {
            return null;                                     // the generated path reports it as an invalid message
        }
        return null;
    }

    private static AppendEntries appendEntries(Reader r, Route route) {
        long[] f = new long[7];
        List<LogEntry> entries = new ArrayList<>();
        int last = 0;
        while (r.remaining() > 0 && r.ok) {
            int tag = r.readTag();
            int field = tag >>> 3;
            if (field == 4 && tag == ENTRY && last <= 4) {
                LogEntry e = entry(r);
                if (e == null) {
                    return null;
                }
                entries.add(e);
            } else if (field > last && field != 4 && field <= 6 && (tag & 7) == 0) {
                f[field] = r.readVarint();
            } else {
                return null;
            }
            last = field;
        }
        if (!r.ok) {
            return null;
        }
        return new AppendEntries(route.from(), route.to(), f[1], f[2], f[3], entries, f[5], f[6]);
    }

    private static LogEntry entry(Reader r) {
        int length = r.readLength();
        if (!r.ok || length > r.remaining()) {
            return null;
        }
        int end = r.position() + length;
        long term = 0;
        long index = 0;
        long type = 0;
        Bytes data = Bytes.EMPTY;
        int last = 0;
        while (r.position() < end && r.ok) {
            int tag = r.readTag();
            int field = tag >>> 3;
            if (field <= last || field > 4) {
                return null;
            }
            if (field == 4) {
                if (tag != (4 << 3 | LEN)) {
                    return null;
                }
                int n = r.readLength();
                if (!r.ok || n > end - r.position()) {
                    return null;
                }
                data = n == 0 ? Bytes.EMPTY : Bytes.wrap(r.readBytes(n));
            } else if ((tag & 7) != 0) {
                return null;
            } else if (field == 1) {
                term = r.readVarint();
            } else if (field == 2) {
                index = r.readVarint();
            } else {
                type = (int) r.readVarint();
            }
            last = field;
        }
        if (!r.ok || r.position() != end || type != (byte) type) {
            return null;
        }
        return new LogEntry(term, index, EntryType.fromCode((byte) type), data);
    }

    private static AppendEntriesResponse appendEntriesResponse(Reader r, Route route) {
        long[] f = new long[8];
        int last = 0;
        while (r.remaining() > 0 && r.ok) {
            int tag = r.readTag();
            int field = tag >>> 3;
            if (field <= last || field > 7 || (tag & 7) != 0) {
                return null;
            }
            f[field] = r.readVarint();
            last = field;
        }
        if (!r.ok) {
            return null;
        }
        return new AppendEntriesResponse(route.from(), route.to(), f[1], f[2] != 0, f[3], f[4], f[5], f[6], f[7]);
    }

    private static InstallSnapshot installSnapshot(Reader r, Route route) {
        long[] f = new long[7];
        Bytes data = Bytes.EMPTY;
        int last = 0;
        while (r.remaining() > 0 && r.ok) {
            int tag = r.readTag();
            int field = tag >>> 3;
            if (field <= last || field > 6) {
                return null;
            }
            if (field == 5) {
                if (tag != CHUNK_DATA) {
                    return null;
                }
                int n = r.readLength();
                if (!r.ok || n > r.remaining()) {
                    return null;
                }
                data = n == 0 ? Bytes.EMPTY : Bytes.wrap(r.readBytes(n));
            } else if ((tag & 7) != 0) {
                return null;
            } else {
                f[field] = r.readVarint();
            }
            last = field;
        }
        if (!r.ok || f[6] >>> 1 != 0) {                      // a bool other than 0 or 1: left to the generated parser
            return null;
        }
        return new InstallSnapshot(route.from(), route.to(), f[1], f[2], f[3], f[4], data, f[6] == 1);
    }

    /**
     * Reads a frame in place through a {@link ByteBuffer} view (so the frame's reader index does not move, and
     * absolute buffer reads are less code to compile than Netty's checked calls); a malformed input clears
     * {@link #ok}. Payloads are copied once, out of the frame.
     */
    private static final class Reader {
        private final ByteBuffer b;
        private final int end;
        private int pos;
        boolean ok = true;

        Reader(ByteBuf frame) {
            this.b = frame.nioBuffer();
            this.end = b.limit();
            this.pos = b.position();
        }

        int remaining() {
            return end - pos;
        }

        int position() {
            return pos;
        }

        int readByte() {
            if (pos >= end) {
                ok = false;
                return -1;
            }
            return b.get(pos++) & 0xFF;
        }

        /**
         * A varint of at most 10 bytes. A 10th byte other than 1 (the canonical last byte of a negative value) is
         * refused: protobuf's decoder gives such non-canonical input a value of its own, so it is left to it.
         */
        long readVarint() {
            long value = 0;
            for (int shift = 0; shift < 63; shift += 7) {
                int b = readByte();
                if (b < 0) {
                    return 0;
                }
                value |= (long) (b & 0x7F) << shift;
                if ((b & 0x80) == 0) {
                    return value;
                }
            }
            if (readByte() != 1) {
                ok = false;
                return 0;
            }
            return value | Long.MIN_VALUE;
        }

        /** A tag: a varint that fits in an int and names a field above 0. */
        int readTag() {
            long t = readVarint();
            if (t < 8 || t > Integer.MAX_VALUE) {
                ok = false;
                return 0;
            }
            return (int) t;
        }

        /** A length: a non-negative varint that fits in an int; -1 (never equal to a remaining count) if not. */
        int readLength() {
            long n = readVarint();
            if (!ok || n < 0 || n > Integer.MAX_VALUE) {
                ok = false;
                return -1;
            }
            return (int) n;
        }

        boolean skipIf(byte[] expected) {
            if (remaining() < expected.length) {
                return false;
            }
            for (int i = 0; i < expected.length; i++) {
                if (b.get(pos + i) != expected[i]) {
                    return false;
                }
            }
            pos += expected.length;
            return true;
        }

        byte[] readBytes(int n) {
            byte[] out = new byte[n];
            b.get(pos, out, 0, n);
            pos += n;
            return out;
        }
    }
}
