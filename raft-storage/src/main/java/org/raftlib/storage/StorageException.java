package org.raftlib.storage;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Objects;
import java.util.OptionalLong;

/**
 * Stored data is damaged or inconsistent, or a storage directory cannot be used: a corrupt record, a missing segment,
 * a lock held by another instance. The message names the file and, where it applies, the byte offset and the
 * expected and actual checksums. Raised by {@link FileLogStorage#open} and by reads that find a damaged record; the
 * node must not continue on that directory (fail-stop). {@link #isDamage()} tells the two apart: only damaged data
 * calls for replacing the member; a directory that cannot be used (not writable, locked, another node's, written by
 * a newer release) holds intact data, and is fixed where it stands.
 */
public final class StorageException extends IOException {

    private static final long serialVersionUID = 1L;

    /** The end of a message that refuses a directory for damage: what the operator does next. */
    static final String REPLACE = "; do not start this node on this directory: replace the member (see the README)";

    /** The file concerned; transient because {@link Path} is not serializable. */
    private final transient Path file;
    /** The byte offset in {@code file}, or -1 if none applies. */
    private final long offset;
    private final boolean damage;

    /**
     * Creates an exception about a position in a file.
     *
     * @param message what is wrong
     * @param file the file concerned
     * @param offset the byte offset in {@code file}, or -1 if no single offset applies
     * @throws NullPointerException if {@code message} or {@code file} is null
     */
    public StorageException(String message, Path file, long offset) {
        super(describe(message, file, offset));
        this.file = file;
        this.offset = offset;
        this.damage = true;
    }

    /**
     * Creates an exception about a file, with a cause.
     *
     * @param message what is wrong
     * @param file the file or directory concerned
     * @param cause the underlying failure
     * @throws NullPointerException if {@code message} or {@code file} is null
     */
    public StorageException(String message, Path file, Throwable cause) {
        this(message, file, cause, true);
    }

    private StorageException(String message, Path file, Throwable cause, boolean damage) {
        super(describe(message, file, -1), cause);
        this.file = file;
        this.offset = -1;
        this.damage = damage;
    }

    /**
     * Creates an exception about a directory or file that cannot be used although nothing in it is known damaged:
     * not writable, locked by another instance, another node's, in a format of a newer release.
     *
     * @param message what is wrong, and what to do
     * @param file the file or directory concerned
     * @param cause the underlying failure, or null
     * @return the exception; {@link #isDamage()} is false
     * @throws NullPointerException if {@code message} or {@code file} is null
     */
    public static StorageException unusable(String message, Path file, Throwable cause) {
        return new StorageException(message, file, cause, false);
    }

    private static String describe(String message, Path file, long offset) {
        Objects.requireNonNull(message, "message");
        Objects.requireNonNull(file, "file");
        return offset < 0 ? message + " (file " + file + ")" : message + " (file " + file + ", offset " + offset + ")";
    }

    /** Returns the file or directory concerned. */
    public Path file() {
        return file;
    }

    /**
     * Returns whether stored data is damaged or inconsistent (replace the member: see the README), rather than a
     * directory that cannot be used as it is (see {@link #unusable}).
     */
    public boolean isDamage() {
        return damage;
    }

    /** Returns the byte offset in {@link #file()}, if one applies. */
    public OptionalLong offset() {
        return offset < 0 ? OptionalLong.empty() : OptionalLong.of(offset);
    }
}
