package org.raftlib;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Optional;

/**
 * Durable storage for a node's snapshots (Raft thesis chapter 5). raftlib writes one snapshot at a time, from its
 * snapshot thread, and reads them from any thread.
 *
 * <p><b>Durability.</b> A snapshot becomes visible to {@link #latest()} only when {@link Writer#commit()} returns,
 * and is durable then with its metadata (data, checksum, directory entry): raftlib compacts the log it covers, or
 * resets the log to it, only afterwards. A crash leaves the previous snapshot or the new one, never a mix. Every
 * field of the {@link SnapshotMeta} is stored and read back as given, the configuration and its index included.
 *
 * <p><b>Damage.</b> {@link #latest()} returns the newest snapshot that verifies; a damaged or partial one is skipped
 * (with a WARN) in favour of an older one. A stream from {@link #read} throws {@link IOException} at its end if the
 * bytes read do not match the checksum stored with them.
 *
 * @see org.raftlib.local.InMemorySnapshotStore
 */
public interface SnapshotStore extends AutoCloseable {

    /**
     * Returns the newest complete snapshot that verifies.
     *
     * @return its metadata, or empty if there is none
     * @throws IOException if the store cannot be read
     */
    Optional<SnapshotMeta> latest() throws IOException;

    /**
     * Opens the state of a snapshot that {@link #latest()} returned.
     *
     * @param meta the snapshot
     * @return the state machine's bytes; the caller closes the stream
     * @throws IOException if the snapshot is gone or cannot be read
     */
    InputStream read(SnapshotMeta meta) throws IOException;

    /**
     * Starts a new snapshot.
     *
     * @param meta what it covers ({@code sizeBytes} and {@code createdMillis} are filled in by the commit)
     * @return a writer; close it without committing to abandon the snapshot
     * @throws IOException if it cannot be started
     */
    Writer write(SnapshotMeta meta) throws IOException;

    /**
     * Releases files and memory. Idempotent.
     *
     * @throws IOException if releasing a resource fails
     */
    @Override
    void close() throws IOException;

    /** A snapshot being written. */
    interface Writer extends AutoCloseable {

        /** Returns the stream for the state machine's bytes. */
        OutputStream stream();

        /**
         * Makes the snapshot durable and visible, and prunes old ones as the store's retention says.
         *
         * @return the metadata as stored, with size and time filled in
         * @throws IOException if it cannot be made durable; nothing becomes visible then
         */
        SnapshotMeta commit() throws IOException;

        /** Abandons the snapshot unless it was committed. Idempotent. */
        @Override
        void close();
    }
}
