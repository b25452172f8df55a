package org.raftlib.internal.session;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.raftlib.Bytes;
import org.raftlib.RaftOptions;

/** The session entry codec: round trips, stamping, and every kind of malformed input refused with one exception. */
class SessionEntriesTest {

    @Test
    void encodesAndDecodesEachKind() {
        SessionEntries.Entry r = SessionEntries.decode(SessionEntries.register(60_000));
        assertThat(r).isEqualTo(new SessionEntries.Entry(SessionEntries.Kind.REGISTER, 0, 0, 0, 0, 60_000,
                Bytes.EMPTY));
        SessionEntries.Entry c = SessionEntries.decode(SessionEntries.command(7, 5, 3, new byte[] {1, 2}));
        assertThat(c).isEqualTo(new SessionEntries.Entry(SessionEntries.Kind.COMMAND, 0, 7, 5, 3, 0,
                Bytes.wrap(new byte[] {1, 2})));
        SessionEntries.Entry x = SessionEntries.decode(SessionEntries.close(7));
        assertThat(x).isEqualTo(new SessionEntries.Entry(SessionEntries.Kind.CLOSE, 0, 7, 0, 0, 0, Bytes.EMPTY));
        assertThat(SessionEntries.decode(SessionEntries.command(7, 1, 1, new byte[0])).command())
                .isEqualTo(Bytes.EMPTY);
    }

    @Test
    void stampWritesTheLeaderTimeIntoACopy() {
        Bytes data = SessionEntries.command(7, 5, 3, new byte[] {9});
        Bytes stamped = SessionEntries.stamp(data, 1_700_000_000_123L);

        assertThat(SessionEntries.decode(stamped).stamp()).isEqualTo(1_700_000_000_123L);
        assertThat(SessionEntries.decode(stamped).command()).isEqualTo(Bytes.wrap(new byte[] {9}));
        assertThat(SessionEntries.decode(data).stamp()).as("the original is untouched").isZero();
        assertThat(SessionEntries.decode(SessionEntries.stamp(stamped, 5)).stamp()).as("a re-stamp replaces")
                .isEqualTo(5);
        assertThatThrownBy(() -> SessionEntries.stamp(data, -1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> SessionEntries.stamp(Bytes.wrap(new byte[] {1, 2, 3}), 5))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void encodersRefuseBadNumbers() {
        assertThatThrownBy(() -> SessionEntries.register(0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> SessionEntries.register(SessionEntries.MAX_TIMEOUT_MILLIS + 1))
                .isInstanceOf(IllegalArgumentException.class);
        long max = SessionEntries.MAX_TIMEOUT_MILLIS;                     // the options' maximum, no more, no less
        RaftOptions.defaults().withSessionTimeout(Duration.ofMillis(max));
        assertThatThrownBy(() -> RaftOptions.defaults().withSessionTimeout(Duration.ofMillis(max + 1)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> SessionEntries.command(0, 1, 1, new byte[0]))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> SessionEntries.command(1, 0, 0, new byte[0]))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> SessionEntries.command(1, 2, 3, new byte[0])).as("acknowledges itself")
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> SessionEntries.close(-1)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void malformedEntriesAreRefused() {
        byte[] good = SessionEntries.command(7, 5, 3, new byte[] {1}).toByteArray();
        assertMalformed(new byte[0]);
        assertMalformed(java.util.Arrays.copyOf(good, SessionEntries.HEADER_BYTES - 1));
        assertMalformed(with(good, 0, (byte) 2));                        // version
        assertMalformed(with(good, 1, (byte) 0));                        // kind
        assertMalformed(with(good, 1, (byte) 4));
        assertMalformed(withLong(good, 2, -1));                          // stamp
        assertMalformed(withLong(good, 10, 0));                          // session
        assertMalformed(withLong(good, 18, 0));                          // sequence
        assertMalformed(withLong(good, 26, 0));                          // acknowledged below
        assertMalformed(withLong(good, 26, 6));                          // above the sequence
        byte[] register = SessionEntries.register(1000).toByteArray();
        assertMalformed(withLong(register, 10, 3));                      // a session id in a REGISTER
        assertMalformed(withLong(register, SessionEntries.HEADER_BYTES, 0));   // no timeout
        // A timeout past the options' maximum (a forwarded REGISTER of Long.MAX_VALUE made a session that never
        // expired on every node: outside probe); the leader's stamp refuses it as the applying nodes do.
        byte[] forever = withLong(register, SessionEntries.HEADER_BYTES, SessionEntries.MAX_TIMEOUT_MILLIS + 1);
        assertMalformed(forever);
        assertThatThrownBy(() -> SessionEntries.stamp(Bytes.wrap(forever), 1)).isInstanceOf(
                IllegalArgumentException.class);
        SessionEntries.decode(Bytes.wrap(withLong(register, SessionEntries.HEADER_BYTES,
                SessionEntries.MAX_TIMEOUT_MILLIS)));
        assertMalformed(java.util.Arrays.copyOf(register, register.length + 1));
        assertMalformed(java.util.Arrays.copyOf(register, register.length - 1));
        byte[] close = SessionEntries.close(7).toByteArray();
        assertMalformed(java.util.Arrays.copyOf(close, close.length + 1));
        assertMalformed(withLong(close, 18, 1));
    }

    @Test
    void randomBytesNeverEscapeAsAnythingButIllegalArgument() {
        SplittableRandom random = new SplittableRandom(42);
        byte[] base = SessionEntries.command(7, 5, 3, new byte[] {1, 2, 3}).toByteArray();
        for (int i = 0; i < 20_000; i++) {
            byte[] data = i % 2 == 0 ? new byte[random.nextInt(1, 60)] : base.clone();
            if (i % 2 == 0) {
                random.nextBytes(data);
                data[0] = random.nextInt(4) == 0 ? SessionEntries.VERSION : data[0];
            } else {
                data[random.nextInt(data.length)] = (byte) random.nextInt(256);
            }
            try {
                SessionEntries.decode(Bytes.wrap(data));
            } catch (IllegalArgumentException expected) {
                assertThat(expected).hasMessageStartingWith("malformed session entry");
            }
        }
    }

    private static void assertMalformed(byte[] data) {
        assertThatThrownBy(() -> SessionEntries.decode(Bytes.wrap(data))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("malformed session entry");
    }

    private static byte[] with(byte[] data, int offset, byte value) {
        byte[] copy = data.clone();
        copy[offset] = value;
        return copy;
    }

    private static byte[] withLong(byte[] data, int offset, long value) {
        byte[] copy = data.clone();
        ByteBuffer.wrap(copy).putLong(offset, value);
        return copy;
    }
}
