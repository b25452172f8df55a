package org.raftlib;

import java.io.IOException;
import java.util.List;

/**
 * Durable storage for one node's Raft log and hard state.
 *
 * <p><b>Index range.</b> The log holds the entries {@code firstIndex() .. lastIndex()}, consecutive and without
 * gaps. An empty log has {@code lastIndex() == firstIndex() - 1}. The entry just before the first one may have been
 * compacted away; its term stays readable through {@link #term(long)} so that a leader can still send the entries
 * that follow it.
 *
 * <p><b>Owner.</b> A node {@link #bind binds} the storage to its id before anything else, so that a storage of
 * another member is refused rather than used.
 *
 * <p><b>Threading.</b> Writes ({@link #append}, {@link #truncateSuffix}, {@link #compactPrefix}, {@link #sync},
 * {@link #saveHardState}) come from one thread at a time, the node's storage worker. Reads ({@link #term},
 * {@link #entries}) of entries that a completed {@link #sync()} made durable may come from another thread (the node
 * loop) while the storage worker writes entries after them; implementations must make that safe. raftlib never
 * reads an entry at or after an index it is truncating concurrently. Implementations must not call back into the
 * node.
 *
 * <p><b>Durability.</b> Nothing written is guaranteed durable until {@link #sync()} returns. raftlib acknowledges
 * entries to a leader, counts a leader's own copy towards the commit, and lets a vote leave only after that (Raft
 * §5.3, thesis §3.8 and §10.2.1). Between a write and the {@code sync()} that covers it, a crash may keep any part of
 * the unsynced writes, but never loses anything synced before: the log after a crash must be the synced log followed
 * by some of the entries appended after it, in order and without gaps (an implementation that finds a hole in
 * unsynced data truncates there), and the hard state the last saved one or an earlier one, each file on its own.
 * raftlib relies on nothing more: it syncs a {@link #truncateSuffix truncation} before it appends over it, it never
 * saves a hard state whose commit index exceeds the synced log, and a vote or acknowledgement waits for the
 * {@code sync()} after the write it depends on.
 *
 * @see org.raftlib.local.InMemoryLogStorage
 */
public interface LogStorage extends AutoCloseable {

    /**
     * Binds this storage to the node that uses it. A node calls it once at {@link RaftNode#start()}, before it reads
     * or writes anything else: the first call records {@code node} durably, and from then on, after restarts too, a
     * call with another id refuses and changes nothing. That keeps a node started on another member's storage (a
     * data directory copied, restored or configured for the wrong host) from running with that member's vote and log:
     * it could vote twice in a term (two leaders) and drop entries it acknowledged (committed entries lost).
     *
     * <p>The default does nothing and accepts every node: a storage that does not override it keeps working but
     * gives up this check, and a node started on another member's storage then runs silently with that member's
     * hard state and log.
     *
     * @param node the node that uses this storage
     * @throws IOException if the storage belongs to another node (the message names both nodes and the storage,
     *     and says what to do), or the id cannot be read or recorded; the node then fails to start and leaves the
     *     storage as it was
     * @throws NullPointerException if {@code node} is null (implementations that record it)
     */
    default void bind(NodeId node) throws IOException {
    }

    /**
     * Returns the largest entry payload ({@link LogEntry#data()}), in bytes, that {@link #append} accepts; a larger
     * entry fails the append and so stops the node. A node's builder refuses a {@link RaftOptions#maxCommandBytes()}
     * above it, so that no command the node accepts can stop it (or a follower with the same options). raftlib's own
     * entries (no-ops, sessions, configurations) are small. The default is {@link Integer#MAX_VALUE}: no limit.
     *
     * @return the limit, at least 1
     */
    default int maxEntryBytes() {
        return Integer.MAX_VALUE;
    }

    /** Returns the index of the first entry held, or {@code lastIndex() + 1} if the log is empty. */
    long firstIndex();

    /** Returns the index of the last entry held, or {@code firstIndex() - 1} if the log is empty. */
    long lastIndex();

