package org.raftlib.storage;

/**
 * Immutable settings of a {@link FileLogStorage}. Start from {@link #defaults()} and change what you need; each
 * {@code with*} method checks its own argument and returns a new instance.
 *
 * <p>Thread-safe: instances never change.
 */
public final class FileLogOptions {

    /** Default segment size: 64 MiB. */
    public static final long DEFAULT_SEGMENT_SIZE_BYTES = 64L << 20;
    /** Smallest segment size accepted: 1 KiB (useful in tests; production segments should be megabytes). */
    public static final long MIN_SEGMENT_SIZE_BYTES = 1L << 10;
    /** Largest segment size accepted: 1 GiB, so record offsets fit an {@code int}. */
    public static final long MAX_SEGMENT_SIZE_BYTES = 1L << 30;
    /** Default write buffer: 1 MiB. */
    public static final int DEFAULT_WRITE_BUFFER_BYTES = 1 << 20;
    /** Default largest payload of one entry: 64 MiB. */
    public static final int DEFAULT_MAX_ENTRY_BYTES = 64 << 20;

    private static final FileLogOptions DEFAULTS =
            new FileLogOptions(DEFAULT_SEGMENT_SIZE_BYTES, true, DEFAULT_WRITE_BUFFER_BYTES, DEFAULT_MAX_ENTRY_BYTES);

    private final long segmentSizeBytes;
    private final boolean preallocate;
    private final int writeBufferBytes;
    private final int maxEntryBytes;

    private FileLogOptions(long segmentSizeBytes, boolean preallocate, int writeBufferBytes, int maxEntryBytes) {
        this.segmentSizeBytes = segmentSizeBytes;
        this.preallocate = preallocate;
        this.writeBufferBytes = writeBufferBytes;
        this.maxEntryBytes = maxEntryBytes;
    }

    /**
     * Returns the defaults: 64 MiB segments, preallocated, a 1 MiB write buffer, entries of at most 64 MiB.
     *
     * @return the default options
     */
    public static FileLogOptions defaults() {
        return DEFAULTS;
    }

    /**
     * Returns a copy with another segment size. A segment is rolled once the next record would not fit; a record
     * larger than a segment gets a segment of its own.
     *
     * @param bytes the size, in {@code [MIN_SEGMENT_SIZE_BYTES, MAX_SEGMENT_SIZE_BYTES]}
     * @return the new options
     * @throws IllegalArgumentException if {@code bytes} is outside that range
     */
    public FileLogOptions withSegmentSizeBytes(long bytes) {
        if (bytes < MIN_SEGMENT_SIZE_BYTES || bytes > MAX_SEGMENT_SIZE_BYTES) {
            throw new IllegalArgumentException("segmentSizeBytes must be in [" + MIN_SEGMENT_SIZE_BYTES + ", "
                    + MAX_SEGMENT_SIZE_BYTES + "]: " + bytes);
        }
        return new FileLogOptions(bytes, preallocate, writeBufferBytes, maxEntryBytes);
    }

    /**
     * Returns a copy that does or does not write each new segment full of zeros when creating it (64 MiB take about
     * 50 ms on a fast disk), so that appends overwrite allocated blocks and an fsync has only data to flush. Without
     * it, every sync of a batch that reaches new blocks must also commit their allocation and the new file size
     * through the file system's journal, which made batched writes about 40 % slower in the benchmark.
     *
     * @param preallocate whether to preallocate new segments
     * @return the new options
     */
    public FileLogOptions withPreallocate(boolean preallocate) {
        return new FileLogOptions(segmentSizeBytes, preallocate, writeBufferBytes, maxEntryBytes);
    }

    /**
     * Returns a copy with another write buffer size: appends are encoded into one reused direct buffer and written
     * with one call per buffer-full.
     *
     * @param bytes the size, in {@code [4096, 256 MiB]}
     * @return the new options
     * @throws IllegalArgumentException if {@code bytes} is outside that range
     */
    public FileLogOptions withWriteBufferBytes(int bytes) {
        if (bytes < 4096 || bytes > (256 << 20)) {
            throw new IllegalArgumentException("writeBufferBytes must be in [4096, " + (256 << 20) + "]: " + bytes);
        }
        return new FileLogOptions(segmentSizeBytes, preallocate, bytes, maxEntryBytes);
    }

    /**
     * Returns a copy with another limit on the payload of one entry. Appending a larger entry fails, and on reading
     * a larger length marks the record as corrupt.
     *
     * @param bytes the limit, in {@code [1, 1 GiB]}
     * @return the new options
     * @throws IllegalArgumentException if {@code bytes} is outside that range
     */
    public FileLogOptions withMaxEntryBytes(int bytes) {
        if (bytes < 1 || bytes > (1 << 30)) {
            throw new IllegalArgumentException("maxEntryBytes must be in [1, " + (1 << 30) + "]: " + bytes);
        }
        return new FileLogOptions(segmentSizeBytes, preallocate, writeBufferBytes, bytes);
    }

    /** Returns the segment size in bytes. */
    public long segmentSizeBytes() {
        return segmentSizeBytes;
    }

    /** Returns whether new segments are preallocated. */
    public boolean preallocate() {
        return preallocate;
    }

    /** Returns the write buffer size in bytes. */
    public int writeBufferBytes() {
        return writeBufferBytes;
    }

    /** Returns the largest payload of one entry, in bytes. */
    public int maxEntryBytes() {
        return maxEntryBytes;
    }

    @Override
    public String toString() {
        return "FileLogOptions[segmentSizeBytes=" + segmentSizeBytes + ", preallocate=" + preallocate
                + ", writeBufferBytes=" + writeBufferBytes + ", maxEntryBytes=" + maxEntryBytes + "]";
    }
}
