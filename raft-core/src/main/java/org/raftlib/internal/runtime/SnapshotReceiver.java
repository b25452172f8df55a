package org.raftlib.internal.runtime;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.function.LongSupplier;
import java.util.zip.CRC32C;
import java.util.zip.CheckedOutputStream;
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
 * Receives the snapshot a leader streams to this follower (Raft §7): writes the chunks in order to a new snapshot in
 * the {@link SnapshotStore} (a temporary file until committed), checks the transfer's checksum, makes it durable,
 * and hands it to the loop ({@link Event.SnapshotReceived}), which installs it and only then acknowledges the last
 * chunk. A chunk out of order gets the offset this node expects; a chunk of another snapshot, or from another leader
 * (whose bytes may differ even for the same index), starts over; a damaged
 * transfer is dropped and restarted from 0. Never more than a chunk in memory, and a chunk's bytes go to the store
 * without being copied first. A transfer that nothing resumes (its leader crashed or gave up, and no other sends
 * one) is dropped after an idle timeout, its temporary file with it, instead of holding the disk until the next
 * transfer or restart.
 *
 * <p>Confined to the snapshot transfer thread, but {@link #lastChunkNanos()}, which the loop reads.
 */
final class SnapshotReceiver {

    private static final Logger LOG = LoggerFactory.getLogger(SnapshotReceiver.class);

    private final NodeId self;
    private final SnapshotStore store;
    private final Transport transport;
    private final Inbox inbox;
    private final RuntimeMetrics metrics;
    private final LongSupplier clock;
    private Transfer current;
    /** The transfer received last, as leader/index/term: its late duplicate chunks are ignored. */
    private String completed;
    /** When the transfer in progress last received a chunk ({@link #clock}); 0 when none is in progress. */
    private volatile long lastChunkNanos;
    /** The last snapshot this node failed to take, until one is taken; null if none. */
    private volatile Failure failure;

    /** A snapshot this node could not take: its index, and why (a full disk, a damaged transfer). */
    record Failure(long index, String reason) {
    }

    /** One snapshot being received. */
    private static final class Transfer {
        final NodeId from;
        final long index;
        final long term;
        final CRC32C crc = new CRC32C();
        SnapshotStore.Writer writer;
        /** The store's stream (buffered), checksumming the state bytes that pass. */
        OutputStream out;
        SnapshotMeta meta;
        long received;
        long stateLeft;
        /** The bytes received while the header is incomplete (usually the first chunk); null once it is complete. */
        byte[] header = new byte[0];
        /** How many bytes of {@link #header} hold data. */
        int headerHeld;
        /** The last bytes seen, held back until it is clear whether they are the trailer. */
        final byte[] tail = new byte[SnapshotTransfer.TRAILER_BYTES];
        int tailLength;

        Transfer(NodeId from, long index, long term) {
            this.from = from;
            this.index = index;
            this.term = term;
        }
    }

    SnapshotReceiver(NodeId self, SnapshotStore store, Transport transport, Inbox inbox, RuntimeMetrics metrics) {
        this(self, store, transport, inbox, metrics, System::nanoTime);
    }

    /** With the monotonic clock, in nanoseconds, that times the idle timeout. */
    SnapshotReceiver(NodeId self, SnapshotStore store, Transport transport, Inbox inbox, RuntimeMetrics metrics,
            LongSupplier clock) {
        this.clock = clock;
        this.self = self;
        this.store = store;
        this.transport = transport;
        this.inbox = inbox;
        this.metrics = metrics;
    }

    /** Handles one chunk from the current leader. */
    void onChunk(InstallSnapshot m) {
        if (current != null && (current.index != m.lastIncludedIndex() || current.term != m.lastIncludedTerm()
                || !current.from.equals(m.from()))) {
            LOG.info("{} abandons the snapshot at {} from {}: {} sends the one at {}", self, current.index,
                    current.from, m.from(), m.lastIncludedIndex());
            abandon();
            metrics.snapshotReceived(-1);
        }
        if (current == null) {
            if (m.offset() != 0) {
                if (!isCompleted(m)) {
                    reply(m, 0, false);                      // start over from 0
                }                                            // else a late duplicate: the loop answers the install
                return;
            }
            current = new Transfer(m.from(), m.lastIncludedIndex(), m.lastIncludedTerm());
        }
        if (m.offset() != current.received) {
            reply(m, current.received, m.offset() < current.received);
            return;
        }
        try {
            lastChunkNanos = clock.getAsLong() | 1;          // never 0 while a transfer is in progress
            accept(m);
        } catch (IOException | RuntimeException e) {
            LOG.warn("{} dropped the snapshot at {} from {}; the leader starts over: {}", self, m.lastIncludedIndex(),
                    m.from(), e.toString());
            failure = new Failure(m.lastIncludedIndex(), e.toString());
            abandon();
            metrics.snapshotReceived(-1);
            reply(m, 0, false);
        }
    }

    private void accept(InstallSnapshot m) throws IOException {
        Transfer t = current;
        Bytes data = m.data();
        if (t.writer != null) {
            push(t, data, 0);
        } else {
            startWithHeader(t, m);                           // holds the chunk if the header is not complete yet
        }
        t.received += data.length();
        metrics.snapshotBytesReceived(data.length());
        if (!m.done() || t.writer == null) {
            reply(m, t.received, true);
            return;
        }
        int expected = ByteBuffer.wrap(t.tail).getInt();
        if (t.tailLength != t.tail.length || t.stateLeft != 0 || expected != (int) t.crc.getValue()) {
            throw new IOException("transfer checksum or length mismatch (" + t.stateLeft + " state bytes missing)");
        }
        t.out.flush();
        SnapshotMeta stored = t.writer.commit();
        failure = null;
        current = null;
        lastChunkNanos = 0;
        metrics.snapshotReceived(stored.sizeBytes());
        completed = m.from() + "/" + m.lastIncludedIndex() + "/" + m.lastIncludedTerm();
        LOG.info("{} received the snapshot at {}/{} ({} bytes) from {}", self, stored.term(), stored.index(),
                stored.sizeBytes(), m.from());
        inbox.post(new Event.SnapshotReceived(m.from(), stored, new InstallSnapshotResponse(self, m.from(),
                m.term(), m.lastIncludedIndex(), t.received, true)));
    }

    /**
     * Adds the chunk to the header bytes held so far. Once they hold the whole header (usually in the first chunk),
     * decodes it, opens the store's writer and passes on the state bytes held after the header; until then the
     * writer stays null. A transfer that ends inside its header is damaged.
     */
    private void startWithHeader(Transfer t, InstallSnapshot m) throws IOException {
        int n = m.data().length();
        if (t.headerHeld == 0) {
            t.header = m.data().toByteArray();               // the usual case: one copy, the whole header in it
        } else {
            if (t.header.length - t.headerHeld < n) {        // doubling: a header many chunks long is copied O(n)
                t.header = Arrays.copyOf(t.header, Math.max(2 * t.header.length, t.headerHeld + n));
            }
            m.data().copyTo(0, t.header, t.headerHeld, n);
        }
        t.headerHeld += n;
        int headerLength = SnapshotTransfer.headerLength(t.header, t.headerHeld);
        if (headerLength < 0 || t.headerHeld < headerLength) {
            if (m.done()) {
                throw new IOException("the transfer ended inside its header, after " + t.headerHeld + " bytes");
            }
            return;
        }
        byte[] held = t.headerHeld == t.header.length ? t.header : Arrays.copyOf(t.header, t.headerHeld);
        t.header = null;
        SnapshotTransfer.Header h = SnapshotTransfer.parseHeader(held);
        if (h.index() != m.lastIncludedIndex() || h.term() != m.lastIncludedTerm()) {
            throw new IOException("header says " + h.term() + "/" + h.index() + ", the message "
                    + m.lastIncludedTerm() + "/" + m.lastIncludedIndex());
        }
        t.meta = new SnapshotMeta(h.index(), h.term(), h.config(), h.configIndex(), 0, 0);
        t.stateLeft = h.stateBytes();
        t.crc.update(held, 0, h.length());
        t.writer = store.write(t.meta);
        t.out = new CheckedOutputStream(new BufferedOutputStream(t.writer.stream(), 1 << 16), t.crc);
        push(t, Bytes.wrap(held), h.length());
    }

    /**
     * Passes {@code data[from..]} through a trailer-sized hold-back: what leaves it is state (written and
     * checksummed by {@code t.out}, straight from the message's bytes), what stays at the end may be the trailer.
     */
    private static void push(Transfer t, Bytes data, int from) throws IOException {
        int n = data.length() - from;
        int held = t.tailLength + n;
        if (held <= t.tail.length) {
            data.copyTo(from, t.tail, t.tailLength, n);
            t.tailLength = held;
            return;
        }
        int emit = held - t.tail.length;
        if (emit > t.stateLeft) {
            throw new IOException("more state bytes than the header announced");
        }
        int fromTail = Math.min(emit, t.tailLength);
        t.out.write(t.tail, 0, fromTail);
        int fromData = emit - fromTail;
        data.writeTo(t.out, from, fromData);
        byte[] rest = new byte[t.tail.length];
        int k = t.tailLength - fromTail;
        System.arraycopy(t.tail, fromTail, rest, 0, k);
        data.copyTo(from + fromData, rest, k, t.tail.length - k);
        System.arraycopy(rest, 0, t.tail, 0, rest.length);
        t.tailLength = t.tail.length;
        t.stateLeft -= emit;
    }

    private boolean isCompleted(InstallSnapshot m) {
        return (m.from() + "/" + m.lastIncludedIndex() + "/" + m.lastIncludedTerm()).equals(completed);
    }

    /** Drops a transfer in progress (a new leader, a restart of the stream, the node stopping). */
    void abandon() {
        if (current != null && current.writer != null) {
            current.writer.close();
        }
        current = null;
        lastChunkNanos = 0;
    }

    /** The last snapshot this node failed to take since it last took one, or null. Any thread. */
    Failure failure() {
        return failure;
    }

    /** When the transfer in progress last received a chunk; 0 if none is in progress. Any thread. */
    long lastChunkNanos() {
        return lastChunkNanos;
    }

    /** Drops the transfer in progress if it received nothing for {@code idleNanos}. */
    void abandonIfIdle(long idleNanos) {
        long last = lastChunkNanos;
        if (current == null || last == 0 || clock.getAsLong() - last < idleNanos) {
            return;
        }
        LOG.info("{} abandons the snapshot at {} from {}: nothing received for {} ms", self, current.index,
                current.from, idleNanos / 1_000_000);
        abandon();
        metrics.snapshotReceived(-1);
    }

    private void reply(InstallSnapshot m, long nextOffset, boolean success) {
        transport.send(new InstallSnapshotResponse(self, m.from(), m.term(), m.lastIncludedIndex(), nextOffset,
                success));
    }
}
