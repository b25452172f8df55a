package org.raftlib.storage;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.CopyOption;
import java.nio.file.Files;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A {@link FileOps} whose channels fail writes or forces on demand, for fault-injection tests, and that reports every
 * call changing the directory (creates, writes, truncations, forces, renames, deletions) to an optional
 * {@link Listener}: the crash tests' recorder. Real forces can be skipped, for tests that model durability
 * themselves. A channel follows its file through a {@link #move}: it reports later calls under the new name.
 */
final class FaultyChannels implements FileOps {

    /** Told about each change as it reaches the file system, and about each successful force. */
    interface Listener {
        /** {@code path} was opened; {@code created} if the open created it, {@code emptied} if it truncated it. */
        void opened(Path path, boolean created, boolean emptied);

        /** {@code src} is about to be written at {@code position} of {@code path}, whose size is {@code size}. */
        void wrote(Path path, long position, ByteBuffer src, long size);

        /** {@code path} is about to shrink to {@code size}. */
        void truncated(Path path, long size);

        /** A force of {@code path} (a file or the directory) completed. */
        void forced(Path path);

        void moved(Path source, Path target);

        void deleted(Path path);
    }

    volatile boolean failWrites;
    volatile boolean failForces;
    /** How many of the next file forces fail (then forces succeed again). */
    final AtomicInteger forcesToFail = new AtomicInteger();
    volatile boolean failDirectoryForces;
    /** Forces of segment files (not of the spare written in the background, nor of the hard state). */
    volatile int segmentForces;
    private final Listener listener;
    private final boolean realForces;
    private final Set<Faulty> open = ConcurrentHashMap.newKeySet();

    FaultyChannels() {
        this(null, true);
    }

    FaultyChannels(Listener listener, boolean realForces) {
        this.listener = listener;
        this.realForces = realForces;
    }

    @Override
    public FileChannel open(Path path, Set<? extends OpenOption> options) throws IOException {
        boolean existed = Files.exists(path);
        boolean emptied = existed && options.contains(StandardOpenOption.TRUNCATE_EXISTING)
                && options.contains(StandardOpenOption.WRITE) && Files.size(path) > 0;
        FileChannel channel = FileChannel.open(path, options);
        if (listener != null) {
            listener.opened(path, !existed, emptied);
        }
        return new Faulty(path, channel);
    }

    @Override
    public void move(Path source, Path target, CopyOption... options) throws IOException {
        checkWrite();
        if (listener != null) {
            listener.moved(source, target);
        }
        FileOps.super.move(source, target, options);
        for (Faulty channel : open) {
            if (channel.path.equals(source)) {
                channel.path = target;
            }
        }
    }

    @Override
    public void delete(Path path) throws IOException {
        checkWrite();
        if (listener != null) {
            listener.deleted(path);
        }
        FileOps.super.delete(path);
    }

    @Override
    public boolean deleteIfExists(Path path) throws IOException {
        checkWrite();
        if (listener != null && Files.exists(path)) {
            listener.deleted(path);
        }
        return FileOps.super.deleteIfExists(path);
    }

    private void checkWrite() throws IOException {
        if (failWrites) {
            throw new IOException("injected write failure");
        }
    }

    private final class Faulty extends FileChannel {
        /** The file's name now: changes when the file is moved. */
        private volatile Path path;
        private final FileChannel delegate;

        Faulty(Path path, FileChannel delegate) {
            this.path = path;
            this.delegate = delegate;
            open.add(this);
        }

        @Override
        public int read(ByteBuffer dst) throws IOException {
            return delegate.read(dst);
        }

        @Override
        public long read(ByteBuffer[] dsts, int offset, int length) throws IOException {
            return delegate.read(dsts, offset, length);
        }

        @Override
        public int write(ByteBuffer src) throws IOException {
            checkWrite();
            if (listener != null) {
                listener.wrote(path, delegate.position(), src, delegate.size());
            }
            return delegate.write(src);
        }

        @Override
        public long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
            throw new UnsupportedOperationException("gathering writes are not used by the storage");
        }

        @Override
        public long position() throws IOException {
            return delegate.position();
        }

        @Override
        public FileChannel position(long newPosition) throws IOException {
            delegate.position(newPosition);
            return this;
        }

        @Override
        public long size() throws IOException {
            return delegate.size();
        }

        @Override
        public FileChannel truncate(long size) throws IOException {
            checkWrite();
            if (listener != null && size < delegate.size()) {
                listener.truncated(path, size);
            }
            delegate.truncate(size);
            return this;
        }

        @Override
        public void force(boolean metaData) throws IOException {
            if (failForces || (failDirectoryForces && Files.isDirectory(path))
                    || forcesToFail.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                throw new IOException("injected fsync failure");
            }
            if (path.getFileName().toString().endsWith(".seg")) {
                segmentForces++;
            }
            if (realForces) {
                delegate.force(metaData);
            }
            if (listener != null) {
                listener.forced(path);
            }
        }

        @Override
        public long transferTo(long position, long count, WritableByteChannel target) throws IOException {
            return delegate.transferTo(position, count, target);
        }

        @Override
        public long transferFrom(ReadableByteChannel src, long position, long count) throws IOException {
            throw new UnsupportedOperationException("transfers into files are not used by the storage");
        }

        @Override
        public int read(ByteBuffer dst, long position) throws IOException {
            return delegate.read(dst, position);
        }

        @Override
        public int write(ByteBuffer src, long position) throws IOException {
            checkWrite();
            if (listener != null) {
                listener.wrote(path, position, src, delegate.size());
            }
            return delegate.write(src, position);
        }

        @Override
        public MappedByteBuffer map(MapMode mode, long position, long size) throws IOException {
            throw new UnsupportedOperationException("memory mapping is not used by the storage");
        }

        @Override
        public FileLock lock(long position, long size, boolean shared) throws IOException {
            return delegate.lock(position, size, shared);
        }

        @Override
        public FileLock tryLock(long position, long size, boolean shared) throws IOException {
            return delegate.tryLock(position, size, shared);
        }

        @Override
        protected void implCloseChannel() throws IOException {
            open.remove(this);
            delegate.close();
        }
    }
}
