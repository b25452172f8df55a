package org.raftlib.examples.kv;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import java.util.Optional;

/**
 * One key-value command and its compact binary encoding.
 *
 * <p>Layout: {@code version:int8 | op:int8 | key | [value] | [expected]}, where each string is
 * {@code length:int32 | UTF-8 bytes} and {@code expected} is preceded by a presence flag ({@code 0} or {@code 1}).
 * {@link Op#PUT}, {@link Op#APPEND} and {@link Op#MEMBER_HTTP} carry a value, {@link Op#CAS} a value and an optional
 * expected value (absent: the key must not exist), {@link Op#GET} and {@link Op#DELETE} only the key. Version 1 is the
 * only version.
 *
 * @param op what to do
 * @param key the key; 1 to {@link #MAX_KEY_BYTES} UTF-8 bytes
 * @param value the value to store (PUT, CAS) or to append (APPEND), otherwise empty
 * @param expected the value a CAS expects to find, or empty if it expects the key to be absent
 */
public record KvCommand(Op op, String key, Optional<String> value, Optional<String> expected) {

    /** The longest key accepted, in UTF-8 bytes. */
    public static final int MAX_KEY_BYTES = 1024;
    /** The longest value accepted, in UTF-8 bytes. */
    public static final int MAX_VALUE_BYTES = 512 * 1024;

    private static final byte VERSION = 1;

    /** The operations. */
    public enum Op {
        /** Reads a key (only through {@code query}). */
        GET(1),
        /** Stores a value, returning the previous one. */
        PUT(2),
        /** Removes a key, returning the previous value. */
        DELETE(3),
        /** Stores a value only if the current value matches the expected one. */
        CAS(4),
        /**
         * Records a member's HTTP address (key: the member's id, value: its base URI, such as
         * {@code http://127.0.0.1:8004}) in the member directory, apart from the key-value data: how every node learns
         * where a member added at run time serves HTTP.
         */
        MEMBER_HTTP(5),
        /**
         * Appends the value to the key's value (an absent key counts as empty), returning the new value. Not
         * idempotent: applying it twice shows in the value, which is how the fault suite counts applications.
         */
        APPEND(6);

        private final byte code;

        Op(int code) {
            this.code = (byte) code;
        }

        static Op of(byte code) {
            for (Op op : values()) {
                if (op.code == code) {
                    return op;
                }
            }
            throw new MalformedCommandException("unknown operation code " + code);
        }
    }

    /**
     * Checks the command's shape.
     *
     * @param op what to do
     * @param key the key
     * @param value the value to store (PUT, CAS) or to append (APPEND), otherwise empty
     * @param expected the value a CAS expects, or empty
     * @throws NullPointerException if an argument is null
     * @throws IllegalArgumentException if the key is empty or too long, a value is too long, or the optional
     *     parts do not fit the operation
     */
    public KvCommand {
        Objects.requireNonNull(op, "op");
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(value, "value");
        Objects.requireNonNull(expected, "expected");
        checkKey(key);
        boolean needsValue = hasValue(op);
        if (needsValue != value.isPresent()) {
            throw new IllegalArgumentException(op + (needsValue ? " needs a value" : " takes no value"));
        }
        if (op != Op.CAS && expected.isPresent()) {
            throw new IllegalArgumentException(op + " takes no expected value");
        }
        value.ifPresent(v -> checkValue(v, "value"));
        expected.ifPresent(v -> checkValue(v, "expected"));
    }

    /**
     * Returns a GET.
     *
     * @param key the key
     * @return the command
     */
    public static KvCommand get(String key) {
        return new KvCommand(Op.GET, key, Optional.empty(), Optional.empty());
    }

    /**
     * Returns a PUT.
     *
     * @param key the key
     * @param value the value to store
     * @return the command
     */
    public static KvCommand put(String key, String value) {
        return new KvCommand(Op.PUT, key, Optional.of(value), Optional.empty());
    }

    /**
     * Returns a DELETE.
     *
     * @param key the key
     * @return the command
     */
    public static KvCommand delete(String key) {
        return new KvCommand(Op.DELETE, key, Optional.empty(), Optional.empty());
    }

    /**
     * Returns a compare-and-set.
     *
     * @param key the key
     * @param expected the value expected now, or empty if the key must be absent
     * @param newValue the value to store if the expectation holds
     * @return the command
     */
    public static KvCommand cas(String key, Optional<String> expected, String newValue) {
        return new KvCommand(Op.CAS, key, Optional.of(newValue), expected);
    }

    /**
     * Returns an APPEND.
     *
     * @param key the key
     * @param suffix the text to append to the key's value
     * @return the command
     */
    public static KvCommand append(String key, String suffix) {
        return new KvCommand(Op.APPEND, key, Optional.of(suffix), Optional.empty());
    }

    /**
     * Returns a command that records where a member serves HTTP.
     *
     * @param member the member's id
     * @param httpAddress its HTTP base address
     * @return the command
     */
    public static KvCommand memberHttp(String member, String httpAddress) {
        return new KvCommand(Op.MEMBER_HTTP, member, Optional.of(httpAddress), Optional.empty());
    }

