package org.raftlib.storage;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * An exclusive lock on a storage directory, held through {@link FileChannel#tryLock()} on its {@code lock} file for
 * as long as the storage is open, so that two instances (in one process or two) never write the same directory.
 *
 * <p>File locks belong to the process, and on Linux closing <em>any</em> channel of the lock file releases the
 * process's lock. So a second attempt from the same process must never open the file: {@link #HELD} records the
 * directories this process holds and is checked first. It is the one piece of static mutable state in the module,
 * because what it mirrors (the kernel's lock table) is itself per process.
 */
final class DirectoryLock implements AutoCloseable {

    static final String NAME = "lock";

    /** Real paths of the directories locked by this process. */
    private static final Set<Path> HELD = ConcurrentHashMap.newKeySet();

    private final Path key;

    private final FileChannel channel;
    private final FileLock lock;

    private DirectoryLock(Path key, FileChannel channel, FileLock lock) {
        this.key = key;
        this.channel = channel;
        this.lock = lock;
    }

    /**
     * Takes the lock of {@code dir}.
     *
     * @throws StorageException if another instance holds it
     */
    static DirectoryLock acquire(Path dir) throws IOException {
        Path file = dir.resolve(NAME);
        Path key = dir.toRealPath();
        if (!HELD.add(key)) {
            throw StorageException.unusable("storage directory is already in use by another open storage in this"
                    + " process", file, null);
        }
        FileChannel channel = null;
        try {
            channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            FileLock lock = channel.tryLock();
            if (lock == null) {
                throw StorageException.unusable("storage directory is already in use by another process", file, null);
            }
            return new DirectoryLock(key, channel, lock);
        } catch (IOException | RuntimeException e) {
            HELD.remove(key);
            if (channel != null) {
                channel.close();
            }
            throw e;
        }
    }

    @Override
    public void close() throws IOException {
        try {
            lock.release();
        } finally {
            try {
                channel.close();
            } finally {
                HELD.remove(key);
            }
        }
    }
}
