package org.raftlib.transport.netty;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.raftlib.Bytes;
import org.raftlib.EntryType;
import org.raftlib.LogEntry;
import org.raftlib.NodeId;
import org.raftlib.message.AppendEntries;
import org.raftlib.message.AppendEntriesResponse;
import org.raftlib.message.InstallSnapshot;
import org.raftlib.message.RaftMessage;
import org.raftlib.message.RequestVote;

/**
 * {@link ReplicationCodec} writes exactly the generated code's bytes, reads them back, and never decodes a frame
 * differently from the generated parser: on 60,000 corrupted frames the fast path and the generated path agree on
 * the message or on the reason for refusing it.
 */
class ReplicationCodecTest {

    private static final UnpooledByteBufAllocator ALLOC = UnpooledByteBufAllocator.DEFAULT;
    private static final NodeId A = NodeId.of("a");
    private static final NodeId B = NodeId.of("b");

    @Test
    void matchesTheGeneratedEncodingByteForByte() {
        SplittableRandom random = new SplittableRandom(20261124);
        for (int round = 0; round < 500; round++) {
            for (RaftMessage m : List.of(randomAppend(random), randomResponse(random), randomChunk(random, 2000))) {
                for (String group : new String[] {"", "g-7", "gr\u00fcppe"}) {
                    ByteBuf fast = ProtoMapper.encode(ALLOC, route("c1", group), m);
                    ByteBuf reference = ProtoMapper.encodeWithGeneratedCode(ALLOC, "c1", group, m);
                    try {
                        assertThat(ByteBufUtil.getBytes(fast)).as("seed 20261124 round %d: %s", round, m)
                                .isEqualTo(ByteBufUtil.getBytes(reference));
                    } finally {
                        fast.release();
                        reference.release();
                    }
                }
            }
        }
    }

    @Test
    void decodesWhatItEncodes() {
        SplittableRandom random = new SplittableRandom(7);
        ReplicationCodec.Route route = route("c1", "g");
        for (int round = 0; round < 300; round++) {
            for (RaftMessage m : List.of(randomAppend(random), randomResponse(random), randomChunk(random, 2000))) {
                ByteBuf frame = ProtoMapper.encode(ALLOC, route, m);
                try {
                    frame.skipBytes(ProtoMapper.LENGTH_PREFIX_BYTES);
                    assertThat(ReplicationCodec.decode(frame, route)).as("seed 7 round %d", round).isEqualTo(m);
                    assertThat(frame.readerIndex()).isEqualTo(ProtoMapper.LENGTH_PREFIX_BYTES);
                } finally {
                    frame.release();
                }
            }
        }
    }

    @Test
    void leavesOtherFramesToTheGeneratedParser() {
        ReplicationCodec.Route route = route("c1", "g");
        RaftMessage vote = new RequestVote(A, B, 3, 10, 2, false, false);
        RaftMessage otherSender = new AppendEntriesResponse(B, A, 3, true, 5, 0, 0, 0, 0);
        RaftMessage otherGroup = new AppendEntriesResponse(A, B, 3, true, 5, 0, 0, 0, 0);
        for (ByteBuf frame : List.of(ProtoMapper.encodeWithGeneratedCode(ALLOC, "c1", "g", vote),
                ProtoMapper.encodeWithGeneratedCode(ALLOC, "c1", "g", otherSender),
                ProtoMapper.encodeWithGeneratedCode(ALLOC, "c1", "h", otherGroup))) {
            frame.skipBytes(ProtoMapper.LENGTH_PREFIX_BYTES);
            assertThat(ReplicationCodec.decode(frame, route)).isNull();
            frame.release();
        }
    }

    @Test
    void neverDisagreesWithTheGeneratedParserOnCorruptedFrames() {
        long seed = Long.getLong("raftlib.codecSeed", 20261124L);
        SplittableRandom random = new SplittableRandom(seed);
        ReplicationCodec.Route route = route("c1", "g");
        ProtoMapper.Hello local = new ProtoMapper.Hello("c1", "g", B, ProtoMapper.PROTOCOL_VERSION, 0);
        int fastHits = 0;
        for (int round = 0; round < 60_000; round++) {
            RaftMessage m = switch (random.nextInt(3)) {
                case 0 -> randomAppend(random, 4);
                case 1 -> randomResponse(random);
                default -> randomChunk(random, 40);
            };
            ByteBuf encoded = ProtoMapper.encode(ALLOC, route, m);
            byte[] bytes = Arrays.copyOfRange(ByteBufUtil.getBytes(encoded), ProtoMapper.LENGTH_PREFIX_BYTES,
                    encoded.readableBytes());
            encoded.release();
            byte[] corrupted = corrupt(bytes, random);
            Object viaFastPath = outcome(() -> ProtoMapper.decodeEnvelope(Unpooled.wrappedBuffer(corrupted), local,
                    route));
            Object viaGenerated = outcome(() -> ProtoMapper.decodeEnvelope(Unpooled.wrappedBuffer(corrupted),
                    local));
            assertThat(viaFastPath).as("seed %d round %d: %s", seed, round, ByteBufUtil.hexDump(corrupted))
                    .isEqualTo(viaGenerated);
            if (ReplicationCodec.decode(Unpooled.wrappedBuffer(corrupted), route) != null) {
                fastHits++;
            }
        }
        assertThat(fastHits).as("corruptions the fast path still decoded (value changes)").isPositive();
    }

