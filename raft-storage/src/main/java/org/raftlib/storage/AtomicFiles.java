package org.raftlib.storage;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.EnumSet;

/**
 * Durable whole-file replacement and directory fsync. A crash during {@link #replace} leaves the old file or the new
 * one under the target name, never a mix: the new content is complete and forced in a temporary file before an
 * atomic rename, and the directory is forced after it.
 */
final class AtomicFiles {

    /** Suffix of the temporary file next to the target. */
    static final String TEMP_SUFFIX = ".tmp";

    private AtomicFiles() {
    }

    /** Returns the temporary file {@link #replace} writes before renaming it to {@code target}. */
    static Path tempFor(Path target) {
        return target.resolveSibling(target.getFileName() + TEMP_SUFFIX);
    }

    /** Replaces {@code target} with {@code content}: write temp, fsync, rename (ATOMIC_MOVE), fsync directory. */
    static void replace(Path target, ByteBuffer content, FileOps ops) throws IOException {
        Path temp = tempFor(target);
        try (FileChannel channel = ops.open(temp, EnumSet.of(StandardOpenOption.CREATE,
                StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE))) {
            long position = 0;
            while (content.hasRemaining()) {
                position += channel.write(content, position);
            }
            channel.force(true);
        } catch (IOException e) {
            throw naming(e, "cannot write " + temp);
        }
        ops.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        fsyncDirectory(target.toAbsolutePath().getParent(), ops);
    }

    /** Reads the whole of {@code file}; a failure names it (a directory in its place reads "Is a directory"). */
    static byte[] read(Path file) throws IOException {
        try {
            return Files.readAllBytes(file);
        } catch (IOException e) {
            throw naming(e, "cannot read " + file);
        }
    }

    /**
     * Returns {@code e} with {@code what} (naming the file) in its message, unless it names a file already (a
     * {@link FileSystemException} or a {@link StorageException} does): a full disk's "No space left on device" alone
     * does not say where (an outside probe's node reported only that when it could not start).
     */
    static IOException naming(IOException e, String what) {
        if (e instanceof FileSystemException || e instanceof StorageException) {
            return e;
        }
        return new IOException(what + ": " + (e.getMessage() != null ? e.getMessage() : e.toString()), e);
    }

    /** Forces the directory itself, so that creates, renames and deletes in it are durable. */
    static void fsyncDirectory(Path dir, FileOps ops) throws IOException {
        try (FileChannel channel = ops.open(dir, EnumSet.of(StandardOpenOption.READ))) {
            channel.force(true);
        }
    }
}
