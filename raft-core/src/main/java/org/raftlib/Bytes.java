package org.raftlib;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Objects;

/**
 * An immutable byte string. Used wherever a value would otherwise hold a mutable {@code byte[]}.
 *
 * <p>Thread-safe: instances never change after construction.
 */
public final class Bytes {

    /** The empty byte string. */
    public static final Bytes EMPTY = new Bytes(new byte[0]);

    private final byte[] data;

    private Bytes(byte[] data) {
        this.data = data;
    }

    /**
     * Copies {@code data}; later changes to the array do not affect this value.
     *
     * @param data the bytes to copy
     * @return an immutable copy
     * @throws NullPointerException if {@code data} is null
     */
    public static Bytes copyOf(byte[] data) {
        Objects.requireNonNull(data, "data");
        return data.length == 0 ? EMPTY : new Bytes(data.clone());
    }

    /**
     * Takes ownership of {@code data} without copying it. The caller must not change the array afterwards.
     *
     * @param data the bytes; owned by the returned value after the call
     * @return a value backed by {@code data}
     * @throws NullPointerException if {@code data} is null
     */
    public static Bytes wrap(byte[] data) {
        Objects.requireNonNull(data, "data");
        return data.length == 0 ? EMPTY : new Bytes(data);
    }

    /**
     * Copies the remaining bytes of {@code buffer}, advancing its position to its limit.
     *
     * @param buffer the source buffer
     * @return an immutable copy of the remaining bytes
     * @throws NullPointerException if {@code buffer} is null
     */
    public static Bytes copyOf(ByteBuffer buffer) {
        byte[] copy = new byte[buffer.remaining()];
        buffer.get(copy);
        return wrap(copy);
    }

    /** Returns the number of bytes. */
    public int length() {
        return data.length;
    }

    /** Returns {@code true} if this value holds no bytes. */
    public boolean isEmpty() {
        return data.length == 0;
    }

    /**
     * Returns the byte at {@code index}.
     *
     * @param index position in {@code [0, length())}
     * @return the byte
     * @throws IndexOutOfBoundsException if {@code index} is outside the value
     */
    public byte byteAt(int index) {
        return data[index];
    }

    /** Returns a fresh copy of the bytes; the caller owns the returned array. */
    public byte[] toByteArray() {
        return data.clone();
    }

    /** Returns a read-only view of the bytes, positioned at 0; no copy is made. */
    public ByteBuffer asReadOnlyByteBuffer() {
        return ByteBuffer.wrap(data).asReadOnlyBuffer();
    }

    /**
     * Writes the bytes into {@code target} at its position, advancing it.
     *
     * @param target the destination buffer
     * @throws java.nio.BufferOverflowException if {@code target} has less than {@link #length()} bytes remaining
     */
    public void writeTo(ByteBuffer target) {
        target.put(data);
    }

    /**
     * Writes {@code length} bytes starting at {@code offset} to {@code out} without copying them first. The stream
     * sees this value's own array for the duration of the call and must neither change nor keep it (as with
     * {@link java.io.ByteArrayOutputStream#writeTo}); every stream of the JDK obeys this.
     *
     * @param out the destination stream
     * @param offset the first byte to write, in {@code [0, length()]}
     * @param length how many bytes to write
     * @throws IndexOutOfBoundsException if the range lies outside this value
     * @throws IOException if {@code out} throws it
     */
    public void writeTo(OutputStream out, int offset, int length) throws IOException {
        Objects.checkFromIndexSize(offset, length, data.length);
        out.write(data, offset, length);
    }

    /**
     * Copies {@code length} bytes starting at {@code offset} into {@code target} at {@code targetOffset}.
     *
     * @param offset the first byte to copy
     * @param target the destination array
     * @param targetOffset where the first byte goes in {@code target}
     * @param length how many bytes to copy
     * @throws IndexOutOfBoundsException if either range lies outside its array
     */
    public void copyTo(int offset, byte[] target, int targetOffset, int length) {
        Objects.checkFromIndexSize(offset, length, data.length);
        Objects.checkFromIndexSize(targetOffset, length, target.length);
        System.arraycopy(data, offset, target, targetOffset, length);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Bytes other && Arrays.equals(data, other.data);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(data);
    }

    @Override
    public String toString() {
        return "Bytes[" + data.length + "]";
    }
}
