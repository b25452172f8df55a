package org.raftlib.transport.netty;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.UnpooledByteBufAllocator;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.raftlib.Bytes;
import org.raftlib.EntryType;
import org.raftlib.LogEntry;
import org.raftlib.NodeId;
import org.raftlib.message.AppendEntries;
import org.raftlib.message.RaftMessage;

/** The hand-written AppendEntries encoder writes exactly the generated code's bytes, and they decode back. */
class AppendEntriesEncoderTest {

    private static final UnpooledByteBufAllocator ALLOC = UnpooledByteBufAllocator.DEFAULT;
    private static final ProtoMapper.Hello HELLO = new ProtoMapper.Hello("c1", "", NodeId.of("a"),
            ProtoMapper.PROTOCOL_VERSION);

    @Test
    void matchesTheGeneratedEncodingByteForByte() {
        SplittableRandom random = new SplittableRandom(20261124);
        for (int round = 0; round < 500; round++) {
            AppendEntries m = randomAppend(random);
            for (String group : new String[] {"", "g-7"}) {
                ByteBuf fast = ProtoMapper.encode(ALLOC, "c1", group, m);
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

    @Test
    void roundTripsThroughTheDecoder() {
        SplittableRandom random = new SplittableRandom(7);
        for (int round = 0; round < 200; round++) {
            AppendEntries m = randomAppend(random);
            ByteBuf frame = ProtoMapper.encode(ALLOC, "c1", "", m);
            try {
                frame.skipBytes(ProtoMapper.LENGTH_PREFIX_BYTES);
                RaftMessage decoded = ProtoMapper.decodeEnvelope(frame, HELLO);
                assertThat(decoded).isEqualTo(m);
            } finally {
                frame.release();
            }
        }
    }

    private static AppendEntries randomAppend(SplittableRandom random) {
        long term = 1 + random.nextLong(1L << random.nextInt(1, 62));
        long prev = random.nextInt(4) == 0 ? 0 : random.nextLong(1L << random.nextInt(1, 60));
        long prevTerm = prev == 0 ? 0 : 1 + random.nextLong(term);
        List<LogEntry> entries = new ArrayList<>();
        int n = random.nextInt(4) == 0 ? 0 : random.nextInt(1, 40);
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
        return new AppendEntries(NodeId.of("a"), NodeId.of("b"), term, prev, prevTerm, entries, commit, readSeq);
    }
}
