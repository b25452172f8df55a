package org.raftlib.transport.netty;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.TooLongFrameException;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The frame decoder on byte streams cut at every kind of boundary, including frames much larger than a read. */
class FrameDecoderTest {

    private static final long SEED = 0x5EEDL;
    private static final int MAX = 4 << 20;

    @Test
    void largeFrameArrivingInSmallReadsDecodesByteForByte() {
        byte[] payload = random(3 << 20, SEED);
        List<byte[]> frames = feed(stream(payload), 64 << 10);
        assertThat(frames).hasSize(1);
        assertThat(frames.get(0)).isEqualTo(payload);
    }

    @Test
    void framesOfMixedSizesCutAtRandomPointsDecodeInOrder() {
        SplittableRandom random = new SplittableRandom(SEED);
        List<byte[]> sent = new ArrayList<>();
        ByteArrayOutputStream wire = new ByteArrayOutputStream();
        for (int i = 0; i < 60; i++) {
            int size = i % 7 == 0 ? random.nextInt(1 << 20, 2 << 20) : random.nextInt(0, 300);
            byte[] payload = random(size, random.nextLong());
            sent.add(payload);
            wire.writeBytes(stream(payload));
        }
        byte[] bytes = wire.toByteArray();
        EmbeddedChannel channel = new EmbeddedChannel(new FrameDecoder(MAX));
        List<byte[]> received = new ArrayList<>();
        int at = 0;
        while (at < bytes.length) {
            int piece = Math.min(bytes.length - at, 1 + random.nextInt(random.nextBoolean() ? 7 : 200_000));
            channel.writeInbound(Unpooled.wrappedBuffer(bytes, at, piece));
            at += piece;
            drain(channel, received);
        }
        assertThat(channel.finish()).isFalse();
        assertThat(received).hasSameSizeAs(sent);
        for (int i = 0; i < sent.size(); i++) {
            assertThat(received.get(i)).as("frame %d (seed %d)", i, SEED).isEqualTo(sent.get(i));
        }
    }

    @Test
    void frameHeldByTheNextHandlerIsNotOverwrittenByLaterReads() {
        byte[] first = random(100, SEED);
        byte[] second = random(5000, SEED + 1);
        byte[] wire = concat(stream(first), stream(second));
        EmbeddedChannel channel = new EmbeddedChannel(new FrameDecoder(MAX));
        channel.writeInbound(Unpooled.wrappedBuffer(wire, 0, 4 + 100 + 10));   // first frame and a bit of the next
        ByteBuf held = channel.readInbound();
        for (int at = 114; at < wire.length; at += 333) {
            channel.writeInbound(Unpooled.wrappedBuffer(wire, at, Math.min(333, wire.length - at)));
        }
        assertThat(bytes(held)).isEqualTo(first);
        held.release();
        ByteBuf next = channel.readInbound();
        assertThat(bytes(next)).isEqualTo(second);
        next.release();
        assertThat(channel.finish()).isFalse();
    }

    @Test
    void lengthAboveTheMaximumIsRefusedAsSoonAsThePrefixArrives() {
        EmbeddedChannel channel = new EmbeddedChannel(new FrameDecoder(1024));
        ByteBuf prefix = Unpooled.buffer().writeInt(1025);
        assertThatThrownBy(() -> channel.writeInbound(prefix)).isInstanceOf(TooLongFrameException.class);
        channel.finishAndReleaseAll();
    }

    @Test
    void connectionEndingInsideAFrameIsReportedAsTruncated() {
        byte[] wire = stream(random(2 << 20, SEED));
        EmbeddedChannel channel = new EmbeddedChannel(new FrameDecoder(MAX));
        channel.writeInbound(Unpooled.wrappedBuffer(wire, 0, 1 << 20));
        assertThat((Object) channel.readInbound()).isNull();
        assertThatThrownBy(channel::finish).isInstanceOf(DecoderException.class)
                .rootCause().isInstanceOf(FrameException.class).hasMessageContaining("bytes into a frame");
    }

    private static List<byte[]> feed(byte[] wire, int pieceBytes) {
        EmbeddedChannel channel = new EmbeddedChannel(new FrameDecoder(MAX));
        List<byte[]> received = new ArrayList<>();
        for (int at = 0; at < wire.length; at += pieceBytes) {
            channel.writeInbound(Unpooled.wrappedBuffer(wire, at, Math.min(pieceBytes, wire.length - at)));
            drain(channel, received);
        }
        assertThat(channel.finish()).isFalse();
        return received;
    }

    private static void drain(EmbeddedChannel channel, List<byte[]> into) {
        for (ByteBuf frame = channel.readInbound(); frame != null; frame = channel.readInbound()) {
            into.add(bytes(frame));
            frame.release();
        }
    }

    private static byte[] bytes(ByteBuf buf) {
        byte[] out = new byte[buf.readableBytes()];
        buf.getBytes(buf.readerIndex(), out);
        return out;
    }

    private static byte[] stream(byte[] payload) {
        return concat(new byte[] {(byte) (payload.length >>> 24), (byte) (payload.length >>> 16),
            (byte) (payload.length >>> 8), (byte) payload.length}, payload);
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = new byte[a.length + b.length];
        System.arraycopy(a, 0, out, 0, a.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    private static byte[] random(int size, long seed) {
        byte[] out = new byte[size];
        new SplittableRandom(seed).nextBytes(out);
        return out;
    }
}
