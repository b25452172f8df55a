package org.raftlib.examples.kv;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * The JSON of the key-value API, on Jackson: one flat object whose values are strings, numbers, booleans or null.
 *
 * <p>Reading is strict: no duplicate keys, nothing after the object, no nested objects or arrays, and no string (key
 * or value) holding an unpaired UTF-16 surrogate such as the escape {@code "\ud800"}; Jackson accepts those, but they
 * have no UTF-8 form and would be stored altered. Every problem is a {@link MalformedJsonException}, fit for a 400.
 */
public final class Json {

    private static final ObjectMapper MAPPER = JsonMapper.builder()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .build();

    /** Jackson names the input in some messages ("[Source: REDACTED ...; line: 1, column: 2]"): keep the place. */
    private static final String SOURCE = "\\[Source: [^\\]]*; (line: \\d+, column: \\d+)]";

    private Json() {
    }

    /**
     * Encodes a flat object; the map's iteration order is kept.
     *
     * @param fields values must be {@link String}, {@link Number}, {@link Boolean} or null
     * @return the JSON text
     * @throws IllegalArgumentException if a value has another type
     */
    public static String encode(Map<String, ?> fields) {
        for (Map.Entry<String, ?> e : fields.entrySet()) {
            Object v = e.getValue();
            if (v != null && !(v instanceof String) && !(v instanceof Number) && !(v instanceof Boolean)) {
                throw new IllegalArgumentException("unsupported JSON value type " + v.getClass().getName()
                        + " for " + e.getKey());
            }
        }
        try {
            return MAPPER.writeValueAsString(fields);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("cannot encode " + fields.keySet() + ": " + e.getOriginalMessage(), e);
        }
    }

    /**
     * Decodes a flat object. Numbers and booleans are kept as their text; null values are left out of the result.
     *
     * @param text the JSON text
     * @return the fields, in document order
     * @throws MalformedJsonException if {@code text} is not one flat JSON object
     */
    public static Map<String, String> decode(String text) {
        return fields(text, null, null);
    }

    /**
     * Decodes a request body: a flat object of the given fields, whose values must be strings or null (null values
     * are left out).
     *
     * @param body the body's bytes, which must be UTF-8
     * @param names the fields allowed
     * @param hint what the body should hold, for the message about an unknown field
     * @return the fields, in document order
     * @throws MalformedJsonException if the body is not UTF-8, not a flat object, or holds an unknown field or a
     *     value of another type
     */
    static Map<String, String> decodeStrings(byte[] body, Set<String> names, String hint) {
        String text;
        try {
            text = KeyPath.utf8(body);
        } catch (IllegalArgumentException e) {
            throw new MalformedJsonException("the body is not valid UTF-8");
        }
        return fields(text, names, hint);
    }

    private static Map<String, String> fields(String text, Set<String> names, String hint) {
        Objects.requireNonNull(text, "text");
        JsonNode root;
        try {
            root = MAPPER.readTree(text);
        } catch (JsonProcessingException e) {
            JsonLocation at = e.getLocation();
            throw new MalformedJsonException("invalid JSON" + (at == null ? "" : " at offset " + at.getCharOffset())
                    + ": " + e.getOriginalMessage().replaceAll(SOURCE, "$1"));
        }
        if (root == null || root.isMissingNode()) {
            throw new MalformedJsonException("expected a JSON object but the text is empty");
        }
        if (!root.isObject()) {
            throw new MalformedJsonException("expected a JSON object but found " + kind(root));
        }
        Map<String, String> fields = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> e : root.properties()) {
            String name = checkText(e.getKey(), "a field name");
            if (names != null && !names.contains(name)) {
                throw new MalformedJsonException("unknown field \"" + name + "\"; " + hint);
            }
            JsonNode value = e.getValue();
            if (value.isNull()) {
                continue;
            }
            if (value.isContainerNode()) {
                throw new MalformedJsonException("field \"" + name + "\": nested objects and arrays are not supported");
            }
            if (names != null && !value.isTextual()) {
                throw new MalformedJsonException("field \"" + name + "\" must be a string, not " + kind(value));
            }
            fields.put(name, checkText(value.asText(), "field \"" + name + "\""));
        }
        return fields;
    }

    private static String kind(JsonNode node) {
        if (node.isTextual()) {
            return "a string";
        }
        return node.isNumber() ? "a number" : node.isBoolean() ? "a boolean" : node.isArray() ? "an array"
                : "a " + node.getNodeType().name().toLowerCase(java.util.Locale.ROOT);
    }

    /** Refuses a string holding an unpaired surrogate: it has no UTF-8 form, so it could not be kept as sent. */
    private static String checkText(String s, String what) {
        int at = KeyPath.unpairedSurrogate(s);
        if (at >= 0) {
            throw new MalformedJsonException(what + " holds an unpaired UTF-16 surrogate (\\u"
                    + Integer.toHexString(s.charAt(at)) + ") at character " + at + "; it is not a Unicode character");
        }
        return s;
    }

    /** The text is not a flat JSON object of the expected kind; the message names the problem. */
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
