package org.raftlib.internal.runtime;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.UnaryOperator;
import org.raftlib.Bytes;
import org.raftlib.EntryType;
import org.raftlib.ClusterConfig;
import org.raftlib.LogTail;
import org.raftlib.NodeId;
import org.raftlib.RaftStatus;
import org.raftlib.SnapshotMeta;
import org.raftlib.internal.core.Ready;
import org.raftlib.message.RaftMessage;

/**
 * What other threads post to a node's loop. Inbound {@link org.raftlib.message.RaftMessage}s are posted as they are,
 * without a wrapper.
 */
sealed interface Event {

    /**
     * A client command to propose. Whoever claims it first owns its outcome: the loop before proposing it, or a
     * thread that fails it with {@link org.raftlib.RaftClosedException} (which must mean "certainly not appended")
     * because the node stopped around the post.
     */
    record Submit(EntryType type, Bytes command, CompletableFuture<byte[]> future, AtomicBoolean claimed)
            implements Event {

        Submit(EntryType type, Bytes command, CompletableFuture<byte[]> future) {
            this(type, command, future, new AtomicBoolean());
        }

        /** Returns whether this call claimed the command (only the first call does). */
        boolean claim() {
            return claimed.compareAndSet(false, true);
        }
    }

    /**
     * A linearizable read to confirm with ReadIndex, or under the leader's lease when {@code lease} and it holds; or,
     * with {@code maxStalenessNanos} at least 0, a bounded-staleness read.
     */
    record Read(byte[] request, boolean lease, long maxStalenessNanos, CompletableFuture<byte[]> future)
            implements Event {

        Read(byte[] request, boolean lease, CompletableFuture<byte[]> future) {
            this(request, lease, -1, future);
        }

        boolean bounded() {
            return maxStalenessNanos >= 0;
        }
    }

    /** The storage worker made these batches durable, in this order. */
    record Persisted(List<Ready> batches) implements Event {
    }

    /** The state machine applied everything up to {@code index}. */
    record Applied(long index) implements Event {
    }

    /**
     * A membership change request: {@code change} maps the configuration in force (read on the loop) to the target.
     */
    record ChangeMembership(UnaryOperator<ClusterConfig> change, CompletableFuture<ClusterConfig> future)
            implements Event {
    }

    /** A leadership transfer request. */
    record Transfer(NodeId target, CompletableFuture<Void> future) implements Event {
    }

    /** A request for a status snapshot. */
    record StatusQuery(CompletableFuture<RaftStatus> future) implements Event {
    }

    /** A request for the end of the log and the election timer ({@link org.raftlib.RaftNode#logTail}). */
    record LogTailQuery(int max, CompletableFuture<LogTail> future) implements Event {
    }

    /** A snapshot is durable in the snapshot store (taken here). */
    record SnapshotTaken(SnapshotMeta meta) implements Event {
    }

    /**
     * A snapshot that {@code leader} streamed is checked and durable in the snapshot store; {@code reply} acknowledges
     * its last chunk once the core has installed it.
     */
    record SnapshotReceived(NodeId leader, SnapshotMeta meta, RaftMessage reply) implements Event {
    }

    /** Streaming the snapshot at {@code index} to {@code peer} ended, installed or not. */
    record SnapshotSent(NodeId peer, long index, boolean success) implements Event {
    }

    /** This node could not read its own snapshot at {@code index} to stream it (a damaged file, say). */
    record SnapshotUnreadable(long index, Exception error) implements Event {
    }

    /** Stop the loop. */
    record Stop() implements Event {
    }
}
