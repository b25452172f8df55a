package org.raftlib.internal.session;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.Comparator;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import org.raftlib.Bytes;
import org.raftlib.RaftException;
import org.raftlib.SessionExpiredException;

/**
 * The replicated table of client sessions (Raft thesis §6.3), applied on the apply thread in log order. It is a pure
 * function of the session entries applied: no clock, no randomness, so every node holds the same table at the same
 * index.
 *
 * <p><b>Log time</b> is the largest leader timestamp of the session entries applied so far. At each session entry the
 * table first advances log time to the entry's stamp, then forgets every session idle for longer than its timeout in
 * log time (the timeout is written in its REGISTER entry, so nodes with different options still agree).
 *
 * <p><b>Results.</b> A session keeps the result of each command applied with a sequence number at or above its
 * floor: the largest "acknowledged below" it has seen, raised further when it holds more than
 * {@link #MAX_RESULTS_PER_SESSION} results (the lowest are dropped). A command whose result is kept is answered from
 * the table without reaching the state machine; one below the floor was applied before (or abandoned by its client)
 * and is refused.
 */
public final class SessionTable {

    /** The most results a session keeps; the lowest sequence numbers go first. */
    public static final int MAX_RESULTS_PER_SESSION = 1024;
    private static final int FORMAT = 1;

    /** Applies a command to the state machine; exceptions propagate (they stop the node). */
    @FunctionalInterface
    public interface Applier {
        /**
         * Applies {@code command} at {@code index}.
         *
         * @param index the entry's index
         * @param command the command
         * @return the result, never null
         */
        byte[] apply(long index, byte[] command);
    }

    /** What applying a session entry did. */
    public enum Status {
        /** A new session; the result is its id, 8 bytes big-endian. */
        REGISTERED,
        /** A command applied to the state machine for the first time; the result is the state machine's. */
        APPLIED,
        /** A command applied before: the result is the original one, the state machine was not called. */
        DUPLICATE,
        /** A session ended; the result is empty. */
        CLOSED,
        /** The session is unknown: never registered, closed or expired. */
        EXPIRED,
        /** The command is below the session's floor: applied before and its result dropped, or abandoned. */
        DISCARDED,
        /** The entry does not decode; nothing changed. */
        MALFORMED
    }

    /**
     * The outcome of one session entry.
     *
     * @param status what happened
     * @param result the result for the proposer (null unless the status is a success)
     * @param message why it failed (null on success)
     */
    public record Outcome(Status status, byte[] result, String message) {

        /** Returns whether the proposer's future should fail. */
        public boolean failed() {
            return result == null;
        }

        /** Returns the exception to fail the proposer's future with: {@link SessionExpiredException} or another. */
        public RaftException error() {
            return status == Status.EXPIRED ? new SessionExpiredException(message) : new RaftException(message);
        }
    }

    private static final class Session {
        final long id;
        final long timeoutMillis;
        long lastActive;
        long floor;
        final TreeMap<Long, byte[]> results = new TreeMap<>();

        Session(long id, long timeoutMillis, long lastActive, long floor) {
            this.id = id;
            this.timeoutMillis = timeoutMillis;
            this.lastActive = lastActive;
            this.floor = floor;
        }

        long deadline() {
            return lastActive > Long.MAX_VALUE - timeoutMillis ? Long.MAX_VALUE : lastActive + timeoutMillis;
        }
    }

    private final TreeMap<Long, Session> sessions = new TreeMap<>();
    private final TreeSet<Session> byDeadline =
            new TreeSet<>(Comparator.comparingLong(Session::deadline).thenComparingLong(s -> s.id));
    private long logTime;

    /**
     * Applies one session entry.
     *
     * @param index the entry's log index
     * @param data the entry's data
     * @param machine applies a command that is new
     * @return what happened; the state machine ran only for {@link Status#APPLIED}
     */
    public Outcome apply(long index, Bytes data, Applier machine) {
        SessionEntries.Entry e;
        try {
            e = SessionEntries.decode(data);
        } catch (IllegalArgumentException ex) {
            return new Outcome(Status.MALFORMED, null, "entry " + index + " is a " + ex.getMessage());
        }
        advance(e.stamp());
        return switch (e.kind()) {
            case REGISTER -> register(index, e.timeoutMillis());
            case COMMAND -> command(index, e, machine);
            case CLOSE -> close(e.sessionId());
        };
    }

    private void advance(long stamp) {
        logTime = Math.max(logTime, stamp);
        while (!byDeadline.isEmpty() && byDeadline.first().deadline() < logTime) {
            sessions.remove(byDeadline.pollFirst().id);
        }
    }

    private Outcome register(long index, long timeoutMillis) {
        Session s = new Session(index, timeoutMillis, logTime, 1);
        sessions.put(index, s);
        byDeadline.add(s);
        return new Outcome(Status.REGISTERED, ByteBuffer.allocate(8).putLong(index).array(), null);
    }

    private Outcome command(long index, SessionEntries.Entry e, Applier machine) {
        Session s = sessions.get(e.sessionId());
        if (s == null) {
            return expired(e.sessionId());
        }
        byDeadline.remove(s);
        s.lastActive = logTime;
        byDeadline.add(s);
        raiseFloor(s, e.ackBelow());
        byte[] cached = s.results.get(e.sequence());
        if (cached != null) {
            return new Outcome(Status.DUPLICATE, cached.clone(), null);
        }
        if (e.sequence() < s.floor) {
            return new Outcome(Status.DISCARDED, null, "command " + e.sequence() + " of session " + s.id
                    + " is below the results the session keeps (from " + s.floor + "): it was applied before and its"
                    + " result discarded, or its client gave up on it");
        }
        byte[] result = machine.apply(index, e.command().toByteArray());
        s.results.put(e.sequence(), result.clone());
        if (s.results.size() > MAX_RESULTS_PER_SESSION) {
            raiseFloor(s, s.results.firstKey() + 1);
        }
        return new Outcome(Status.APPLIED, result, null);
    }