    /**
     * Returns the term of the entry at {@code index}.
     *
     * @param index an index in {@code [firstIndex() - 1, lastIndex()]}; {@code firstIndex() - 1} answers the term of
     *     the last compacted entry, or 0 when nothing was ever compacted
     * @return the term
     * @throws IndexOutOfBoundsException if {@code index} is outside that range
     * @throws IOException if the entry cannot be read
     */
    long term(long index) throws IOException;

    /**
     * Returns consecutive entries starting at {@code from}, stopping before {@code to} or once adding another entry
     * would exceed {@code maxBytes} of {@link LogEntry#sizeBytes()}; at least one entry is returned when
     * {@code from < to}, however large.
     *
     * @param from the first index, at least {@code firstIndex()}
     * @param to the index after the last one wanted, at most {@code lastIndex() + 1}
     * @param maxBytes a soft limit on the total size
     * @return the entries, in index order; the caller owns the list
     * @throws IndexOutOfBoundsException if the range is not inside {@code [firstIndex(), lastIndex() + 1]}
     * @throws IllegalArgumentException if {@code from > to} or {@code maxBytes} is negative
     * @throws IOException if an entry cannot be read
     */
    List<LogEntry> entries(long from, long to, long maxBytes) throws IOException;

    /**
     * Appends entries after the current last entry. Not durable until {@link #sync()} returns.
     *
     * @param entries consecutive entries whose first index is {@code lastIndex() + 1}; may be empty
     * @throws IllegalArgumentException if the entries leave a gap, overlap the log or are not consecutive
     * @throws IOException if the write fails; the node then stops and reports the failure
     */
    void append(List<LogEntry> entries) throws IOException;

    /**
     * Removes the entries at {@code fromIndex} and after (Raft §5.3: a conflicting suffix). Not durable until
     * {@link #sync()} returns.
     *
     * @param fromIndex the first index removed, in {@code [firstIndex(), lastIndex() + 1]}
     * @throws IndexOutOfBoundsException if {@code fromIndex} is outside that range
     * @throws IOException if the change fails; the node then stops and reports the failure
     */
    void truncateSuffix(long fromIndex) throws IOException;

    /**
     * Allows the storage to discard entries up to and including {@code upToIndex}, which a snapshot covers. The
     * storage may keep some of them; afterwards {@code firstIndex() <= upToIndex + 1} and {@link #term(long)} still
     * answers for {@code firstIndex() - 1}.
     *
     * @param upToIndex the last index that may be discarded, in {@code [firstIndex() - 1, lastIndex()]}
     * @throws IndexOutOfBoundsException if {@code upToIndex} is outside that range
     * @throws IOException if the change fails
     */
    void compactPrefix(long upToIndex) throws IOException;

    /**
     * Discards the whole log and restarts it just after a snapshot that a follower installed (Raft §7): afterwards
     * {@code firstIndex() == index + 1}, {@code lastIndex() == index}, and {@link #term(long) term(index)} answers
     * {@code term}. Durable when it returns: a crash leaves the old log or the new empty one, never a mix.
     *
     * @param index the last index the snapshot covers; at least 1
     * @param term the term of that entry; at least 1
     * @throws IllegalArgumentException if {@code index} or {@code term} is below 1
     * @throws IOException if the change fails; the node then stops and reports the failure
     */
    void reset(long index, long term) throws IOException;

    /**
     * Makes every earlier write durable, including the last {@link #saveHardState hard state}. One call covers any
     * number of writes (group commit).
     *
     * @throws IOException if the data cannot be made durable; the storage then refuses further writes
     */
    void sync() throws IOException;

    /** Returns the last hard state saved, or {@link HardState#INITIAL} for a new log. */
    HardState hardState();

    /**
     * Replaces the hard state. Durable no later than when the next {@link #sync()} returns; an implementation may
     * make it durable before returning. A crash leaves either the old or the new state, never a mix.
     *
     * @param state the new hard state
     * @throws IOException if the write fails; the node then stops and reports the failure
     */
    void saveHardState(HardState state) throws IOException;

    /**
     * Releases files and memory. Idempotent. Unsynced writes may be lost.
     *
     * @throws IOException if releasing a resource fails
     */
    @Override
    void close() throws IOException;
}
