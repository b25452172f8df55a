package org.raftlib.storage;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.Objects;
import java.util.zip.CRC32C;

/**
 * The payload of one snapshot file, read through a buffer and checked against its CRC32C: the read that delivers the
 * last byte, and every read after it, throws a {@link StorageException} if the bytes do not match; a file that ends
 * before the payload does throws as well. Each read takes at most {@code chunkBytes} from the file, so neither this
 * stream nor the JDK's temporary buffers ever hold much more than that. Not thread-safe.
 */
final class SnapshotInputStream extends InputStream {

    private final InputStream in;
    private final Path file;
    private final long offset;
    private final int expectedCrc;
    private final int chunkBytes;
    private final CRC32C crc = new CRC32C();
    private final byte[] one = new byte[1];
    private long remaining;
    private boolean damaged;

    /**
     * @param in the file, buffered, positioned at the payload's first byte {@code offset}; closed with this stream
     * @param length the payload's length
     */
    SnapshotInputStream(InputStream in, Path file, long offset, long length, int expectedCrc, int chunkBytes) {
        this.in = in;
        this.file = file;
        this.offset = offset;
        this.remaining = length;
        this.expectedCrc = expectedCrc;
        this.chunkBytes = chunkBytes;
    }

    @Override
    public int read() throws IOException {
        int n = read(one, 0, 1);
        return n < 0 ? -1 : one[0] & 0xFF;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        Objects.checkFromIndexSize(off, len, b.length);
        if (remaining == 0) {
            check();
            return -1;
        }
        if (len == 0) {
            return 0;
        }
        int n = in.read(b, off, (int) Math.min(Math.min(len, chunkBytes), remaining));
        if (n < 0) {
            throw new StorageException("snapshot payload ends " + remaining + " bytes early", file, -1);
        }
        crc.update(b, off, n);
        remaining -= n;
        if (remaining == 0) {
            check();
        }
        return n;
    }

    private void check() throws StorageException {
        int actual = (int) crc.getValue();
        if (damaged || actual != expectedCrc) {
            damaged = true;
            throw new StorageException(String.format("snapshot payload checksum mismatch: expected crc32c 0x%08x,"
                    + " actual 0x%08x", expectedCrc, actual), file, offset);
        }
    }

    @Override
    public int available() throws IOException {
        return (int) Math.min(in.available(), remaining);
    }

    @Override
    public void close() throws IOException {
        in.close();
    }
}
