package org.raftlib.internal.session;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Objects;
import org.raftlib.Bytes;

/**
 * The format of {@link org.raftlib.EntryType#SESSION} entries. Every entry has the same 34-byte big-endian header,
 * then a payload:
 *
 * <pre>
 *   offset  size  field
 *        0     1  version (1)
 *        1     1  kind: 1 REGISTER, 2 COMMAND, 3 CLOSE
 *        2     8  leader timestamp, epoch millis (0 until the leader stamps it, see {@link #stamp})
 *       10     8  session id: the log index of the session's REGISTER entry (0 in a REGISTER)
 *       18     8  sequence number, from 1 (0 unless COMMAND)
 *       26     8  acknowledged below: the client has every result with a lower sequence number (0 unless COMMAND)
 *       34     -  payload: REGISTER the session timeout in millis (8 bytes), COMMAND the command, CLOSE nothing
 * </pre>
 *
 * <p>{@link #decode} checks every field: a malformed entry never reaches the state machine.
 */
public final class SessionEntries {

    /**
     * The longest session timeout an entry may carry: {@code RaftOptions.withSessionTimeout}'s maximum, 30 days. A
     * REGISTER beyond it comes only from a broken or hostile peer; its session would never expire.
     */
    public static final long MAX_TIMEOUT_MILLIS = Duration.ofDays(30).toMillis();

    /** The format version written. */
    public static final byte VERSION = 1;
    /** Bytes before the payload. */
    public static final int HEADER_BYTES = 34;
    private static final int STAMP_OFFSET = 2;

    /** What a session entry does. */
    public enum Kind {
        /** Opens a session; its id becomes the entry's index. */
        REGISTER,
        /** A command of a session. */
        COMMAND,
        /** Ends a session. */
        CLOSE
    }

    /**
     * A decoded session entry.
     *
     * @param kind what it does
     * @param stamp the leader's clock when it proposed the entry, epoch millis
     * @param sessionId the session (0 for REGISTER)
     * @param sequence the command's sequence number (0 unless COMMAND)
     * @param ackBelow every result below this sequence number reached the client (0 unless COMMAND)
     * @param timeoutMillis the session's idle timeout in log time (0 unless REGISTER)
     * @param command the command (empty unless COMMAND)
     */
    public record Entry(Kind kind, long stamp, long sessionId, long sequence, long ackBelow, long timeoutMillis,
            Bytes command) {
    }

    private SessionEntries() {
    }

    /**
     * Encodes the registration of a session.
     *
     * @param timeoutMillis how long the session may stay idle in log time, positive, at most
     *     {@link #MAX_TIMEOUT_MILLIS}
     * @return the entry's data, not stamped
     * @throws IllegalArgumentException if {@code timeoutMillis} is out of range
     */
    public static Bytes register(long timeoutMillis) {
        if (timeoutMillis <= 0 || timeoutMillis > MAX_TIMEOUT_MILLIS) {
            throw new IllegalArgumentException("session timeout must be positive and at most " + MAX_TIMEOUT_MILLIS
                    + " ms: " + timeoutMillis);
        }
        return Bytes.wrap(header(Kind.REGISTER, 0, 0, 0, 8).putLong(timeoutMillis).array());
    }

    /**
     * Encodes a command of a session.
     *
     * @param sessionId the session, positive
     * @param sequence the command's sequence number, positive
     * @param ackBelow the lowest sequence number whose result the client may still need, in [1, sequence]
     * @param command the command; copied
     * @return the entry's data, not stamped
     * @throws IllegalArgumentException if a number is out of range
     * @throws NullPointerException if {@code command} is null
     */
    public static Bytes command(long sessionId, long sequence, long ackBelow, byte[] command) {
        Objects.requireNonNull(command, "command");
        if (sessionId <= 0 || sequence <= 0 || ackBelow <= 0 || ackBelow > sequence) {
            throw new IllegalArgumentException("bad session command header: session " + sessionId + ", sequence "
                    + sequence + ", acknowledged below " + ackBelow);
        }
        return Bytes.wrap(header(Kind.COMMAND, sessionId, sequence, ackBelow, command.length).put(command).array());
    }

