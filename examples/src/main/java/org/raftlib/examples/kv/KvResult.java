package org.raftlib.examples.kv;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import java.util.Optional;

/**
 * What a {@link KvCommand} did, as the state machine returns it in the result bytes.
 *
 * <p>Layout: {@code status:int8 | present:int8 | [length:int32 | UTF-8 value]}.
 *
 * <ul>
 *   <li>GET: {@link Status#OK} with the value, or {@link Status#NOT_FOUND}.</li>
 *   <li>PUT: {@link Status#OK} with the previous value, if there was one.</li>
 *   <li>APPEND: {@link Status#OK} with the new value, or {@link Status#ERROR} if it would grow too long.</li>
 *   <li>DELETE: {@link Status#OK} with the removed value, or {@link Status#NOT_FOUND}.</li>
 *   <li>CAS: {@link Status#OK} with the previous value when the new value was stored, or
 *       {@link Status#CAS_FAILED} with the current value (empty if the key is absent).</li>
 *   <li>A malformed command: {@link Status#ERROR} with the reason as the value.</li>
 * </ul>
 *
 * @param status the outcome
 * @param value the value described above
 */
public record KvResult(Status status, Optional<String> value) {

    /** The outcomes. */
    public enum Status {
        /** The command took effect (or the key was found). */
        OK,
        /** The key does not exist. */
        NOT_FOUND,
        /** A compare-and-set found another value and changed nothing. */
        CAS_FAILED,
        /** The command was malformed; nothing changed. */
        ERROR
    }

    /**
     * Checks the arguments.
     *
     * @param status the outcome
     * @param value the value
     *
     * @throws NullPointerException if an argument is null
     */
    public KvResult {
        Objects.requireNonNull(status, "status");
        Objects.requireNonNull(value, "value");
    }

    /**
     * Returns an {@link Status#ERROR} result.
     *
     * @param reason what was wrong
     * @return the result
     */
    public static KvResult error(String reason) {
        return new KvResult(Status.ERROR, Optional.of(reason));
    }

    /**
     * Encodes this result; {@link #decode} reverses it.
     *
     * @return the encoded result
     */
    public byte[] encode() {
        byte[] v = value.map(s -> s.getBytes(StandardCharsets.UTF_8)).orElse(new byte[0]);
        ByteBuffer buf = ByteBuffer.allocate(2 + (value.isPresent() ? 4 + v.length : 0));
        buf.put((byte) status.ordinal()).put((byte) (value.isPresent() ? 1 : 0));
        if (value.isPresent()) {
            buf.putInt(v.length).put(v);
        }
        return buf.array();
    }

    /**
     * Decodes a result written by {@link #encode}.
     *
     * @param bytes the encoded result
     * @return the result
     * @throws IllegalArgumentException if the bytes are not a valid result
     */
    public static KvResult decode(byte[] bytes) {
        ByteBuffer buf = ByteBuffer.wrap(bytes);
        try {
            int code = buf.get();
            if (code < 0 || code >= Status.values().length) {
                throw new IllegalArgumentException("unknown result status " + code);
            }
            Optional<String> value = Optional.empty();
            if (buf.get() != 0) {
                int length = buf.getInt();
                if (length < 0 || length != buf.remaining()) {
                    throw new IllegalArgumentException("result value length " + length + " does not match the "
                            + buf.remaining() + " bytes left");
                }
                value = Optional.of(StandardCharsets.UTF_8.decode(buf).toString());
            }
            return new KvResult(Status.values()[code], value);
        } catch (BufferUnderflowException e) {
            throw new IllegalArgumentException("result truncated at byte " + buf.position(), e);
        }
    }
}
