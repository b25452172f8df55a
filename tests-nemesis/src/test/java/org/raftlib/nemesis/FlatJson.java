package org.raftlib.nemesis;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Reads the key-value example's JSON answers, which are flat objects: each member's value as a string (strings
 * unescaped, numbers and booleans as written, null as null, a nested array or object as its raw text).
 */
final class FlatJson {

    private final String text;
    private int pos;

    private FlatJson(String text) {
        this.text = text;
    }

    /** Parses one flat object; throws {@link IllegalArgumentException} on anything else. */
    static Map<String, String> parse(String text) {
        FlatJson p = new FlatJson(text);
        Map<String, String> out = new LinkedHashMap<>();
        p.expect('{');
        if (p.peek() == '}') {
            p.pos++;
            return out;
        }
        do {
            String key = p.string();
            p.expect(':');
            out.put(key, p.value());
        } while (p.comma());
        p.expect('}');
        return out;
    }

    private boolean comma() {
        if (peek() == ',') {
            pos++;
            return true;
        }
        return false;
    }

    private String value() {
        char c = peek();
        if (c == '"') {
            return string();
        }
        if (c == '[' || c == '{') {
            return nested();
        }
        int start = pos;
        while (pos < text.length() && ",}] \t\r\n".indexOf(text.charAt(pos)) < 0) {
            pos++;
        }
        String literal = text.substring(start, pos);
        if (literal.isEmpty()) {
            throw error("a value");
        }
        return literal.equals("null") ? null : literal;
    }

    private String nested() {
        int start = pos;
        int depth = 0;
        boolean inString = false;
        for (; pos < text.length(); pos++) {
            char c = text.charAt(pos);
            if (inString) {
                if (c == '\\') {
                    pos++;
                } else if (c == '"') {
                    inString = false;
                }
            } else if (c == '"') {
                inString = true;
            } else if (c == '[' || c == '{') {
                depth++;
            } else if ((c == ']' || c == '}') && --depth == 0) {
                pos++;
                return text.substring(start, pos);
            }
        }
        throw error("the end of a nested value");
    }

    private String string() {
        expect('"');
        StringBuilder b = new StringBuilder();
        while (pos < text.length()) {
            char c = text.charAt(pos++);
            if (c == '"') {
                return b.toString();
            }
            if (c != '\\') {
                b.append(c);
                continue;
            }
            char e = text.charAt(pos++);
            switch (e) {
                case 'n' -> b.append('\n');
                case 't' -> b.append('\t');
                case 'r' -> b.append('\r');
                case 'b' -> b.append('\b');
                case 'f' -> b.append('\f');
                case 'u' -> {
                    b.append((char) Integer.parseInt(text.substring(pos, pos + 4), 16));
                    pos += 4;
                }
                default -> b.append(e);
            }
        }
        throw error("a closing quote");
    }

    private char peek() {
        while (pos < text.length() && Character.isWhitespace(text.charAt(pos))) {
            pos++;
        }
        if (pos >= text.length()) {
            throw error("more input");
        }
        return text.charAt(pos);
    }

    private void expect(char c) {
        if (peek() != c) {
            throw error("'" + c + "'");
        }
        pos++;
    }

    private IllegalArgumentException error(String wanted) {
        return new IllegalArgumentException("expected " + wanted + " at " + pos + " in: " + text);
    }
}
