package org.raftlib.message;

import java.util.Objects;
import org.raftlib.NodeId;

/** Argument checks shared by the message records. */
final class Checks {

    private Checks() {
    }

    static void nonNegative(long value, String name) {
        if (value < 0) {
            throw new IllegalArgumentException(name + " must not be negative: " + value);
        }
    }

    static void positive(long value, String name) {
        if (value < 1) {
            throw new IllegalArgumentException(name + " must be at least 1: " + value);
        }
    }

    static void endpoints(NodeId from, NodeId to) {
        Objects.requireNonNull(from, "from");
        Objects.requireNonNull(to, "to");
        if (from.equals(to)) {
            throw new IllegalArgumentException("a message must not be addressed to its sender: " + from);
        }
    }
}
