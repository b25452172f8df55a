package org.raftlib;

import org.raftlib.message.MessageType;

/**
 * Receives a node's measurements as they happen: latencies, storage writes, messages, elections and snapshots. Set
 * one with {@link RaftNodeBuilder#metrics(RaftMetrics)}; the default, {@link #NOOP}, ignores everything and costs
 * nothing (the node skips the measuring). Every method has an empty default, so an implementation overrides what it
 * records. Gauges (term, indexes, role, peers' progress) need no callback: read them from {@link RaftNode#status()}.
 *
 * <p><b>Threading and cost.</b> The node calls these methods from its own threads, as each method says: the loop
 * thread (which may be the transport's thread, see {@link Transport#loopExecutor()}), the storage thread, the
 * snapshot threads and the transport's delivery threads. Several may call at once, so an implementation must be
 * thread-safe; and it must be quick and must not block, since most calls are on the replication path. An exception
 * thrown is logged (once) and otherwise ignored. Times are in nanoseconds, from {@link System#nanoTime()}.
 *
 * <p><b>Sampling.</b> Latencies are recorded once per batch, not per entry, so that recording costs nothing per
 * entry: the observation is the batch's oldest command (the one that waited longest). With one command per batch
 * every command is observed. A command's proposal time is when the loop turn that appended it appended its first
 * command (the clock is read once per turn), so a latency may include up to one loop turn more.
 */
public interface RaftMetrics {

    /** Records nothing; the node then does not measure. */
    RaftMetrics NOOP = new RaftMetrics() {
        @Override
        public String toString() {
            return "RaftMetrics.NOOP";
        }
    };

    /**
     * On a leader, a batch of its commands became durable in its own log: the time from the oldest command's proposal
     * (when the loop appended it) until then. Called on the loop thread.
     *
     * @param nanos the latency
     */
    default void appendLatency(long nanos) {
    }

    /**
     * On a leader, a batch of its commands committed: the time from the oldest command's proposal until the leader
     * learned it committed (before it is applied). Called on the loop thread.
     *
     * @param nanos the latency
     */
    default void commitLatency(long nanos) {
    }

    /**
     * One write to the {@link LogStorage}: entries and hard state of one or more batches, then one
     * {@link LogStorage#sync()} (group commit). Called on the storage thread, or on a follower's loop thread when it
     * writes inline.
     *
     * @param nanos how long the writes and the sync took
     * @param entries entries appended (0 for a write of the hard state alone)
     * @param bytes their size as {@link LogEntry#sizeBytes()} counts it
     */
    default void storageWrite(long nanos, int entries, long bytes) {
    }

    /**
     * A message was handed to the transport. Called on the loop, storage or snapshot thread.
     *
     * @param type the message's type
     * @param payloadBytes entry bytes ({@link LogEntry#sizeBytes()}) of an AppendEntries, chunk bytes of an
     *     InstallSnapshot, 0 for other messages; not the encoded size, which only the transport knows
     */
    default void messageSent(MessageType type, long payloadBytes) {
    }

    /**
     * A message arrived from the transport. Called on the transport's delivery thread.
     *
     * @param type the message's type
     * @param payloadBytes as for {@link #messageSent}
     */
    default void messageReceived(MessageType type, long payloadBytes) {
    }

    /**
     * This node became a candidate: it raised its term and asks for votes (pre-votes are not counted). Called on the
     * loop thread.
     *
     * @param term the new term
     */
    default void electionStarted(long term) {
    }

    /**
     * This node became leader. Called on the loop thread.
     *
     * @param term its term
     */
    default void electionWon(long term) {
    }

    /**
     * This node learned of a new leader (another node, or the same one in a new term), itself included. Called on
     * the loop thread.
     *
     * @param leader the leader
     * @param term its term
     */
    default void leaderChanged(NodeId leader, long term) {
    }

    /**
     * A snapshot of the state machine was written and is durable. Called on the snapshot writer thread.
     *
     * @param nanos how long writing it took (after the state machine's capture)
     * @param bytes its size in the store
     */
    default void snapshotTaken(long nanos, long bytes) {
    }

    /**
     * A snapshot of this node's state machine could not be written (its store or the state machine's
     * {@code writeTo} failed: a full disk, an I/O error); the node tries again after the next interval, and its log
     * is not compacted meanwhile. Not called when {@code close()} interrupts a write. Called on the snapshot writer
     * thread.
     */
    default void snapshotFailed() {
    }

    /**
     * A chunk of a snapshot the leader streams to this node was accepted and written. Called on the snapshot
     * transfer thread.
     *
     * @param bytes the chunk's bytes
     */
    default void snapshotBytesReceived(long bytes) {
    }

    /**
     * A snapshot received from the leader was checked and made durable; the node installs it next. Called on the
     * snapshot transfer thread.
     *
     * @param bytes its size in the store
     */
    default void snapshotInstalled(long bytes) {
    }

    /**
     * A snapshot being received was dropped: damaged, unwritable, or replaced by another leader's or a newer one; the
     * leader starts over. Called on the snapshot transfer thread.
     */
    default void snapshotInstallFailed() {
    }
}
