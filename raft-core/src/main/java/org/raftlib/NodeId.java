package org.raftlib;

import java.util.Objects;
import org.raftlib.message.LogText;

/**
 * The identity of one member of a Raft group: a short, non-blank string such as {@code "n1"}.
 *
 * @param value the id; 1 to 64 characters, none of them whitespace or control characters
 */
public record NodeId(String value) implements Comparable<NodeId> {

    /** The longest id accepted, in characters. */
    public static final int MAX_LENGTH = 64;

    /**
     * Checks the id.
     *
     * @throws NullPointerException if {@code value} is null
     * @throws IllegalArgumentException if {@code value} is empty, longer than {@link #MAX_LENGTH} or contains
     *     whitespace or control characters
     */
    public NodeId {
        Objects.requireNonNull(value, "node id");
        if (value.isEmpty() || value.length() > MAX_LENGTH) {
            throw new IllegalArgumentException("node id must have 1 to " + MAX_LENGTH + " characters: "
                    + LogText.quote(value));
        }
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (Character.isWhitespace(c) || Character.isISOControl(c)) {
                throw new IllegalArgumentException("node id must not contain whitespace or control characters: "
                        + LogText.quote(value));
            }
        }
    }

    /**
     * Returns the id for {@code value}.
     *
     * @param value the id string
     * @return the id
     * @throws NullPointerException if {@code value} is null
     * @throws IllegalArgumentException if {@code value} is not a valid id (see the constructor)
     */
    public static NodeId of(String value) {
        return new NodeId(value);
    }

    @Override
    public int compareTo(NodeId other) {
        return value.compareTo(other.value);
    }

    @Override
    public String toString() {
        return value;
    }
}
