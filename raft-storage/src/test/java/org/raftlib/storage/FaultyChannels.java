package org.raftlib.storage;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.util.Set;

/**
 * A {@link ChannelFactory} whose channels fail writes or forces on demand, for fault-injection tests, and report
 * every write, truncation and force to an optional {@link Listener} (the crash simulation's model of the disk).
 */
final class FaultyChannels implements ChannelFactory {

    /** Told about each change before it reaches the file, and about each successful force. */
    interface Listener {
        void opened(Path path) throws IOException;

        void wrote(Path path, long position, ByteBuffer src);

        void truncated(Path path, long size);

        void forced(Path path);
    }

    volatile boolean failWrites;
    volatile boolean failForces;
    /** Forces of segment files (not of the spare written in the background, nor of the hard state). */
    volatile int segmentForces;
    private final Listener listener;

    FaultyChannels() {
        this(null);
    }

    FaultyChannels(Listener listener) {
        this.listener = listener;
    }

    @Override
    public FileChannel open(Path path, Set<? extends OpenOption> options) throws IOException {
        FileChannel channel = FileChannel.open(path, options);
        if (listener != null) {
            listener.opened(path);
        }
        return new Faulty(path, channel);
    }

    private final class Faulty extends FileChannel {
        private final Path path;
        private final FileChannel delegate;

        Faulty(Path path, FileChannel delegate) {
            this.path = path;
            this.delegate = delegate;
        }

        private void checkWrite() throws IOException {
            if (failWrites) {
                throw new IOException("injected write failure");
            }
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
                listener.wrote(path, delegate.position(), src);
            }
            return delegate.write(src);
        }

        @Override
        public long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
            checkWrite();
            return delegate.write(srcs, offset, length);
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
            if (listener != null) {
                listener.truncated(path, size);
            }
            delegate.truncate(size);
            return this;
        }

        @Override
        public void force(boolean metaData) throws IOException {
            if (failForces) {
                throw new IOException("injected fsync failure");
            }
            if (path.getFileName().toString().endsWith(".seg")) {
                segmentForces++;
            }
            delegate.force(metaData);
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
            checkWrite();
            return delegate.transferFrom(src, position, count);
        }

        @Override
        public int read(ByteBuffer dst, long position) throws IOException {
            return delegate.read(dst, position);
        }

        @Override
        public int write(ByteBuffer src, long position) throws IOException {
            checkWrite();
            if (listener != null) {
                listener.wrote(path, position, src);
            }
            return delegate.write(src, position);
        }

        @Override
        public MappedByteBuffer map(MapMode mode, long position, long size) throws IOException {
            return delegate.map(mode, position, size);
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
            delegate.close();
        }
    }
}
