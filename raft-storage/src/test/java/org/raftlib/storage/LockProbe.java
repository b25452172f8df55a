package org.raftlib.storage;

import java.nio.file.Path;

/** Run in a child JVM by {@link DirectoryLockTest}: exits 0 if it could open the storage in args[0], 3 if locked. */
final class LockProbe {

    private LockProbe() {
    }

    public static void main(String[] args) throws Exception {
        try (FileLogStorage s = FileLogStorage.open(Path.of(args[0]))) {
            System.exit(0);
        } catch (StorageException e) {
            System.exit(e.getMessage().contains("already in use") ? 3 : 4);
        }
    }
}