    private static void raiseFloor(Session s, long floor) {
        if (floor > s.floor) {
            s.floor = floor;
            s.results.headMap(floor).clear();
        }
    }

    private Outcome close(long id) {
        Session s = sessions.remove(id);
        if (s == null) {
            return expired(id);
        }
        byDeadline.remove(s);
        return new Outcome(Status.CLOSED, new byte[0], null);
    }

    private static Outcome expired(long id) {
        return new Outcome(Status.EXPIRED, null, "session " + id + " is unknown: it expired, was closed or never "
                + "registered; this attempt was not applied (an earlier attempt of a resent command may have been)");
    }

    /** Returns the log time: the largest leader timestamp applied, epoch millis (0 before any session entry). */
    public long logTime() {
        return logTime;
    }

    /** Returns how many sessions are open. */
    public int size() {
        return sessions.size();
    }

    /** Returns whether no session entry was ever applied: the table is empty and has no log time. */
    public boolean isPristine() {
        return logTime == 0 && sessions.isEmpty();
    }

    /**
     * Serializes the table canonically (sessions and results by increasing number): equal tables give equal bytes.
     *
     * @return the table's bytes
     */
    public byte[] encode() {
        Capture c = capture();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream((int) Math.min(c.length(), Integer.MAX_VALUE - 8));
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            c.writeTo(out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);                // a byte array does not fail
        }
        return bytes.toByteArray();
    }

    /**
     * Captures the table as it is now, to be written later on another thread ({@link Capture#writeTo}, the bytes of
     * {@link #encode()}): a copy of the sessions and of their results' references, the results themselves being
     * immutable, so neither thread holds the encoded table in memory. Call on the apply thread.
     *
     * @return the capture
     */
    public Capture capture() {
        List<Session> copy = new ArrayList<>(sessions.size());
        for (Session s : sessions.values()) {
            Session c = new Session(s.id, s.timeoutMillis, s.lastActive, s.floor);
            c.results.putAll(s.results);
            copy.add(c);
        }
        return new Capture(logTime, List.copyOf(copy));
    }

    /** The table at one point, from {@link #capture()}; immutable. */
    public static final class Capture {
        private final long logTime;
        private final List<Session> sessions;
        private final long length;

        private Capture(long logTime, List<Session> sessions) {
            this.logTime = logTime;
            this.sessions = sessions;
            long n = Integer.BYTES + Long.BYTES + Integer.BYTES;
            for (Session s : sessions) {
                n += 4L * Long.BYTES + Integer.BYTES;
                for (byte[] r : s.results.values()) {
                    n += Long.BYTES + Integer.BYTES + r.length;
                }
            }
            this.length = n;
        }

        /** Returns how many bytes {@link #writeTo} writes. */
        public long length() {
            return length;
        }

        /**
         * Writes the bytes {@link SessionTable#encode()} returns for the captured table.
         *
         * @param out the destination
         * @throws IOException if {@code out} throws it
         */
        public void writeTo(DataOutputStream out) throws IOException {
            out.writeInt(FORMAT);
            out.writeLong(logTime);
            out.writeInt(sessions.size());
            for (Session s : sessions) {
                out.writeLong(s.id);
                out.writeLong(s.timeoutMillis);
                out.writeLong(s.lastActive);
                out.writeLong(s.floor);
                out.writeInt(s.results.size());
                for (Map.Entry<Long, byte[]> r : s.results.entrySet()) {
                    out.writeLong(r.getKey());
                    out.writeInt(r.getValue().length);
                    out.write(r.getValue());
                }
            }
        }
    }

    /**
     * Reads a table {@link #encode()} wrote.
     *
     * @param data the bytes
     * @return the table
     * @throws IOException if they are truncated or inconsistent
     */
    public static SessionTable decode(byte[] data) throws IOException {
        DataInputStream in = new DataInputStream(new ByteArrayInputStream(data));
        int format = in.readInt();
        if (format != FORMAT) {
            throw new IOException("unknown session table format " + format);
        }
        SessionTable t = new SessionTable();
        t.logTime = in.readLong();
        int n = in.readInt();
        for (int i = 0; i < n; i++) {
            Session s = new Session(in.readLong(), in.readLong(), in.readLong(), in.readLong());
            int results = in.readInt();
            if (s.id <= 0 || s.timeoutMillis <= 0 || s.floor <= 0 || results < 0 || results > MAX_RESULTS_PER_SESSION
                    || t.sessions.put(s.id, s) != null) {
                throw new IOException("inconsistent session table at session " + s.id);
            }
            for (int j = 0; j < results; j++) {
                long seq = in.readLong();
                int length = in.readInt();
                if (seq < s.floor || length < 0 || length > in.available()) {
                    throw new IOException("inconsistent result " + seq + " of session " + s.id);
                }
                s.results.put(seq, in.readNBytes(length));
            }
            t.byDeadline.add(s);
        }
        if (in.available() != 0) {
            throw new IOException(in.available() + " bytes after the session table");
        }
        return t;
    }
}
