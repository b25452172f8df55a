package org.raftlib.examples.kv;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonTest {

    @Test
    void escapesAndRoundTripsAwkwardStrings() {
        Map<String, Object> in = new LinkedHashMap<>();
        in.put("quote\"back\\slash", "line\nfeed\ttab\rcr\b\f \u0001 \u2028 é ✓ 😀 /");
        in.put("", "");
        String json = Json.encode(in);
        assertThat(json).doesNotContain("\n").contains("\\\"").contains("\\u0001").contains("\\u2028");
        assertThat(Json.decode(json)).isEqualTo(in);
    }

    @Test
    void encodesNumbersBooleansAndNull() {
        Map<String, Object> in = new LinkedHashMap<>();
        in.put("n", 42L);
        in.put("b", true);
        in.put("z", null);
        assertThat(Json.encode(in)).isEqualTo("{\"n\":42,\"b\":true,\"z\":null}");
        assertThat(Json.decode(Json.encode(in))).containsExactly(Map.entry("n", "42"), Map.entry("b", "true"));
    }

    @Test
    void decodesWhitespaceEscapesAndUnicode() {
        assertThat(Json.decode(" { \"a\" : \"x\\u00e9\\/\" , \"b\":-1.5e3 ,\"c\":false}\n"))
                .containsExactly(Map.entry("a", "xé/"), Map.entry("b", "-1.5e3"), Map.entry("c", "false"));
        assertThat(Json.decode("{}")).isEmpty();
    }

    @Test
    void rejectsMalformedInput() {
        List<String> bad = List.of("", "[]", "{", "{\"a\"}", "{\"a\":}", "{\"a\":\"x\"", "{\"a\":\"x\",}",
                "{\"a\":\"x\"} extra", "{\"a\":{}}", "{\"a\":[1]}", "{\"a\":\"\\x\"}", "{\"a\":\"\\u12\"}",
                "{\"a\":\"raw\ncontrol\"}", "{\"a\":01}", "{\"a\":tru}", "{a:\"x\"}", "{\"a\":\"1\",\"a\":\"2\"}",
                "{\"a\":\"x\" \"b\":\"y\"}");
        for (String text : bad) {
            assertThatThrownBy(() -> Json.decode(text)).as("%s", text)
                    .isInstanceOf(Json.MalformedJsonException.class).hasMessageStartingWith("invalid JSON at offset");
        }
    }

    @Test
    void refusesUnsupportedValueTypes() {
        assertThatThrownBy(() -> Json.encode(Map.of("a", List.of()))).isInstanceOf(IllegalArgumentException.class);
    }
}
