package org.raftlib.examples.kv;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class KvCommandTest {

    @Test
    void everyOperationRoundTrips() {
        List<KvCommand> commands = List.of(
                KvCommand.get("k"),
                KvCommand.put("key with spaces/and slash", "välue ✓ \u0000 nul"),
                KvCommand.put("k", ""),
                KvCommand.delete("k"),
                KvCommand.cas("k", Optional.of("old"), "new"),
                KvCommand.cas("k", Optional.empty(), "new"),
                KvCommand.cas("k", Optional.of(""), ""),
                KvCommand.memberHttp("n4", "http://127.0.0.1:8004"),
                KvCommand.append("k", "x"),
                KvCommand.append("k", ""));
        for (KvCommand c : commands) {
            assertThat(KvCommand.decode(c.encode())).as("%s", c).isEqualTo(c);
        }
    }

    @Test
    void resultsRoundTrip() {
        for (KvResult r : List.of(new KvResult(KvResult.Status.OK, Optional.of("v")),
                new KvResult(KvResult.Status.NOT_FOUND, Optional.empty()),
                new KvResult(KvResult.Status.CAS_FAILED, Optional.of("")), KvResult.error("bad"))) {
            assertThat(KvResult.decode(r.encode())).isEqualTo(r);
        }
    }

    @Test
    void operationCodesAreStable() {
        assertThat(KvCommand.put("k", "v").encode()[1]).isEqualTo((byte) 2);
        assertThat(KvCommand.memberHttp("n4", "h").encode()[1]).isEqualTo((byte) 5);
        byte[] append = KvCommand.append("k", "xy").encode();
        assertThat(append).containsExactly(1, 6, 0, 0, 0, 1, 'k', 0, 0, 0, 2, 'x', 'y');
        assertThat(KvCommand.decode(append)).isEqualTo(KvCommand.append("k", "xy"));
    }

    @Test
    void appendNeedsAValueAndNoExpectedOne() {
        assertThatThrownBy(() -> new KvCommand(KvCommand.Op.APPEND, "k", Optional.empty(), Optional.empty()))
                .hasMessageContaining("APPEND needs a value");
        assertThatThrownBy(() -> new KvCommand(KvCommand.Op.APPEND, "k", Optional.of("x"), Optional.of("y")))
                .hasMessageContaining("APPEND takes no expected value");
        byte[] truncated = Arrays.copyOf(KvCommand.append("k", "x").encode(), 7);
        assertThatThrownBy(() -> KvCommand.decode(truncated)).isInstanceOf(KvCommand.MalformedCommandException.class);
    }

    @Test
    void rejectsEmptyInput() {
        assertThatThrownBy(() -> KvCommand.decode(new byte[0]))
                .isInstanceOf(KvCommand.MalformedCommandException.class).hasMessageContaining("truncated");
    }

    @Test
    void rejectsUnknownVersionAndOperation() {
        assertThatThrownBy(() -> KvCommand.decode(new byte[] {9, 1, 0, 0, 0, 1, 'k'}))
                .hasMessageContaining("unsupported command version 9");
        assertThatThrownBy(() -> KvCommand.decode(new byte[] {1, 77, 0, 0, 0, 1, 'k'}))
                .hasMessageContaining("unknown operation code 77");
    }

    @Test
    void rejectsEveryTruncation() {
        byte[] full = KvCommand.cas("key", Optional.of("expected"), "new").encode();
        for (int n = 0; n < full.length; n++) {
            byte[] cut = Arrays.copyOf(full, n);
            assertThatThrownBy(() -> KvCommand.decode(cut)).as("first %d bytes", n)
                    .isInstanceOf(KvCommand.MalformedCommandException.class);
        }
    }

    @Test
    void rejectsTrailingBytes() {
        byte[] full = KvCommand.delete("k").encode();
        byte[] longer = Arrays.copyOf(full, full.length + 2);
        assertThatThrownBy(() -> KvCommand.decode(longer)).hasMessageContaining("2 trailing bytes");
    }

    @Test
    void rejectsNegativeAndHugeLengths() {
        byte[] negative = ByteBuffer.allocate(6).put((byte) 1).put((byte) 1).putInt(-5).array();
        assertThatThrownBy(() -> KvCommand.decode(negative)).hasMessageContaining("key length -5");
        byte[] huge = ByteBuffer.allocate(6).put((byte) 1).put((byte) 1).putInt(1000).array();
        assertThatThrownBy(() -> KvCommand.decode(huge)).hasMessageContaining("exceeds the 0 bytes left");
    }

    @Test
    void rejectsInvalidUtf8AndEmptyKey() {
        byte[] badUtf8 = ByteBuffer.allocate(7).put((byte) 1).put((byte) 1).putInt(1).put((byte) 0xff).array();
        assertThatThrownBy(() -> KvCommand.decode(badUtf8)).hasMessageContaining("key is not valid UTF-8");
        byte[] emptyKey = ByteBuffer.allocate(6).put((byte) 1).put((byte) 1).putInt(0).array();
        assertThatThrownBy(() -> KvCommand.decode(emptyKey))
                .isInstanceOf(KvCommand.MalformedCommandException.class).hasMessageContaining("key must not be empty");
    }

    @Test
    void rejectsBadCasFlag() {
        byte[] full = KvCommand.cas("k", Optional.empty(), "v").encode();
        full[full.length - 1] = 7;
        assertThatThrownBy(() -> KvCommand.decode(full)).hasMessageContaining("flag must be 0 or 1, not 7");
    }

    @Test
    void constructorChecksKeys() {
        assertThatThrownBy(() -> KvCommand.put("", "v")).hasMessageContaining("empty");
        assertThatThrownBy(() -> KvCommand.put("k".repeat(KvCommand.MAX_KEY_BYTES + 1), "v"))
                .hasMessageContaining("longer than");
        assertThatThrownBy(() -> KvCommand.get("a\nb")).hasMessageContaining("control characters");
    }

    @Test
    void unpairedSurrogatesAreRefusedRatherThanEncodedAsQuestionMarks() {
        assertThatThrownBy(() -> KvCommand.put("k\ud800", "v")).hasMessageContaining("key holds an unpaired");
        assertThatThrownBy(() -> KvCommand.put("k", "\udc00")).hasMessageContaining("value holds an unpaired");
        assertThatThrownBy(() -> KvCommand.cas("k", Optional.of("x\ud800"), "v"))
                .hasMessageContaining("expected holds an unpaired");
        assertThat(KvCommand.decode(KvCommand.put("k", "\ud83d\ude00").encode()).value()).contains("😀");
    }
}