    /**
     * Encodes the end of a session.
     *
     * @param sessionId the session, positive
     * @return the entry's data, not stamped
     * @throws IllegalArgumentException if {@code sessionId} is not positive
     */
    public static Bytes close(long sessionId) {
        if (sessionId <= 0) {
            throw new IllegalArgumentException("session id must be positive: " + sessionId);
        }
        return Bytes.wrap(header(Kind.CLOSE, sessionId, 0, 0, 0).array());
    }

    /**
     * Returns a copy of a session entry with the leader's clock in its timestamp slot; the leader calls this just
     * before it proposes the entry, so log time comes from leaders' clocks and never from an applying node's.
     *
     * @param data a session entry's data
     * @param leaderMillis the leader's wall clock, epoch millis, not negative
     * @return the stamped copy
     * @throws IllegalArgumentException if {@code data} is not a well-formed session entry, or the time is negative
     * @throws NullPointerException if {@code data} is null
     */
    public static Bytes stamp(Bytes data, long leaderMillis) {
        if (leaderMillis < 0) {
            throw new IllegalArgumentException("negative leader time: " + leaderMillis);
        }
        decode(data, false);
        byte[] copy = data.toByteArray();
        ByteBuffer.wrap(copy).putLong(STAMP_OFFSET, leaderMillis);
        return Bytes.wrap(copy);
    }

    /**
     * Decodes and checks a session entry.
     *
     * @param data the entry's data
     * @return the entry
     * @throws IllegalArgumentException if it is malformed: too short, an unknown version or kind, a field out of
     *     range or a payload of the wrong size
     * @throws NullPointerException if {@code data} is null
     */
    public static Entry decode(Bytes data) {
        return decode(data, true);
    }

    /** Decodes and checks; without {@code withCommand} the entry's command is left out (empty), saving a copy. */
    private static Entry decode(Bytes data, boolean withCommand) {
        Objects.requireNonNull(data, "data");
        if (data.length() < HEADER_BYTES) {
            throw malformed("only " + data.length() + " bytes");
        }
        ByteBuffer b = data.asReadOnlyByteBuffer();
        byte version = b.get();
        if (version != VERSION) {
            throw malformed("unknown version " + version);
        }
        int kindCode = b.get();
        if (kindCode < 1 || kindCode > Kind.values().length) {
            throw malformed("unknown kind " + kindCode);
        }
        Kind kind = Kind.values()[kindCode - 1];
        long stamp = b.getLong();
        long session = b.getLong();
        long sequence = b.getLong();
        long ack = b.getLong();
        int payload = b.remaining();
        if (stamp < 0) {
            throw malformed("negative timestamp " + stamp);
        }
        return switch (kind) {
            case REGISTER -> {
                long timeout = payload == 8 ? b.getLong() : 0;
                check(session == 0 && sequence == 0 && ack == 0 && timeout > 0 && timeout <= MAX_TIMEOUT_MILLIS,
                        kind, session, sequence, ack);
                yield new Entry(kind, stamp, 0, 0, 0, timeout, Bytes.EMPTY);
            }
            case COMMAND -> {
                check(session > 0 && sequence > 0 && ack > 0 && ack <= sequence, kind, session, sequence, ack);
                yield new Entry(kind, stamp, session, sequence, ack, 0, withCommand ? Bytes.copyOf(b) : Bytes.EMPTY);
            }
            case CLOSE -> {
                check(session > 0 && sequence == 0 && ack == 0 && payload == 0, kind, session, sequence, ack);
                yield new Entry(kind, stamp, session, 0, 0, 0, Bytes.EMPTY);
            }
        };
    }

    private static void check(boolean ok, Kind kind, long session, long sequence, long ack) {
        if (!ok) {
            throw malformed(kind + " with session " + session + ", sequence " + sequence + ", acknowledged below "
                    + ack + ", a timeout out of range or a payload of the wrong size");
        }
    }

    private static IllegalArgumentException malformed(String why) {
        return new IllegalArgumentException("malformed session entry: " + why);
    }

    private static ByteBuffer header(Kind kind, long session, long sequence, long ack, int payload) {
        ByteBuffer b = ByteBuffer.allocate(HEADER_BYTES + payload);
        b.put(VERSION).put((byte) (kind.ordinal() + 1)).putLong(0).putLong(session).putLong(sequence).putLong(ack);
        return b;
    }
}
