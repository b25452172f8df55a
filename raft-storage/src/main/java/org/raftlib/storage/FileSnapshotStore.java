package org.raftlib.storage;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.Predicate;
import java.util.stream.Stream;
import java.util.zip.CRC32C;
import org.raftlib.SnapshotMeta;
import org.raftlib.SnapshotStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link SnapshotStore} of files in one directory, each {@code snapshot-<index, 20 digits>-<term, 20 digits>.snap}:
 * a checksummed header holding the {@link SnapshotMeta} (index, term, cluster configuration and its entry's index,
 * payload length, creation time) and the payload's CRC32C, then the payload (format version 4, see
 * {@link SnapshotCodec}; files of version 3 are read with the configuration at the snapshot's index, files of
 * version 2, which store only the voters, with a configuration of those voters). Snapshots are streamed in both
 * directions through 64 KiB buffers; none is ever held in memory whole.
 *
 * <p><b>Durability.</b> A {@link Writer} writes to {@code <name>.tmp}; {@link Writer#commit()} writes the header,
 * forces the file, renames it into place atomically and fsyncs the directory, so a crash leaves the previous snapshot
 * or the new one. The commit then deletes any other snapshot at the same index and all but the newest
 * {@code retain} by index whose header checks out (a newer snapshot is never deleted for an older one committed
 * later; a damaged or foreign file named like a snapshot is neither counted nor deleted), and fsyncs the directory
 * again. Temporary files left by a crash are deleted at open (WARN), and
 * {@link #latest()} never looks at them.
 *
 * <p><b>Damage.</b> {@link #latest()} checks the newest snapshot's header and reads its whole payload to check its
 * checksum (one sequential read per call), falling back to older ones with a WARN for each that is torn, truncated,
 * damaged (a configuration that does not decode included) or unreadable. Files of format version 1 (written by this
 * class's previous API, which nothing in raftlib used) are skipped the same way: they carry no configuration, which a
 * restored node needs. A stream from {@link #read} throws a {@link StorageException} with the read that reaches the
 * payload's end if the bytes do not match.
 *
 * <p><b>Threading.</b> Thread-safe. One {@link Writer} at a time (raftlib's snapshot thread); {@link #latest()} and
 * {@link #read} from any thread. A snapshot deleted while a stream of it is open stays readable until the stream
 * closes (POSIX semantics). Used by one store instance per directory, of one node: unlike {@link FileLogStorage}
 * the store does not lock its directory (a tool may open it to read a node's snapshots), so two nodes given the same
 * directory would delete each other's snapshots. Give each node its own, apart from its log's (for example
 * {@code <data>/snapshots} beside the log in {@code <data>}).
 */
public final class FileSnapshotStore implements SnapshotStore {

    /** Snapshots kept by {@link #open(Path)}. */
    public static final int DEFAULT_RETAIN = 2;

    private static final int BUFFER_BYTES = 64 * 1024;
    private static final String PREFIX = "snapshot-";
    private static final String SUFFIX = ".snap";
    private static final Logger LOG = LoggerFactory.getLogger(FileSnapshotStore.class);

    private final Path dir;
    private final int retain;
    private final FileOps ops;
    private volatile boolean closed;

    private FileSnapshotStore(Path dir, int retain, FileOps ops) {
        this.dir = dir;
        this.retain = retain;
        this.ops = ops;
    }

    /**
     * Opens the store in {@code dir}, keeping the newest {@value #DEFAULT_RETAIN} snapshots.
     *
     * @param dir the directory, created if needed
     * @return the store
     * @throws NullPointerException if {@code dir} is null
     * @throws IOException if the directory cannot be created or listed, or a temporary file cannot be deleted
     */
    public static FileSnapshotStore open(Path dir) throws IOException {
        return open(dir, DEFAULT_RETAIN);
    }

    /**
     * Opens the store in {@code dir}, deleting temporary files left by a crash during a write.
     *
     * @param dir the directory, created if needed
     * @param retain how many of the newest snapshots to keep after each commit; at least 1
     * @return the store
     * @throws NullPointerException if {@code dir} is null
     * @throws IllegalArgumentException if {@code retain} is less than 1
     * @throws IOException if the directory cannot be created, listed or written to, or a temporary file cannot be
     *     deleted
     */
    public static FileSnapshotStore open(Path dir, int retain) throws IOException {
        return open(dir, retain, FileOps.DEFAULT);
    }

    static FileSnapshotStore open(Path dir, int retain, FileOps ops) throws IOException {
        Objects.requireNonNull(dir, "dir");
        if (retain < 1) {
            throw new IllegalArgumentException("retain must be at least 1: " + retain);
        }
        Path directory = dir.toAbsolutePath();
        Files.createDirectories(directory);
        for (Path p : list(directory, name -> name.endsWith(SUFFIX + AtomicFiles.TEMP_SUFFIX))) {
            LOG.warn("deleting {} left by a snapshot write that did not finish", p);
            ops.deleteIfExists(p);
        }
        checkWritable(directory, ops);
        return new FileSnapshotStore(directory, retain, ops);
    }

    /**
     * Creates and deletes a file in {@code directory}: a store that cannot write would open, and every snapshot
     * would then fail with a WARN while the node reads ready and its log grows (outside probe).
     */
    private static void checkWritable(Path directory, FileOps ops) throws IOException {
        Path probe = directory.resolve("write-check" + AtomicFiles.TEMP_SUFFIX);
        try {
            ops.open(probe, Set.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE)).close();
            ops.delete(probe);
        } catch (IOException e) {
            throw new IOException("the snapshot directory " + directory + " is not writable (snapshots could not be"
                    + " taken or installed): " + e, e);
        }
    }

    /** Returns the directory. */
    public Path directory() {
        return dir;
    }

    /** Names the directory, for messages. */
    @Override
    public String toString() {
        return "FileSnapshotStore[" + dir + "]";
    }

    /**
     * {@inheritDoc} Reads the whole payload of each snapshot it checks.
     *
     * @throws IOException if the directory cannot be listed
     * @throws IllegalStateException if the store is closed
     */
    @Override
    public Optional<SnapshotMeta> latest() throws IOException {
        checkOpen();
        for (Path file : snapshotsNewestFirst()) {
            try (SnapshotFile snapshot = SnapshotFile.open(file, ops)) {
                byte[] buffer = new byte[BUFFER_BYTES];
                while (snapshot.payload().read(buffer) >= 0) {
                    continue;
                }
                return Optional.of(snapshot.meta());
            } catch (NoSuchFileException e) {
                LOG.debug("snapshot {} was deleted while being checked", file);
            } catch (IOException e) {
                LOG.warn("skipping snapshot {}: {}", file, e.toString());
            }
        }
        return Optional.empty();
    }

    /**
     * {@inheritDoc} The stream is buffered; the read that reaches the end of the payload throws a
     * {@link StorageException} if the payload does not match its checksum (and so does every later read).
     *
     * @throws java.nio.file.NoSuchFileException if the snapshot's file is gone
     * @throws StorageException if the file's header is damaged, or the file is torn or truncated
     * @throws IOException if the file cannot be opened or read
     * @throws NullPointerException if {@code meta} is null
     * @throws IllegalStateException if the store is closed
     */
    @Override
    public InputStream read(SnapshotMeta meta) throws IOException {
        Objects.requireNonNull(meta, "meta");
        checkOpen();
        return SnapshotFile.open(dir.resolve(fileName(meta.index(), meta.term())), ops).payload();
    }

    /**
     * {@inheritDoc} Creates the temporary file {@code <name>.tmp} for it, replacing one left by an abandoned write of
     * the same snapshot.
     *
     * @throws IOException if the temporary file cannot be created
     * @throws NullPointerException if {@code meta} is null
     * @throws IllegalArgumentException if the cluster configuration would make a header larger than 1 MiB, or cannot
     *     be encoded
     * @throws IllegalStateException if the store is closed
     */
    @Override
    public Writer write(SnapshotMeta meta) throws IOException {
        Objects.requireNonNull(meta, "meta");
        checkOpen();
        long headerBytes = SnapshotCodec.headerBytes(meta.config().encode().length);
        if (headerBytes > SnapshotCodec.MAX_HEADER_BYTES) {
            throw new IllegalArgumentException("a configuration of " + meta.config().members().size()
                    + " members needs a header of " + headerBytes + " bytes, more than "
                    + SnapshotCodec.MAX_HEADER_BYTES);
        }
        return new FileWriter(meta, (int) headerBytes);
    }

    /** Marks the store closed; later calls throw {@link IllegalStateException}. Holds no open file. Idempotent. */
    @Override
    public void close() {
        closed = true;
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("snapshot store " + dir + " is closed");
        }
    }

    static String fileName(long index, long term) {
        return String.format("%s%020d-%020d%s", PREFIX, index, term, SUFFIX);
    }

    private static boolean isSnapshotName(String name) {
        return name.startsWith(PREFIX) && name.endsWith(SUFFIX) && name.length() == fileName(0, 0).length();
    }

    private List<Path> snapshotsNewestFirst() throws IOException {
        return list(dir, FileSnapshotStore::isSnapshotName).stream()
                .sorted(Comparator.comparing((Path p) -> p.getFileName().toString()).reversed()).toList();
    }

    private static List<Path> list(Path directory, Predicate<String> names) throws IOException {
        try (Stream<Path> files = Files.list(directory)) {
            return files.filter(p -> names.test(p.getFileName().toString())).toList();
        }
    }

    /**
     * Deletes any other snapshot at {@code kept}'s index, then all but the newest {@code retain} (by index) of those
     * whose header checks out, and makes the deletions durable. A newer snapshot is never deleted for an older one
     * committed after it (a follower may receive a leader's snapshot while it takes its own): its log may already be
     * compacted behind the newer. A file named like a snapshot whose header does not check (damaged, torn, foreign)
     * neither counts nor is deleted: counted, it pushed the snapshot just committed out of the retained set, and the
     * log was then compacted behind a snapshot that no longer existed. {@link #latest()} skips such a file with a WARN.
     */
    private void prune(SnapshotMeta kept) throws IOException {
        String keptName = fileName(kept.index(), kept.term());
        String sameIndexFrom = fileName(kept.index(), 0);
        String sameIndexTo = fileName(kept.index() + 1, 0);
        int newer = 0;
        for (Path p : snapshotsNewestFirst()) {
            String name = p.getFileName().toString();
            if (!name.equals(keptName) && name.compareTo(sameIndexFrom) >= 0 && name.compareTo(sameIndexTo) < 0) {
                LOG.info("deleting snapshot {}: a snapshot at index {} replaces it", p, kept.index());
                ops.deleteIfExists(p);
                newer++;
            }
        }
        int counted = 0;
        boolean cut = false;
        for (Path p : snapshotsNewestFirst()) {
            if (!hasValidHeader(p)) {
                continue;
            }
            if (++counted > retain) {
                ops.deleteIfExists(p);
                cut = true;
                LOG.debug("deleted old snapshot {}", p);
            }
        }
        if (newer > 0 || cut) {
            AtomicFiles.fsyncDirectory(dir, ops);
        }
    }

    private boolean hasValidHeader(Path file) {
        try (SnapshotFile snapshot = SnapshotFile.open(file, ops)) {
            return snapshot.meta().index() >= 0;
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /** One snapshot being written: to a temporary file, through a checksumming buffered stream. */
    private final class FileWriter implements Writer {

        private final SnapshotMeta meta;
        private final Path target;
        private final Path temp;
        private final FileChannel channel;
        private final PayloadStream stream;
        private final WriteBehind writeBehind;
        private boolean done;

        FileWriter(SnapshotMeta meta, int headerBytes) throws IOException {
            this.meta = meta;
            this.target = dir.resolve(fileName(meta.index(), meta.term()));
            this.temp = AtomicFiles.tempFor(target);
            this.channel = ops.open(temp, EnumSet.of(StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                    StandardOpenOption.WRITE));
            try {
                channel.position(headerBytes);
            } catch (IOException | RuntimeException e) {
                channel.close();
                ops.deleteIfExists(temp);
                throw e;
            }
            this.writeBehind = new WriteBehind(channel);
            this.stream = new PayloadStream(new BufferedOutputStream(Channels.newOutputStream(channel), BUFFER_BYTES),
                    writeBehind, temp);
        }

        @Override
        public OutputStream stream() {
            return stream;
        }

        /**
         * {@inheritDoc} Writes the header, forces the file, renames it into place, fsyncs the directory, then prunes
         * (see the class comment). Durable when it returns. A failure to delete an older snapshot is only logged.
         *
         * @throws IOException if writing, forcing, renaming or the directory fsync fails (the temporary file is then
         *     deleted), or deleting a snapshot at the same index or later fails
         * @throws IllegalStateException if the writer was committed or closed, or the store is closed
         */
        @Override
        public SnapshotMeta commit() throws IOException {
            if (done) {
                throw new IllegalStateException("snapshot writer for " + target + " is already committed or closed");
            }
            done = true;
            SnapshotMeta stored;
            try {
                checkOpen();
                stream.finish();
                writeBehind.awaitAndCheck();
                stored = meta.completed(stream.length(), System.currentTimeMillis());
                ByteBuffer header = SnapshotCodec.encode(stored, stream.crc());
                while (header.hasRemaining()) {
                    channel.write(header, header.position());
                }
                channel.force(true);
                channel.close();
                ops.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                AtomicFiles.fsyncDirectory(dir, ops);
            } catch (IOException | RuntimeException e) {
                abandon(e);
                throw e;
            }
            try {
                prune(stored);
            } catch (IOException e) {
                LOG.warn("could not delete other snapshots in {}: {}", dir, e.toString());
                if (latestName().filter(fileName(stored.index(), stored.term())::equals).isEmpty()) {
                    throw new IOException("snapshot " + target + " is durable, but a later one could not be deleted",
                            e);
                }
            }
            LOG.debug("snapshot {} committed: index {}, term {}, {} bytes", target.getFileName(), stored.index(),
                    stored.term(), stored.sizeBytes());
            return stored;
        }

        private Optional<String> latestName() throws IOException {
            return snapshotsNewestFirst().stream().findFirst().map(p -> p.getFileName().toString());
        }

        /** Abandons the snapshot unless it was committed, deleting the temporary file. Idempotent. */
        @Override
        public void close() {
            if (!done) {
                done = true;
                abandon(null);
            }
        }

        /** Closes and deletes the temporary file; a failure is logged (the next open deletes the file). */
        private void abandon(Exception cause) {
            stream.finishQuietly();
            writeBehind.awaitQuietly();
            try {
                channel.close();
                ops.deleteIfExists(temp);
            } catch (IOException e) {
                if (cause != null) {
                    cause.addSuppressed(e);
                }
                LOG.warn("could not delete {} of an abandoned snapshot; the next open deletes it: {}", temp,
                        e.toString());
            }
        }
    }

    /** The payload's stream: counts and checksums the bytes; closing it only flushes. */
    private static final class PayloadStream extends OutputStream {

        private final OutputStream out;
        private final WriteBehind writeBehind;
        private final Path file;
        private final CRC32C crc = new CRC32C();
        private long length;
        private boolean closed;
        private boolean finished;

        PayloadStream(OutputStream out, WriteBehind writeBehind, Path file) {
            this.out = out;
            this.writeBehind = writeBehind;
            this.file = file;
        }

        @Override
        public void write(int b) throws IOException {
            checkWritable();
            out.write(b);
            crc.update(b);
            length++;
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            Objects.checkFromIndexSize(off, len, b.length);
            checkWritable();
            try {
                for (int done = 0; done < len; ) {              // keeps the JDK's temporary direct buffers small
                    int n = Math.min(BUFFER_BYTES, len - done);
                    out.write(b, off + done, n);
                    done += n;
                }
            } catch (IOException e) {
                throw AtomicFiles.naming(e, "cannot write the snapshot file " + file);
            }
            crc.update(b, off, len);
            length += len;
            writeBehind.afterWrite(length, out);
        }

        private void checkWritable() throws IOException {
            if (finished) {
                throw new IOException("the snapshot writer was committed or closed");
            }
            if (closed) {
                throw new IOException("the snapshot stream is closed");
            }
        }

        @Override
        public void flush() throws IOException {
            if (!finished) {
                out.flush();
            }
        }

        /** Flushes; the writer stays open for {@link Writer#commit()}. */
        @Override
        public void close() throws IOException {
            if (!closed && !finished) {
                out.flush();
            }
            closed = true;
        }

        /** Flushes the last bytes and refuses more. */
        void finish() throws IOException {
            if (!finished) {
                out.flush();
                finished = true;
            }
        }

        void finishQuietly() {
            finished = true;
        }

        long length() {
            return length;
        }

        int crc() {
            return (int) crc.getValue();
        }
    }

    /**
     * Starts writing back what a snapshot writer has written every {@link #EVERY_BYTES}, on a short-lived background
     * thread ({@code force(false)}), so that the disk writes while the snapshot is still being produced or received and
     * the final force at commit has little left to do. A failed write-back fails the commit (a later fsync may not
     * report an error an earlier one consumed).
     */
    private static final class WriteBehind {

        static final long EVERY_BYTES = 64L << 20;

        private final FileChannel channel;
        private volatile IOException error;
        private Thread running;
        private long requestedAt;

        WriteBehind(FileChannel channel) {
            this.channel = channel;
        }

        /** {@code written} payload bytes are in {@code out}; starts a write-back if one is due and none is running. */
        void afterWrite(long written, OutputStream out) throws IOException {
            if (written - requestedAt < EVERY_BYTES || (running != null && running.isAlive())) {
                return;
            }
            out.flush();
            requestedAt = written;
            running = new Thread(() -> {
                try {
                    channel.force(false);
                } catch (IOException e) {
                    error = e;
                }
            }, "raft-snapshot-writeback");
            running.setDaemon(true);
            running.start();
        }

        /** Waits for the running write-back; throws what any write-back failed with. */
        void awaitAndCheck() throws IOException {
            awaitQuietly();
            if (error != null) {
                throw new IOException("writing back the snapshot failed", error);
            }
        }

        void awaitQuietly() {
            if (running == null) {
                return;
            }
            boolean interrupted = false;
            while (running.isAlive()) {
                try {
                    running.join();
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** One snapshot file opened for reading: its checked header, and a stream of its payload. */
    private record SnapshotFile(SnapshotMeta meta, SnapshotInputStream payload) implements AutoCloseable {

        static SnapshotFile open(Path file, FileOps ops) throws IOException {
            FileChannel channel = ops.open(file, EnumSet.of(StandardOpenOption.READ));
            try {
                SnapshotCodec.Header header = SnapshotCodec.read(channel, file);
                SnapshotMeta meta = header.meta();
                if (!file.getFileName().toString().equals(fileName(meta.index(), meta.term()))) {
                    throw new StorageException("header says index " + meta.index() + ", term " + meta.term()
                            + ": not this file's", file, 0);
                }
                channel.position(header.headerBytes());
                InputStream in = new BufferedInputStream(Channels.newInputStream(channel), BUFFER_BYTES);
                return new SnapshotFile(meta, new SnapshotInputStream(in, file, header.headerBytes(),
                        meta.sizeBytes(), header.payloadCrc(), BUFFER_BYTES));
            } catch (IOException | RuntimeException e) {
                channel.close();
                throw e;
            }
        }

        @Override
        public void close() throws IOException {
            payload.close();
        }
    }
}
