package org.raftlib.message;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.raftlib.NodeId;

/** Strings from peers in log lines and exception messages: quoted, escaped and cut short. */
class LogTextTest {

    private static final String FORGED = "probe\n11:11:11.111 [main] ERROR org.raftlib.RaftNode - FAKE";

    @Test
    void quotesAndLeavesAnOrdinaryIdAsItIs() {
        assertThat(LogText.quote("n1")).isEqualTo("'n1'");
        assertThat(LogText.quote("grüße-東京")).isEqualTo("'grüße-東京'");
        assertThat(LogText.quote("")).isEqualTo("''");
        assertThat(LogText.quote(null)).isEqualTo("null");
    }

    @Test
    void escapesLineBreaksAndControlCharactersSoNoLineCanBeForged() {
        assertThat(LogText.quote(FORGED)).doesNotContain("\n")
                .startsWith("'probe\\n11:11:11.111 [main] ERROR org.raftlib.RaftNode - FAKE'");
        String quoted = LogText.quote("a\r\t\u0000\u001b[31m\u0085\u2028\u202eb");

        assertThat(quoted).doesNotContain("\r", "\t", "\u0000", "\u001b", "\u0085", "\u2028", "\u202e")
                .isEqualTo("'a\\r\\t\\u0000\\u001b[31m\\u0085\\u2028\\u202eb'");
    }

    @Test
    void escapesQuotesAndBackslashesSoTheQuotedFormIsUnambiguous() {
        assertThat(LogText.quote("a'b\\c")).isEqualTo("'a\\'b\\\\c'");
    }

    @Test
    void cutsALongStringAndSaysHowLongItWas() {
        String quoted = LogText.quote("x".repeat(60_000));

        assertThat(quoted).isEqualTo("'" + "x".repeat(LogText.MAX_SHOWN) + "'... (60000 characters)");
        assertThat(LogText.quote("y".repeat(LogText.MAX_SHOWN))).isEqualTo("'" + "y".repeat(64) + "'");
    }

    @Test
    void neverCutsASurrogatePairInTwoAndEscapesALoneSurrogate() {
        String emoji = "\ud83d\ude00";
        String quoted = LogText.quote("a".repeat(LogText.MAX_SHOWN - 1) + emoji + "tail");

        assertThat(quoted).isEqualTo("'" + "a".repeat(63) + "'... (69 characters)");
        assertThat(LogText.quote("a" + emoji + "\ud800b")).isEqualTo("'a" + emoji + "\\ud800b'");
    }

    @Test
    void nodeIdRefusalNeitherEchoesAHugeIdNorItsLineBreaks() {
        assertThatThrownBy(() -> NodeId.of("n".repeat(60_000))).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("node id must have 1 to 64 characters: '" + "n".repeat(64) + "'... (60000 characters)");
        assertThatThrownBy(() -> NodeId.of(FORGED)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("node id must not contain whitespace or control characters: 'probe\\n11:11")
                .hasMessageNotContaining("\n");
    }
}
