package org.raftlib.internal.runtime;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.file.NoSuchFileException;
import java.util.function.LongSupplier;
import java.util.zip.CRC32C;
import org.raftlib.Bytes;
import org.raftlib.NodeId;
import org.raftlib.SnapshotMeta;
import org.raftlib.SnapshotStore;
import org.raftlib.Transport;
import org.raftlib.message.InstallSnapshot;
import org.raftlib.message.InstallSnapshotResponse;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Streams one snapshot to one follower for a leader (Raft §7): the {@link SnapshotTransfer} stream in chunks, at most
 * a window of them unacknowledged, reading the store as it goes (never the whole snapshot in memory). A rejected
 * chunk or a silence longer than the stall timeout resumes from what the follower last acknowledged; too many stalls
 * in a row give up, and the core then probes again (and sends a snapshot again if it must). A follower that drops the
 * transfer and asks for it from the start again (it restarted, or it cannot store the snapshot: a full disk, say) gets
 * it again at once the first time, then after a pause that doubles from {@value #FIRST_PAUSE_MILLIS} ms, and after
 * {@value #MAX_RESTARTS} such restarts the sender gives up too, so the core's backoff takes over: a follower that can
 * never take the snapshot is not streamed it in a loop. The follower acknowledges the whole stream
 * ({@code nextOffset >= total}) only once it has installed the snapshot.
 *
 * <p>Confined to the snapshot transfer thread.
 */
final class SnapshotSender {

    private static final Logger LOG = LoggerFactory.getLogger(SnapshotSender.class);
    static final int MAX_STALLS = 10;
    static final int MAX_RESTARTS = 3;
    static final long FIRST_PAUSE_MILLIS = 100;

    private final NodeId self;
    private final NodeId peer;
    private final long term;
    private final SnapshotMeta meta;
    private final SnapshotStore store;
    private final Transport transport;
    private final Inbox inbox;
    private final int chunkBytes;
    private final int window;
    private final byte[] header;
    private final long total;
    private final CRC32C crc = new CRC32C();
    private final LongSupplier clock;
    private InputStream state;
    private long position;
    private long acked;
    /** Whether the follower answered any chunk: one that never did is down or cut off, not failing the transfer. */
    private boolean answered;
    private long lastProgressNanos;
    private int stalls;
    private int restarts;
    /** While {@code clock} reads below this, nothing is sent (a pause before a restart); 0: no pause. */
    private long pausedUntilNanos;
    private boolean finished;

    /** What the sender needs from its node. */
    record Context(NodeId self, long term, SnapshotStore store, Transport transport, Inbox inbox, int chunkBytes,
            int window, RuntimeMetrics metrics) {
    }

    SnapshotSender(Context c, NodeId peer, SnapshotMeta meta) {
        this(c, peer, meta, System::nanoTime);
    }

    /** With the monotonic clock, in nanoseconds, that times stalls and pauses. */
    SnapshotSender(Context c, NodeId peer, SnapshotMeta meta, LongSupplier clock) {
        this.clock = clock;
        this.lastProgressNanos = clock.getAsLong();
        this.self = c.self();
        this.peer = peer;
        this.term = c.term();
        this.meta = meta;
        this.store = c.store();
        this.transport = c.transport();
        this.inbox = c.inbox();
        this.chunkBytes = c.chunkBytes();
        this.window = c.window();
        this.header = SnapshotTransfer.header(meta);
        this.total = header.length + meta.sizeBytes() + SnapshotTransfer.TRAILER_BYTES;
    }

    SnapshotMeta meta() {
        return meta;
    }

    boolean isFinished() {
        return finished;
    }

    /** Sends the first window. */
    void start() {
        LOG.info("{} sending the snapshot at {}/{} ({} bytes) to {}", self, meta.term(), meta.index(), total, peer);
        pump();
    }

    /** A response from the follower. */
    void onResponse(InstallSnapshotResponse r) {
        if (finished || r.lastIncludedIndex() != meta.index()) {
            return;
        }
        lastProgressNanos = clock.getAsLong();
        stalls = 0;
        answered = true;
        if (r.success() && r.nextOffset() >= total) {
            finish(true);
            return;
        }
        if (r.success()) {
            acked = Math.max(acked, Math.min(r.nextOffset(), position));
        } else {
            boolean sentSome = position > 0;
            acked = Math.min(r.nextOffset(), position);
            seek(acked);
            if (acked == 0 && sentSome && !finished && !restart()) {
                return;
            }
        }
        pump();
    }

    /**
     * The follower asks for the stream from the start again: pauses before sending it (not the first time), or gives
     * up after {@link #MAX_RESTARTS}. Returns whether the sender goes on.
     */
    private boolean restart() {
        if (++restarts > MAX_RESTARTS) {
            LOG.warn("{} gave up sending the snapshot at {} to {}: it asked for it from the start {} times", self,
                    meta.index(), peer, MAX_RESTARTS);
            finish(false);
            return false;
        }
        if (restarts > 1) {
            long pause = FIRST_PAUSE_MILLIS * 1_000_000L << (restarts - 2);       // 100, 200 ms
            pausedUntilNanos = clock.getAsLong() + pause;
            LOG.info("{}: {} asked for the snapshot at {} from the start again ({} times); resending in {} ms", self,
                    peer, meta.index(), restarts, pause / 1_000_000);
        }
        return true;
    }

    /** Resends from the last acknowledged offset if nothing came back for {@code timeoutNanos}. */
    void checkProgress(long timeoutNanos) {
        if (finished) {
            return;
        }
        long now = clock.getAsLong();
        if (pausedUntilNanos != 0) {
            lastProgressNanos = now;                         // a pause is not a stall
            if (now - pausedUntilNanos >= 0) {
                pausedUntilNanos = 0;
                pump();
            }
            return;
        }
        if (now - lastProgressNanos < timeoutNanos) {
            return;
        }
        if (++stalls > MAX_STALLS) {
            if (answered) {
                LOG.warn("{} gave up sending the snapshot at {} to {}: no progress in {} timeouts", self, meta.index(),
                        peer, MAX_STALLS);
            } else {                                         // down or cut off: its reconnects are what tell
                LOG.info("{} stopped sending the snapshot at {} to {}: no answer in {} timeouts (down or cut off)",
                        self, meta.index(), peer, MAX_STALLS);
            }
            finish(false);
            return;
        }
        lastProgressNanos = now;
        seek(acked);
        pump();
    }

    /** Stops without telling the core (it no longer leads). */
    void abort() {
        finished = true;
        closeState();
    }

    private void pump() {
        if (pausedUntilNanos != 0) {
            return;                                          // checkProgress resumes when the pause is over
        }
        while (!finished && position < total && position - acked < (long) window * chunkBytes) {
            long offset = position;
            byte[] chunk;
            try {
                chunk = read((int) Math.min(chunkBytes, total - position));
            } catch (IOException | RuntimeException e) {
                unreadable(e);
                return;
            }
            try {
                transport.send(new InstallSnapshot(self, peer, term, meta.index(), meta.term(), offset,
                        Bytes.wrap(chunk), position == total));
            } catch (RuntimeException e) {                   // a transport breaking its contract (it never throws)
                LOG.warn("{} could not send the snapshot at {} to {}", self, meta.index(), peer, e);
                finish(false);
            }
        }
    }

    /** The snapshot cannot be read: the loop decides whether to replace it ({@link Event.SnapshotUnreadable}). */
    private void unreadable(Exception e) {
        if (e instanceof NoSuchFileException || e.getCause() instanceof NoSuchFileException) {   // retention deleted it
            LOG.info("{} no longer holds its snapshot at {} to send it to {} (a newer one replaced it): {}", self,
                    meta.index(), peer, e.toString());
        } else {
            LOG.warn("{} cannot read its snapshot at {} to send it to {}: {}", self, meta.index(), peer, e.toString());
        }
        inbox.post(new Event.SnapshotUnreadable(meta.index(), e));
        finish(false);
    }

    /** Reads the next {@code n} bytes of the transfer stream: header, then state, then the checksum. */
    private byte[] read(int n) throws IOException {
        byte[] out = new byte[n];
        int filled = 0;
        while (filled < n) {
            long stateEnd = header.length + meta.sizeBytes();
            if (position < header.length) {
                int k = (int) Math.min(n - filled, header.length - position);
                System.arraycopy(header, (int) position, out, filled, k);
                crc.update(out, filled, k);
                filled += k;
                position += k;
            } else if (position < stateEnd) {
                if (state == null) {
                    state = store.read(meta);
                }
                int k = state.read(out, filled, (int) Math.min(n - filled, stateEnd - position));
                if (k < 0) {
                    throw new IOException("snapshot at " + meta.index() + " ended after " + (position - header.length)
                            + " of " + meta.sizeBytes() + " bytes");
                }
                crc.update(out, filled, k);
                filled += k;
                position += k;
            } else {
                byte[] trailer = ByteBuffer.allocate(Integer.BYTES).putInt((int) crc.getValue()).array();
                int from = (int) (position - stateEnd);
                int k = Math.min(n - filled, trailer.length - from);
                System.arraycopy(trailer, from, out, filled, k);
                filled += k;
                position += k;
            }
        }
        return out;
    }

    /** Goes back to {@code offset}: reopens the state and reads up to it again (the checksum needs every byte). */
    private void seek(long offset) {
        if (offset >= position) {
            return;
        }
        closeState();
        crc.reset();
        position = 0;
        try {
            while (position < offset) {
                read((int) Math.min(1 << 16, offset - position));
            }
        } catch (IOException | RuntimeException e) {
            unreadable(e);
        }
    }

    private void finish(boolean success) {
        if (finished) {
            return;
        }
        finished = true;
        closeState();
        if (success) {
            LOG.info("{} sent the snapshot at {} to {}, which stored it and reset its log (its state machine"
                    + " restores it next)", self, meta.index(), peer);
        }
        inbox.post(new Event.SnapshotSent(peer, meta.index(), success));
    }

    private void closeState() {
        if (state != null) {
            try {
                state.close();
            } catch (IOException e) {
                LOG.debug("{} closing a snapshot stream failed", self, e);
            }
            state = null;
        }
    }
}