    private static Object outcome(java.util.function.Supplier<RaftMessage> decode) {
        try {
            return decode.get();
        } catch (FrameException e) {
            return e.reason();
        }
    }

    /** One to three random byte flips, truncations, insertions, deletions or duplicated slices. */
    private static byte[] corrupt(byte[] bytes, SplittableRandom random) {
        byte[] b = bytes;
        for (int k = 0, n = random.nextInt(1, 4); k < n && b.length > 0; k++) {
            int at = random.nextInt(b.length);
            switch (random.nextInt(5)) {
                case 0 -> b[at] = (byte) random.nextInt(256);
                case 1 -> b = Arrays.copyOf(b, at);
                case 2 -> {
                    byte[] c = new byte[b.length + 1];
                    System.arraycopy(b, 0, c, 0, at);
                    c[at] = (byte) random.nextInt(256);
                    System.arraycopy(b, at, c, at + 1, b.length - at);
                    b = c;
                }
                case 3 -> {
                    byte[] c = new byte[b.length - 1];
                    System.arraycopy(b, 0, c, 0, at);
                    System.arraycopy(b, at + 1, c, at, b.length - at - 1);
                    b = c;
                }
                default -> {
                    int len = Math.min(b.length - at, random.nextInt(1, 12));
                    byte[] c = new byte[b.length + len];
                    System.arraycopy(b, 0, c, 0, at + len);
                    System.arraycopy(b, at, c, at + len, b.length - at);
                    b = c;
                }
            }
        }
        return b;
    }

    private static ReplicationCodec.Route route(String cluster, String group) {
        return ReplicationCodec.Route.of(cluster, group, A, B, ProtoMapper.PROTOCOL_VERSION);
    }

    private static AppendEntriesResponse randomResponse(SplittableRandom random) {
        long term = 1 + random.nextLong(1L << random.nextInt(1, 62));
        long readSeq = random.nextInt(2) == 0 ? 0 : random.nextLong(1L << 30);
        if (random.nextBoolean()) {
            long match = random.nextInt(4) == 0 ? 0 : random.nextLong(1L << random.nextInt(1, 60));
            return new AppendEntriesResponse(A, B, term, true, match, 0, 0, 0, readSeq);
        }
        if (random.nextInt(3) == 0) {
            return new AppendEntriesResponse(A, B, term, false, 0, 0, 0, 0, readSeq);
        }
        long rejected = 1 + random.nextLong(1L << random.nextInt(1, 40));
        long conflictTerm = random.nextBoolean() ? 0 : 1 + random.nextLong(term);
        long conflictIndex = 1 + random.nextLong(rejected);
        return new AppendEntriesResponse(A, B, term, false, 0, rejected, conflictTerm, conflictIndex, readSeq);
    }

    private static InstallSnapshot randomChunk(SplittableRandom random, int maxBytes) {
        long term = 1 + random.nextLong(1L << random.nextInt(1, 62));
        long index = 1 + random.nextLong(1L << random.nextInt(1, 60));
        long offset = random.nextInt(4) == 0 ? 0 : random.nextLong(1L << random.nextInt(1, 40));
        byte[] data = new byte[random.nextInt(5) == 0 ? 0 : random.nextInt(1, maxBytes)];
        random.nextBytes(data);
        return new InstallSnapshot(A, B, term, index, 1 + random.nextLong(term), offset, Bytes.wrap(data),
                random.nextBoolean());
    }

    private static AppendEntries randomAppend(SplittableRandom random) {
        return randomAppend(random, 40);
    }

    private static AppendEntries randomAppend(SplittableRandom random, int maxEntries) {
        long term = 1 + random.nextLong(1L << random.nextInt(1, 62));
        long prev = random.nextInt(4) == 0 ? 0 : random.nextLong(1L << random.nextInt(1, 60));
        long prevTerm = prev == 0 ? 0 : 1 + random.nextLong(term);
        List<LogEntry> entries = new ArrayList<>();
        int n = random.nextInt(4) == 0 ? 0 : random.nextInt(1, maxEntries);
        long entryTerm = Math.max(prevTerm, 1);
        for (int i = 0; i < n; i++) {
            entryTerm = Math.min(term, entryTerm + (random.nextInt(8) == 0 ? 1 : 0));
            EntryType type = random.nextInt(10) == 0 ? EntryType.NO_OP : EntryType.COMMAND;
            byte[] data = new byte[type == EntryType.NO_OP ? 0 : random.nextInt(0, 300)];
            random.nextBytes(data);
            entries.add(new LogEntry(entryTerm, prev + 1 + i, type, Bytes.wrap(data)));
        }
        long commit = random.nextInt(3) == 0 ? 0 : random.nextLong(1L << 40);
        long readSeq = random.nextInt(2) == 0 ? 0 : random.nextLong(1L << 30);
        return new AppendEntries(A, B, term, prev, prevTerm, entries, commit, readSeq);
    }
}
