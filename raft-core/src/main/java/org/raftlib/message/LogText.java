package org.raftlib.message;

/**
 * How a string that came from outside the node (a cluster, group or node id a peer sent) appears in a log line or an
 * exception message: quoted, with control and invisible formatting characters escaped, and cut short. A peer cannot
 * then forge log lines (a newline followed by a fake time stamp) or fill the log (a 60,000-character id).
 *
 * <p>Stateless and thread-safe.
 */
public final class LogText {

    /** How many characters of a string {@link #quote} shows at most. */
    public static final int MAX_SHOWN = 64;

    private static final char[] HEX = "0123456789abcdef".toCharArray();

    private LogText() {
    }

    /**
     * Returns {@code s} in single quotes, with {@code \n}, {@code \r}, {@code \t}, {@code \\} and {@code \'} escaped
     * as in Java, and every other control, formatting, separator, private-use or unassigned character, and any lone
     * surrogate, as a Java Unicode escape (a backslash, {@code u} and four hex digits). Only the first
     * {@link #MAX_SHOWN} characters are shown; a longer string is followed by {@code ...} and its length, for example
     * {@code 'aaaa...aaaa'... (60000 characters)}.
     *
     * @param s the string; may be null
     * @return the quoted form, or {@code "null"} (without quotes) for null
     */
    public static String quote(String s) {
        if (s == null) {
            return "null";
        }
        int shown = Math.min(s.length(), MAX_SHOWN);
        if (shown < s.length() && shown > 0 && Character.isHighSurrogate(s.charAt(shown - 1))
                && Character.isLowSurrogate(s.charAt(shown))) {
            shown--;                                           // do not cut a character in two
        }
        StringBuilder out = new StringBuilder(shown + 24).append('\'');
        for (int i = 0; i < shown; i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < shown && Character.isLowSurrogate(s.charAt(i + 1))) {
                out.append(c).append(s.charAt(++i));
            } else {
                append(out, c);
            }
        }
        out.append('\'');
        if (shown < s.length()) {
            out.append("... (").append(s.length()).append(" characters)");
        }
        return out.toString();
    }

    private static void append(StringBuilder out, char c) {
        switch (c) {
            case '\n' -> out.append("\\n");
            case '\r' -> out.append("\\r");
            case '\t' -> out.append("\\t");
            case '\\' -> out.append("\\\\");
            case '\'' -> out.append("\\'");
            default -> {
                if (isVisible(c)) {
                    out.append(c);
                } else {
                    out.append("\\u").append(HEX[c >> 12 & 0xf]).append(HEX[c >> 8 & 0xf]).append(HEX[c >> 4 & 0xf])
                            .append(HEX[c & 0xf]);
                }
            }
        }
    }

    private static boolean isVisible(char c) {
        if (Character.isISOControl(c) || Character.isSurrogate(c)) {
            return false;
        }
        int type = Character.getType(c);
        return type != Character.FORMAT && type != Character.LINE_SEPARATOR && type != Character.PARAGRAPH_SEPARATOR
                && type != Character.UNASSIGNED && type != Character.PRIVATE_USE;
    }
}
