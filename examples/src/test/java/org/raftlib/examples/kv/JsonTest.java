package org.raftlib.examples.kv;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class JsonTest {

    @Test
    void escapesAndRoundTripsAwkwardStrings() {
        Map<String, Object> in = new LinkedHashMap<>();
        in.put("quote\"back\\slash", "line\nfeed\ttab\rcr\b\f \u0001 \u2028 é ✓ 😀 /");
        in.put("", "");
        String json = Json.encode(in);
        assertThat(json).doesNotContain("\n").contains("\\\"").contains("\\u0001");
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
                .containsExactly(Map.entry("a", "xé/"), Map.entry("b", "-1.5E+3"), Map.entry("c", "false"));
        assertThat(Json.decode("{\"pair\":\"\\ud83d\\ude00\"}")).containsEntry("pair", "😀");
        assertThat(Json.decode("{}")).isEmpty();
    }

    @Test
    void rejectsMalformedInput() {
        List<String> bad = List.of("", " ", "[]", "\"x\"", "{", "{\"a\"}", "{\"a\":}", "{\"a\":\"x\"", "{\"a\":\"x\",}",
                "{\"a\":\"x\"} extra", "{\"a\":{}}", "{\"a\":[1]}", "{\"a\":\"\\x\"}", "{\"a\":\"\\u12\"}",
                "{\"a\":\"raw\ncontrol\"}", "{\"a\":01}", "{\"a\":tru}", "{a:\"x\"}", "{\"a\":\"1\",\"a\":\"2\"}",
                "{\"a\":\"x\" \"b\":\"y\"}", "{\"a\":NaN}");
        for (String text : bad) {
            assertThatThrownBy(() -> Json.decode(text)).as("%s", text)
                    .isInstanceOf(Json.MalformedJsonException.class).hasMessageNotContaining("REDACTED");
        }
        assertThatThrownBy(() -> Json.decode("{\"a\":\"1\",\"a\":\"2\"}")).hasMessageContaining("Duplicate field 'a'");
        assertThatThrownBy(() -> Json.decode("{\"a\":[1]}")).hasMessageContaining("field \"a\": nested");
    }

    @Test
    void refusesUnpairedSurrogatesInValuesAndNames() {
        List<String> lone = List.of("{\"v\":\"\\ud800\"}", "{\"v\":\"\\udc00\"}", "{\"v\":\"a\\ud800b\"}",
                "{\"v\":\"\\udc00\\ud800\"}", "{\"v\":\"\\ud800\\ud800\"}", "{\"\\ud800\":\"x\"}",
                "{\"v\":\"\uD800\"}");
        for (String text : lone) {
            assertThatThrownBy(() -> Json.decode(text)).as("%s", text)
                    .isInstanceOf(Json.MalformedJsonException.class).hasMessageContaining("unpaired UTF-16 surrogate");
        }
    }

    @Test
    void requestBodiesMustBeUtf8AndHoldOnlyStrings() {
        assertThat(strings("{\"new\":\"ü\",\"expected\":null}".getBytes(StandardCharsets.UTF_8)))
                .containsExactly(Map.entry("new", "ü"));
        assertThatThrownBy(() -> strings("{\"old\":\"x\"}".getBytes(StandardCharsets.UTF_8)))
                .hasMessage("unknown field \"old\"; use expected and new");
        byte[][] notUtf8 = {
            {'{', '"', 'v', '"', ':', '"', (byte) 0xff, '"', '}'},
            {'{', '"', 'v', '"', ':', '"', (byte) 0xc3, '"', '}'},
            {'{', '"', 'v', '"', ':', '"', (byte) 0xed, (byte) 0xa0, (byte) 0x80, '"', '}'},
        };
        for (byte[] body : notUtf8) {
            assertThatThrownBy(() -> strings(body)).isInstanceOf(Json.MalformedJsonException.class)
                    .hasMessageContaining("not valid UTF-8");
        }
        for (String typed : List.of("{\"new\":1}", "{\"new\":true}", "{\"new\":1.5}")) {
            assertThatThrownBy(() -> strings(typed.getBytes(StandardCharsets.UTF_8))).as(typed)
                    .isInstanceOf(Json.MalformedJsonException.class).hasMessageContaining("\"new\" must be a string");
        }
    }

    private static Map<String, String> strings(byte[] body) {
        return Json.decodeStrings(body, Set.of("new", "expected"), "use expected and new");
    }

    @Test
    void refusesUnsupportedValueTypes() {
        assertThatThrownBy(() -> Json.encode(Map.of("a", List.of()))).isInstanceOf(IllegalArgumentException.class);
    }
}
