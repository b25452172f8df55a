package org.raftlib.examples.kv;

import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * The tiny JSON the key-value API needs: one flat object whose values are strings, numbers, booleans or null.
 *
 * <p>{@link #encode} writes such an object with every string escaped; {@link #decode} reads one strictly (no nested
 * objects or arrays, no duplicate keys, nothing after the closing brace) and reports the first problem with its
 * character offset.
 */
public final class Json {

    private final String text;
    private int pos;

    private Json(String text) {
        this.text = text;
    }

    /**
     * Encodes a flat object; the map's iteration order is kept.
     *
     * @param fields values must be {@link String}, {@link Number}, {@link Boolean} or null
     * @return the JSON text
     * @throws IllegalArgumentException if a value has another type
     */
    public static String encode(Map<String, ?> fields) {
        StringBuilder out = new StringBuilder("{");
        for (Map.Entry<String, ?> e : fields.entrySet()) {
            if (out.length() > 1) {
                out.append(',');
            }
            quote(e.getKey(), out);
            out.append(':');
            Object v = e.getValue();
            if (v == null || v instanceof Boolean || v instanceof Number) {
                out.append(v);
            } else if (v instanceof String s) {
                quote(s, out);
            } else {
                throw new IllegalArgumentException("unsupported JSON value type " + v.getClass().getName()
                        + " for " + e.getKey());
            }
        }
        return out.append('}').toString();
    }

    private static void quote(String s, StringBuilder out) {
        out.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                case '\b' -> out.append("\\b");
                case '\f' -> out.append("\\f");
                default -> {
                    if (c < 0x20 || c == 0x2028 || c == 0x2029) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        out.append('"');
    }

    /**
     * Decodes a flat object. Strings are unescaped; numbers and booleans are kept as their text; null values are
     * left out of the result.
     *
     * @param text the JSON text
     * @return the fields, in document order
     * @throws MalformedJsonException if {@code text} is not one flat JSON object
     */
    public static Map<String, String> decode(String text) {
        Objects.requireNonNull(text, "text");
        return new Json(text).object();
    }

    private Map<String, String> object() {
        Map<String, String> fields = new LinkedHashMap<>();
        Set<String> seen = new HashSet<>();
        skipSpace();
        expect('{');
        skipSpace();
        if (peek() == '}') {
            pos++;
        } else {
            while (true) {
                skipSpace();
                int at = pos;
                String key = string();
                skipSpace();
                expect(':');
                skipSpace();
                String value = value();
                if (!seen.add(key)) {
                    throw fail("duplicate key \"" + key + "\"", at);
                }
                if (value != null) {
                    fields.put(key, value);
                }
                skipSpace();
                char c = next("',' or '}'");
                if (c == '}') {
                    break;
                }
                if (c != ',') {
                    throw fail("expected ',' or '}' but found '" + c + "'", pos - 1);
                }
            }
        }
        skipSpace();
        if (pos < text.length()) {
            throw fail("unexpected text after the object", pos);
        }
        return fields;
    }

    private String value() {
        char c = peek();
        if (c == '"') {
            return string();
        }
        if (c == '{' || c == '[') {
            throw fail("nested objects and arrays are not supported", pos);
        }
        if (text.startsWith("true", pos) || text.startsWith("null", pos)) {
            pos += 4;
            return text.startsWith("true", pos - 4) ? "true" : null;
        }
        if (text.startsWith("false", pos)) {
            pos += 5;
            return "false";
        }
        return number();
    }

    private String number() {
        int start = pos;
        while (pos < text.length() && "+-0123456789.eE".indexOf(text.charAt(pos)) >= 0) {
            pos++;
        }
        String n = text.substring(start, pos);
        if (!n.matches("-?(0|[1-9][0-9]*)(\\.[0-9]+)?([eE][+-]?[0-9]+)?")) {
            throw fail(n.isEmpty() ? "expected a value" : "invalid number '" + n + "'", start);
        }
        return n;
    }

    private String string() {
        expect('"');
        StringBuilder out = new StringBuilder();
        while (true) {
            char c = next("closing '\"'");
            if (c == '"') {
                return out.toString();
            }
            if (c < 0x20) {
                throw fail("unescaped control character in string", pos - 1);
            }
            if (c != '\\') {
                out.append(c);
                continue;
            }
            char e = next("escape character");
            switch (e) {
                case '"', '\\', '/' -> out.append(e);
                case 'b' -> out.append('\b');
                case 'f' -> out.append('\f');
                case 'n' -> out.append('\n');
                case 'r' -> out.append('\r');
                case 't' -> out.append('\t');
                case 'u' -> out.append(unicodeEscape());
                default -> throw fail("invalid escape '\\" + e + "'", pos - 2);
            }
        }
    }

    private char unicodeEscape() {
        if (pos + 4 > text.length()) {
            throw fail("truncated \\u escape", pos - 2);
        }
        String hex = text.substring(pos, pos + 4);
        if (!hex.matches("[0-9a-fA-F]{4}")) {
            throw fail("invalid \\u escape '" + hex + "'", pos - 2);
        }
        pos += 4;
        return (char) Integer.parseInt(hex, 16);
    }

    private void skipSpace() {
        while (pos < text.length() && " \t\r\n".indexOf(text.charAt(pos)) >= 0) {
            pos++;
        }
    }

    private char peek() {
        if (pos >= text.length()) {
            throw fail("unexpected end of input", pos);
        }
        return text.charAt(pos);
    }

    private char next(String wanted) {
        if (pos >= text.length()) {
            throw fail("unexpected end of input, expected " + wanted, pos);
        }
        return text.charAt(pos++);
    }

    private void expect(char c) {
        char found = next("'" + c + "'");
        if (found != c) {
            throw fail("expected '" + c + "' but found '" + found + "'", pos - 1);
        }
    }

    private MalformedJsonException fail(String what, int at) {
        return new MalformedJsonException("invalid JSON at offset " + at + ": " + what);
    }

    /** The text is not a flat JSON object; the message names the problem and its offset. */
    public static final class MalformedJsonException extends IllegalArgumentException {

        private static final long serialVersionUID = 1L;

        /**
         * Creates the exception.
         *
         * @param message what is wrong and where
         */
        public MalformedJsonException(String message) {
            super(message);
        }
    }
}