    /**
     * Checks a key.
     *
     * @param key the key
     * @throws IllegalArgumentException if it is empty, longer than {@link #MAX_KEY_BYTES} UTF-8 bytes, or holds a
     *     control character or an unpaired surrogate
     */
    public static void checkKey(String key) {
        if (key.isEmpty()) {
            throw new IllegalArgumentException("key must not be empty");
        }
        if (utf8Length(key) > MAX_KEY_BYTES) {
            throw new IllegalArgumentException("key is longer than " + MAX_KEY_BYTES + " bytes");
        }
        for (int i = 0; i < key.length(); i++) {
            if (Character.isISOControl(key.charAt(i))) {
                throw new IllegalArgumentException("key must not contain control characters");
            }
        }
        checkUnicode(key, "key");
    }

    private static boolean hasValue(Op op) {
        return op == Op.PUT || op == Op.CAS || op == Op.MEMBER_HTTP || op == Op.APPEND;
    }

    private static void checkValue(String v, String name) {
        if (utf8Length(v) > MAX_VALUE_BYTES) {
            throw new IllegalArgumentException(name + " is longer than " + MAX_VALUE_BYTES + " bytes");
        }
        checkUnicode(v, name);
    }

    private static void checkUnicode(String s, String name) {
        if (KeyPath.unpairedSurrogate(s) >= 0) {
            throw new IllegalArgumentException(name + " holds an unpaired UTF-16 surrogate, which UTF-8 cannot hold");
        }
    }

    private static int utf8Length(String s) {
        return s.getBytes(StandardCharsets.UTF_8).length;
    }

    /**
     * Encodes this command; {@link #decode} reverses it.
     *
     * @return the encoded command
     */
    public byte[] encode() {
        byte[] k = key.getBytes(StandardCharsets.UTF_8);
        byte[] v = value.map(s -> s.getBytes(StandardCharsets.UTF_8)).orElse(null);
        byte[] e = expected.map(s -> s.getBytes(StandardCharsets.UTF_8)).orElse(null);
        int size = 2 + 4 + k.length + (v == null ? 0 : 4 + v.length) + (op == Op.CAS ? 1 : 0)
                + (e == null ? 0 : 4 + e.length);
        ByteBuffer buf = ByteBuffer.allocate(size).put(VERSION).put(op.code).putInt(k.length).put(k);
        if (v != null) {
            buf.putInt(v.length).put(v);
        }
        if (op == Op.CAS) {
            buf.put((byte) (e == null ? 0 : 1));
            if (e != null) {
                buf.putInt(e.length).put(e);
            }
        }
        return buf.array();
    }

    /**
     * Decodes a command written by {@link #encode}.
     *
     * @param bytes the encoded command
     * @return the command
     * @throws MalformedCommandException if the bytes are not a valid command, saying what is wrong
     */
    public static KvCommand decode(byte[] bytes) {
        Objects.requireNonNull(bytes, "bytes");
        ByteBuffer buf = ByteBuffer.wrap(bytes);
        try {
            byte version = buf.get();
            if (version != VERSION) {
                throw new MalformedCommandException("unsupported command version " + version);
            }
            Op op = Op.of(buf.get());
            String key = readString(buf, "key", MAX_KEY_BYTES);
            Optional<String> value = Optional.empty();
            Optional<String> expected = Optional.empty();
            if (hasValue(op)) {
                value = Optional.of(readString(buf, "value", MAX_VALUE_BYTES));
            }
            if (op == Op.CAS) {
                expected = readOptional(buf);
            }
            if (buf.hasRemaining()) {
                throw new MalformedCommandException(buf.remaining() + " trailing bytes after " + op + " command");
            }
            return new KvCommand(op, key, value, expected);
        } catch (BufferUnderflowException e) {
            throw new MalformedCommandException("command truncated after " + buf.position() + " of "
                    + bytes.length + " bytes");
        } catch (IllegalArgumentException e) {
            throw e instanceof MalformedCommandException m ? m : new MalformedCommandException(e.getMessage());
        }
    }

    private static Optional<String> readOptional(ByteBuffer buf) {
        byte flag = buf.get();
        if (flag == 0) {
            return Optional.empty();
        }
        if (flag != 1) {
            throw new MalformedCommandException("expected-value flag must be 0 or 1, not " + flag);
        }
        return Optional.of(readString(buf, "expected", MAX_VALUE_BYTES));
    }

    private static String readString(ByteBuffer buf, String name, int max) {
        int length = buf.getInt();
        if (length < 0 || length > max) {
            throw new MalformedCommandException(name + " length " + length + " is outside 0.." + max);
        }
        if (length > buf.remaining()) {
            throw new MalformedCommandException(name + " length " + length + " exceeds the " + buf.remaining()
                    + " bytes left");
        }
        ByteBuffer slice = buf.slice().limit(length);
        buf.position(buf.position() + length);
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(slice).toString();
        } catch (CharacterCodingException e) {
            throw new MalformedCommandException(name + " is not valid UTF-8");
        }
    }

    /** A byte string that is not a valid {@link KvCommand}; the message says what is wrong. */
    public static final class MalformedCommandException extends IllegalArgumentException {

        private static final long serialVersionUID = 1L;

        /**
         * Creates the exception.
         *
         * @param message what is wrong
         */
        public MalformedCommandException(String message) {
            super("malformed command: " + message);
        }
    }
}
