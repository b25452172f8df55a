package org.raftlib.transport.netty;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.AbstractByteBufAllocator;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.TooLongFrameException;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The frame decoder on byte streams cut at every kind of boundary, including frames much larger than a read. */
class FrameDecoderTest {

    private static final long SEED = 0x5EEDL;
    private static final int MAX = 4 << 20;
    private static final int HANDSHAKE_CAP = 64 << 10;

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

    /** A TLS ClientHello reaching a node without TLS is named as such (it read only as an oversized frame). */
    @Test
    void aTlsHelloOnAPlainConnectionSaysThePeerSpeaksTls() {
        EmbeddedChannel channel = inbound(new RecordingAllocator());
        ByteBuf clientHello = Unpooled.buffer().writeBytes(new byte[] {0x16, 0x03, 0x01, 0x02, 0x00, 0x01});

        assertThatThrownBy(() -> channel.writeInbound(clientHello)).isInstanceOf(DecoderException.class)
                .rootCause().isInstanceOf(FrameException.class)
                .hasMessageContaining("OVERSIZED_FRAME").hasMessageContaining("the peer speaks TLS");
        assertThatThrownBy(() -> inbound(new RecordingAllocator()).writeInbound(Unpooled.buffer().writeInt(16 << 20)
                .writeByte(0))).rootCause().message().doesNotContain("TLS");
    }

    @Test
    void firstFrameLongerThanAHandshakeIsRefusedBeforeAnyBufferIsSizedForIt() {
        RecordingAllocator alloc = new RecordingAllocator();
        EmbeddedChannel channel = inbound(alloc);
        ByteBuf prefixAndAByte = Unpooled.buffer().writeInt(16 << 20).writeByte(0x0a);

        assertThatThrownBy(() -> channel.writeInbound(prefixAndAByte)).isInstanceOf(DecoderException.class)
                .rootCause().isInstanceOf(FrameException.class)
                .hasMessageContaining("OVERSIZED_FRAME").hasMessageContaining("at most " + HANDSHAKE_CAP);
        for (int i = 0; i < 100; i++) {                       // what the peer sends next is dropped, not buffered
            channel.writeInbound(Unpooled.buffer().writeByte(1));
        }

        assertThat(alloc.largest).as("largest buffer allocated").isLessThan(1024);
        assertThat((Object) channel.readInbound()).isNull();
        assertThat(channel.finish()).isFalse();
    }

    @Test
    void firstFrameGrowsOnlyWithItsBytesAndLaterFramesAreSizedAhead() {
        RecordingAllocator alloc = new RecordingAllocator();
        EmbeddedChannel channel = inbound(alloc);
        byte[] first = stream(random(HANDSHAKE_CAP, SEED));     // the longest first frame accepted
        byte[] second = stream(random(1 << 20, SEED + 1));

        channel.writeInbound(Unpooled.wrappedBuffer(first, 0, 5));
        for (int at = 5; at < 500; at++) {
            channel.writeInbound(Unpooled.wrappedBuffer(first, at, 1));
        }
        assertThat(alloc.largest).as("largest buffer after 500 bytes of the first frame").isLessThanOrEqualTo(1024);
        List<byte[]> received = new ArrayList<>();
        for (int at = 500; at < first.length; at += 1000) {
            channel.writeInbound(Unpooled.wrappedBuffer(first, at, Math.min(1000, first.length - at)));
            assertThat(alloc.largest).as("largest buffer at byte %d of the first frame", at)
                    .isLessThan(2 * (at + 1000));
        }
        drain(channel, received);
        channel.writeInbound(Unpooled.wrappedBuffer(second, 0, 5));
        channel.writeInbound(Unpooled.wrappedBuffer(second, 5, 1));

        assertThat(alloc.largest).as("the second frame's buffer, sized ahead").isEqualTo(second.length);
        for (int at = 6; at < second.length; at += 64 << 10) {
            channel.writeInbound(Unpooled.wrappedBuffer(second, at, Math.min(64 << 10, second.length - at)));
        }
        drain(channel, received);
        assertThat(received).hasSize(2);
        assertThat(received.get(0)).isEqualTo(Arrays.copyOfRange(first, 4, first.length));
        assertThat(received.get(1)).isEqualTo(Arrays.copyOfRange(second, 4, second.length));
        assertThat(channel.finish()).isFalse();
    }

    /** The decoder of an inbound peer connection: 16 MiB frames, but a first frame of at most 64 KiB. */
    private static EmbeddedChannel inbound(ByteBufAllocator alloc) {
        EmbeddedChannel channel = new EmbeddedChannel();
        channel.config().setAllocator(alloc);
        channel.pipeline().addLast(new FrameDecoder(16 << 20, HANDSHAKE_CAP));
        return channel;
    }

    /** Hands out unpooled heap buffers and remembers the largest asked for. */
    private static final class RecordingAllocator extends AbstractByteBufAllocator {

        int largest;

        @Override
        protected ByteBuf newHeapBuffer(int initialCapacity, int maxCapacity) {
            largest = Math.max(largest, initialCapacity);
            return Unpooled.buffer(initialCapacity, maxCapacity);
        }

        @Override
        protected ByteBuf newDirectBuffer(int initialCapacity, int maxCapacity) {
            largest = Math.max(largest, initialCapacity);
            return Unpooled.directBuffer(initialCapacity, maxCapacity);
        }

        @Override
        public boolean isDirectBufferPooled() {
            return false;
        }
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
