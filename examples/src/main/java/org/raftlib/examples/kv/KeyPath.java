package org.raftlib.examples.kv;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Turns the raw path segment of {@code /kv/{key}} into a key: strict percent-decoding ({@code +} stays a plus), then
 * UTF-8 validation, then {@link KvCommand#checkKey}. Every problem is an {@link IllegalArgumentException} whose
 * message is fit for a 400 answer.
 */
final class KeyPath {

    private static final String HEX = "0123456789ABCDEF";

    private KeyPath() {
    }

    /** Decodes and checks one raw path segment. */
    static String decodeKey(String rawSegment) {
        if (rawSegment.indexOf('/') >= 0) {
            throw new IllegalArgumentException("a key is one path segment; write '/' inside a key as %2F");
        }
        String key = utf8(percentDecode(rawSegment));
        KvCommand.checkKey(key);
        return key;
    }

    /** Percent-encodes {@code key} as one path segment (every byte outside the unreserved set). */
    static String encodeKey(String key) {
        StringBuilder out = new StringBuilder();
        for (byte b : key.getBytes(StandardCharsets.UTF_8)) {
            int c = b & 0xff;
            if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || "-._~".indexOf(c) >= 0) {
                out.append((char) c);
            } else {
                out.append('%').append(HEX.charAt(c >> 4)).append(HEX.charAt(c & 0xf));
            }
        }
        return out.toString();
    }

    private static byte[] percentDecode(String s) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '%') {
                if (i + 2 >= s.length()) {
                    throw new IllegalArgumentException("truncated percent escape in key at position " + i);
                }
                int hi = Character.digit(s.charAt(i + 1), 16);
                int lo = Character.digit(s.charAt(i + 2), 16);
                if (hi < 0 || lo < 0) {
                    throw new IllegalArgumentException("invalid percent escape in key at position " + i);
                }
                out.write(hi * 16 + lo);
                i += 2;
            } else if (c > 0x7f) {
                throw new IllegalArgumentException("non-ASCII character in the raw path; percent-encode the key");
            } else {
                out.write(c);
            }
        }
        return out.toByteArray();
    }

    /**
     * Returns the index of the first unpaired UTF-16 surrogate in {@code s}, or -1. Such a string has no UTF-8 form:
     * encoding it would replace the surrogate with '?', so it must be refused rather than stored.
     */
    static int unpairedSurrogate(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                return i;
            }
        }
        return -1;
    }

    /** Decodes strict UTF-8. */
    static String utf8(byte[] bytes) {
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException("not valid UTF-8");
        }
    }
}
