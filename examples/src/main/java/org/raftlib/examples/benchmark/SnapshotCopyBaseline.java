package org.raftlib.examples.benchmark;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import java.util.zip.CRC32C;

/**
 * The floor {@link SnapshotInstallBenchmark} is judged against: the same bytes through the same steps with no Raft,
 * no Netty and no framing. A file of {@code --mib} MiB written and forced as the leader writes its snapshot, then,
 * timed: one thread reads it in 1 MiB pieces into a heap array, checksums them and writes them to a loopback TCP
 * socket; another reads the socket, copies each piece into a heap array, checksums it, writes it to a second file
 * and forces it; then the second file is read back and checksummed (the restore). Prints MB/s and the ratio to the
 * disk's sequential write speed, probed before and after as in {@link SnapshotInstallBenchmark}, so that the two
 * programs, run alternately in one sitting, show how much of the install's time is the machine's and how much
 * raftlib's.
 *
 * <p>Usage: {@code SnapshotCopyBaseline [--mib=1024] [--dir=PATH]}.
 */
public final class SnapshotCopyBaseline {

    private static final int PIECE = 1 << 20;

    private SnapshotCopyBaseline() {
    }

    /**
     * Runs the baseline.
     *
     * @param args {@code --mib=N}, {@code --dir=PATH}
     * @throws Exception if a file or the socket fails
     */
    public static void main(String[] args) throws Exception {
        BenchArgs parsed = BenchArgs.parse(args, List.of("mib", "dir"), List.of());
        int mib = parsed.integer("mib", 1024);
        Path parent = parsed.directory("dir");
        Path dir = Files.createTempDirectory(parent, "raftlib-copy-");
        try {
            run(dir, (long) mib << 20);
        } finally {
            WriteBenchmark.deleteTree(dir);
        }
    }

    /** Runs one measurement in {@code dir}; returns the copy's MB/s. */
    static double run(Path dir, long bytes) throws Exception {
        double before = SnapshotInstallBenchmark.diskWriteMbps(dir.resolve("disk-probe"), bytes);
        Path source = dir.resolve("source");
        Path target = dir.resolve("target");
        writeSource(source, bytes);
        long start = System.nanoTime();
        long sent = copyOverLoopback(source, target, bytes);
        long restored = checksum(target);
        double seconds = (System.nanoTime() - start) / 1e9;
        if (sent != restored) {
            throw new IllegalStateException("the copy's checksum " + restored + " is not the source's " + sent);
        }
        Files.delete(source);
        Files.delete(target);
        double after = SnapshotInstallBenchmark.diskWriteMbps(dir.resolve("disk-probe"), bytes);
        double disk = (before + after) / 2;
        double mbps = bytes / 1e6 / seconds;
        System.out.printf("disk      : %.1f MB/s before, %.1f MB/s after; the mean, %.1f MB/s, is the reference%n",
                before, after, disk);
        System.out.printf("copy      : %d MiB file -> loopback socket -> file, forced, read back in %.2f s: "
                + "%.1f MB/s = %.2f x the disk's write speed%n", bytes >> 20, seconds, mbps, mbps / disk);
        return mbps;
    }

    private static void writeSource(Path file, long bytes) throws IOException {
        ByteBuffer piece = ByteBuffer.allocateDirect(PIECE);
        for (int i = 0; i < PIECE; i++) {
            piece.put(i, (byte) (i * 31 + 7));
        }
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            for (long written = 0; written < bytes; written += PIECE) {
                piece.clear();
                while (piece.hasRemaining()) {
                    ch.write(piece);
                }
            }
            ch.force(true);
        }
    }

    /** Streams {@code source} to {@code target} over a loopback connection; returns the sender's checksum. */
    private static long copyOverLoopback(Path source, Path target, long bytes) throws Exception {
        AtomicReference<Long> sentCrc = new AtomicReference<>();
        try (ServerSocketChannel server = ServerSocketChannel.open()) {
            server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            Thread sender = new Thread(() -> sentCrc.set(send(source, server.socket().getLocalSocketAddress())),
                    "copy-sender");
            sender.start();
            try (SocketChannel in = server.accept();
                    FileChannel out = FileChannel.open(target, StandardOpenOption.CREATE_NEW,
                            StandardOpenOption.WRITE)) {
                ByteBuffer buffer = ByteBuffer.allocateDirect(PIECE);
                byte[] piece = new byte[PIECE];
                CRC32C crc = new CRC32C();
                long received = 0;
                while (received < bytes) {
                    buffer.clear();
                    int n = in.read(buffer);
                    if (n < 0) {
                        throw new IOException("the sender closed after " + received + " bytes");
                    }
                    buffer.flip().get(piece, 0, n);
                    crc.update(piece, 0, n);
                    ByteBuffer wrapped = ByteBuffer.wrap(piece, 0, n);
                    while (wrapped.hasRemaining()) {
                        out.write(wrapped);
                    }
                    received += n;
                }
                out.force(true);
            }
            sender.join();
        }
        if (sentCrc.get() == null) {
            throw new IllegalStateException("the sender failed");
        }
        return sentCrc.get();
    }

    private static long send(Path source, java.net.SocketAddress to) {
        try (SocketChannel out = SocketChannel.open(to);
                FileChannel in = FileChannel.open(source, StandardOpenOption.READ)) {
            ByteBuffer read = ByteBuffer.allocate(PIECE);
            ByteBuffer write = ByteBuffer.allocateDirect(PIECE);
            CRC32C crc = new CRC32C();
            while (in.read(read.clear()) > 0) {
                read.flip();
                crc.update(read.array(), 0, read.limit());
                write.clear().put(read).flip();
                while (write.hasRemaining()) {
                    out.write(write);
                }
            }
            return crc.getValue();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static long checksum(Path file) throws IOException {
        CRC32C crc = new CRC32C();
        try (FileChannel in = FileChannel.open(file, StandardOpenOption.READ)) {
            ByteBuffer read = ByteBuffer.allocate(PIECE);
            while (in.read(read.clear()) > 0) {
                crc.update(read.array(), 0, read.position());
            }
        }
        return crc.getValue();
    }
}
