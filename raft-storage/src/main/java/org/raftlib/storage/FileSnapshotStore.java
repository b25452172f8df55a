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
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Stream;
import java.util.zip.CRC32C;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Snapshots as files in one directory, each {@code snapshot-<index, 20 digits>-<term, 20 digits>.snap} with a
 * checksummed header. Written through {@link #begin} to a temporary file, forced, renamed atomically and the
 * directory forced, so a crash leaves either a complete snapshot or none; the newest {@code retain} are kept.
 *
 * <p>File format version 1: a 40-byte header {@code magic:int32 "RSNP" | version:int32 = 1 | index:int64 |
 * term:int64 | length:int64 | payloadCrc32c:int32 | headerCrc32c:int32 of the 36 bytes before}, then the payload.
 *
 * <p><b>Threading.</b> One {@link Writer} at a time (the caller's snapshot thread); {@link #latest()} may be called
 * from any thread. A snapshot deleted by pruning while its stream is open stays readable until the stream closes
 * (POSIX semantics).
 */
public final class FileSnapshotStore {

    static final int HEADER_BYTES = 40;
    private static final int MAGIC = 0x52534E50;   // "RSNP"
    private static final int VERSION = 1;
    private static final String PREFIX = "snapshot-";
    private static final String SUFFIX = ".snap";
    private static final Logger LOG = LoggerFactory.getLogger(FileSnapshotStore.class);

    private final Path dir;
    private final int retain;
    private final FileOps channels;

    private FileSnapshotStore(Path dir, int retain, FileOps channels) {
        this.dir = dir;
        this.retain = retain;
        this.channels = channels;
    }

    /**
     * Opens the store in {@code dir}, keeping the newest 2 snapshots.
     *
     * @param dir the directory, created if needed
     * @return the store
     * @throws IOException if the directory cannot be created or listed
     */
    public static FileSnapshotStore open(Path dir) throws IOException {
        return open(dir, 2);
    }

    /**
     * Opens the store in {@code dir}, deleting temporary files left by a crash during a write.
     *
     * @param dir the directory, created if needed
     * @param retain how many of the newest complete snapshots to keep; at least 1
     * @return the store
     * @throws IllegalArgumentException if {@code retain} is less than 1
     * @throws IOException if the directory cannot be created or listed
     */
    public static FileSnapshotStore open(Path dir, int retain) throws IOException {
        Objects.requireNonNull(dir, "dir");
        if (retain < 1) {
            throw new IllegalArgumentException("retain must be at least 1: " + retain);
        }
        Path directory = dir.toAbsolutePath();
        Files.createDirectories(directory);
        try (Stream<Path> files = Files.list(directory)) {
            for (Path p : files.filter(p -> p.getFileName().toString().endsWith(SUFFIX + AtomicFiles.TEMP_SUFFIX))
                    .toList()) {
                LOG.warn("deleting {} left by a snapshot write that did not finish", p);
                Files.delete(p);
            }
        }
        return new FileSnapshotStore(directory, retain, FileOps.DEFAULT);
    }

    /** Returns the directory. */
    public Path directory() {
        return dir;
    }

    /**
     * Starts writing the snapshot that covers the log up to {@code index}, whose entry has {@code term}. Nothing is
     * visible to {@link #latest()} until {@link Writer#commit()} returns.
     *
     * @param index the last log index the snapshot covers; at least 0
     * @param term the term of that entry; at least 0
     * @return a stream for the snapshot's bytes; close it without committing to abandon the snapshot
     * @throws IllegalArgumentException if {@code index} or {@code term} is negative
     * @throws IOException if the temporary file cannot be created
     */
    public Writer begin(long index, long term) throws IOException {
        if (index < 0 || term < 0) {
            throw new IllegalArgumentException("index and term must not be negative: " + index + ", " + term);
        }
        return new Writer(index, term);
    }

    /**
     * Returns the newest snapshot whose header and payload checksums are valid; damaged ones are skipped with a WARN.
     * Reads each candidate's payload once to check it.
     *
     * @return the newest valid snapshot, or empty if there is none
     * @throws IOException if the directory cannot be listed
     */
    public Optional<StoredSnapshot> latest() throws IOException {
        for (Path file : snapshotsNewestFirst()) {
            try {
                Optional<StoredSnapshot> valid = validate(file);
                if (valid.isPresent()) {
                    return valid;
                }
            } catch (IOException e) {
                LOG.warn("skipping unreadable snapshot {}: {}", file, e.toString());
            }
        }
        return Optional.empty();
    }

    private List<Path> snapshotsNewestFirst() throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(p -> isSnapshotName(p.getFileName().toString()))
                    .sorted(Comparator.comparing((Path p) -> p.getFileName().toString()).reversed())
                    .toList();
        }
    }

    private static boolean isSnapshotName(String name) {
        return name.startsWith(PREFIX) && name.endsWith(SUFFIX) && name.length() == fileName(0, 0).length();
    }

    static String fileName(long index, long term) {
        return String.format("%s%020d-%020d%s", PREFIX, index, term, SUFFIX);
    }

    private Optional<StoredSnapshot> validate(Path file) throws IOException {
        ByteBuffer header = ByteBuffer.allocate(HEADER_BYTES);
        long size;
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            size = channel.size();
            while (header.hasRemaining() && channel.read(header, header.position()) >= 0) {
                continue;
            }
        }
        if (header.hasRemaining() || header.getInt(0) != MAGIC || header.getInt(4) != VERSION
                || header.getInt(36) != RecordCodec.checksum(header, 0, 36)) {
            LOG.warn("skipping snapshot {} with a damaged header", file);
            return Optional.empty();
        }
        long index = header.getLong(8);
        long term = header.getLong(16);
        long length = header.getLong(24);
        if (!file.getFileName().toString().equals(fileName(index, term)) || size != HEADER_BYTES + length) {
            LOG.warn("skipping snapshot {}: header says index {}, term {}, {} bytes, file has {} bytes", file, index,
                    term, length, size);
            return Optional.empty();
        }
        int actual = payloadChecksum(file);
        if (actual != header.getInt(32)) {
            LOG.warn("skipping snapshot {}: payload checksum mismatch: expected crc32c 0x{}, actual 0x{}", file,
                    Integer.toHexString(header.getInt(32)), Integer.toHexString(actual));
            return Optional.empty();
        }
        return Optional.of(new StoredSnapshot(index, term, length, file));
    }

    private static int payloadChecksum(Path file) throws IOException {
        CRC32C crc = new CRC32C();
        byte[] buffer = new byte[64 * 1024];
        try (InputStream in = Files.newInputStream(file)) {
            in.skipNBytes(HEADER_BYTES);
            int n;
            while ((n = in.read(buffer)) > 0) {
                crc.update(buffer, 0, n);
            }
        }
        return (int) crc.getValue();
    }

    private void prune() throws IOException {
        List<Path> all = new ArrayList<>(snapshotsNewestFirst());
        for (Path old : all.subList(Math.min(retain, all.size()), all.size())) {
            Files.deleteIfExists(old);
            LOG.debug("deleted old snapshot {}", old);
        }
    }

    /**
     * A snapshot on disk, checked when {@link #latest()} returned it.
     *
     * @param index the last log index the snapshot covers
     * @param term the term of that entry
     * @param sizeBytes the payload size
     * @param file the snapshot file
     */
    public record StoredSnapshot(long index, long term, long sizeBytes, Path file) {

        /**
         * Opens the payload for reading; the caller closes the stream.
         *
         * @return a buffered stream of the payload bytes
         * @throws IOException if the file cannot be opened (for example, it was pruned since)
         */
        public InputStream open() throws IOException {
            InputStream in = Files.newInputStream(file);
            try {
                in.skipNBytes(HEADER_BYTES);
            } catch (IOException e) {
                in.close();
                throw e;
            }
            return new BufferedInputStream(in);
        }
    }

    /**
     * Receives one snapshot's bytes. Not thread-safe. {@link #commit()} makes it durable and visible; {@link #close()}
     * without a commit abandons it and deletes the temporary file.
     */
    public final class Writer extends OutputStream {

        private final long index;
        private final long term;
        private final Path target;
        private final Path temp;
        private final FileChannel channel;
        private final OutputStream out;
        private final CRC32C crc = new CRC32C();
        private long length;
        private boolean finished;

        private Writer(long index, long term) throws IOException {
            this.index = index;
            this.term = term;
            this.target = dir.resolve(fileName(index, term));
            this.temp = AtomicFiles.tempFor(target);
            this.channel = channels.open(temp, EnumSet.of(StandardOpenOption.CREATE,
                    StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE));
            this.channel.position(HEADER_BYTES);
            this.out = new BufferedOutputStream(Channels.newOutputStream(channel), 64 * 1024);
        }

        /**
         * Writes one byte.
         *
         * @throws IOException if the write fails or the writer is finished
         */
        @Override
        public void write(int b) throws IOException {
            checkOpen();
            out.write(b);
            crc.update(b);
            length++;
        }

        /**
         * Writes {@code len} bytes of {@code b} from {@code off}.
         *
         * @throws IOException if the write fails or the writer is finished
         */
        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            checkOpen();
            out.write(b, off, len);
            crc.update(b, off, len);
            length += len;
        }

        private void checkOpen() throws IOException {
            if (finished) {
                throw new IOException("snapshot writer for " + target + " is already committed or closed");
            }
        }

        /**
         * Writes the header, forces the file, renames it into place atomically, forces the directory and deletes
         * snapshots beyond the newest {@code retain} (a failure to delete is only logged). Durable when it returns.
         *
         * @return the stored snapshot
         * @throws IOException if any step fails; the snapshot is then abandoned
         */
        public StoredSnapshot commit() throws IOException {
            checkOpen();
            finished = true;
            try {
                out.flush();
                ByteBuffer header = ByteBuffer.allocate(HEADER_BYTES);
                header.putInt(MAGIC).putInt(VERSION).putLong(index).putLong(term).putLong(length)
                        .putInt((int) crc.getValue());
                header.putInt(RecordCodec.checksum(header, 0, 36)).flip();
                while (header.hasRemaining()) {
                    channel.write(header, header.position());
                }
                channel.force(true);
                channel.close();
                Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                AtomicFiles.fsyncDirectory(dir, channels);
            } catch (IOException | RuntimeException e) {
                abandon();
                throw e;
            }
            try {
                prune();
            } catch (IOException e) {
                // The new snapshot is durable; an old one left behind is harmless and is pruned next time.
                LOG.warn("could not delete old snapshots in {}: {}", dir, e.toString());
            }
            return new StoredSnapshot(index, term, length, target);
        }

        /**
         * Abandons the snapshot unless it was committed, deleting the temporary file. Idempotent.
         *
         * @throws IOException if the temporary file cannot be deleted
         */
        @Override
        public void close() throws IOException {
            if (!finished) {
                finished = true;
                abandon();
            }
        }

        private void abandon() throws IOException {
            try {
                channel.close();
            } finally {
                Files.deleteIfExists(temp);
            }
        }
    }
}
