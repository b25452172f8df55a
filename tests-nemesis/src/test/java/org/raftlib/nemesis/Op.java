package org.raftlib.nemesis;

import java.util.Objects;

/**
 * One client operation of a history: what was asked, when (nanoseconds from the history's start), and how it ended.
 *
 * <p>{@code result} is what the operation observed: the value read (GET), the value replaced (PUT, DELETE; null when
 * the key was absent, for DELETE a 404) or the current value a failed CAS reported. Null everywhere means "absent".
 * An {@link Outcome#INFO} operation never completed as far as the client knows: its {@code complete} is
 * {@link Long#MAX_VALUE}, and it may or may not have taken effect.
 *
 * @param id unique within the history
 * @param client the client (thread) that issued it
 * @param kind what it does
 * @param key the key
 * @param value the value written (PUT, CAS), else null
 * @param expected the value a CAS expects (null: absent), else null
 * @param invoke when it was sent
 * @param complete when its answer arrived, or {@link Long#MAX_VALUE} when indeterminate
 * @param outcome how it ended
 * @param result what it observed (see above)
 */
record Op(int id, int client, Kind kind, String key, String value, String expected, long invoke, long complete,
          Outcome outcome, String result) {

    /** What an operation does. */
    enum Kind { PUT, GET, CAS, DELETE }

    /**
     * How it ended: done; definitely not done (for a CAS: a 409 reporting the current value); definitely not done
     * and nothing observed (the connection was refused, or the node answered {@code "applied": false}); or unknown.
     */
    enum Outcome { OK, FAIL, REFUSED, INFO }

    Op {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(outcome, "outcome");
        if (outcome == Outcome.INFO) {
            complete = Long.MAX_VALUE;
        } else if (complete < invoke) {
            throw new IllegalArgumentException("op " + id + " completes before it starts");
        }
    }

    /** A one-line, readable form: {@code #12 c3 CAS k1 c1-4 -> c3-9: FAIL (current c2-7) [1.203 s .. 1.210 s]}. */
    String describe() {
        StringBuilder b = new StringBuilder("#").append(id).append(" c").append(client).append(' ').append(kind)
                .append(' ').append(key);
        switch (kind) {
            case PUT -> b.append(" = ").append(value);
            case CAS -> b.append(' ').append(show(expected)).append(" -> ").append(value);
            default -> { }
        }
        b.append(": ").append(outcome);
        if (outcome != Outcome.INFO && outcome != Outcome.REFUSED) {
            String what = switch (kind) {
                case GET -> "read ";
                case CAS -> outcome == Outcome.FAIL ? "current " : null;
                default -> "previous ";
            };
            if (what != null) {
                b.append(" (").append(what).append(show(result)).append(')');
            }
        }
        b.append(" [").append(seconds(invoke)).append(" .. ")
                .append(outcome == Outcome.INFO ? "?" : seconds(complete)).append(']');
        return b.toString();
    }

    static String show(String v) {
        return v == null ? "absent" : v;
    }

    static String seconds(long nanos) {
        return String.format("%.3f s", nanos / 1e9);
    }
}
