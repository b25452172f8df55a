package org.raftlib.storage;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.CopyOption;
import java.nio.file.Files;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.util.Set;

/**
 * The file-system calls through which the storage changes a directory: opening channels (which write, truncate and
 * force), renames and deletions. The seam through which tests inject failures and record every call to enumerate
 * crash states; production code uses {@link #DEFAULT}, which calls {@link FileChannel} and {@link Files} directly.
 */
@FunctionalInterface
interface FileOps {

    /** Opens channels with {@link FileChannel#open(Path, Set, java.nio.file.attribute.FileAttribute[])}. */
    FileOps DEFAULT = FileChannel::open;

    /** Opens {@code path} with {@code options}. */
    FileChannel open(Path path, Set<? extends OpenOption> options) throws IOException;

    /** Renames {@code source} to {@code target}, as {@link Files#move} does. */
    default void move(Path source, Path target, CopyOption... options) throws IOException {
        Files.move(source, target, options);
    }

    /** Deletes {@code path}, as {@link Files#delete} does. */
    default void delete(Path path) throws IOException {
        Files.delete(path);
    }

    /** Deletes {@code path} if it exists, as {@link Files#deleteIfExists} does. */
    default boolean deleteIfExists(Path path) throws IOException {
        return Files.deleteIfExists(path);
    }
}
