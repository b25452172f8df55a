package org.raftlib.internal.core;

import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import org.raftlib.HardState;
import org.raftlib.LogEntries;
import org.raftlib.LogEntry;
import org.raftlib.message.RaftMessage;

/**
 * Work for the runtime, in this order: send {@code messages} at once; persist {@code install} (reset the log to the
 * snapshot), {@code hardState}, {@code truncateFrom} and {@code entries} in one sync, then compact the log up to
 * {@code compactTo}; only then send {@code afterSync} (votes and append acknowledgements, Raft thesis §3.8) and
 * report {@link RaftCore#onPersisted(Ready)}; hand {@code committed} to the state machine (after restoring it from
 * the snapshot of {@code install}, if present) and report {@link RaftCore#onApplied(long)}. Serve each of
 * {@code readStates} once the applied index reaches its index, and fail the reads in {@code abortedReads} (the client
 * may retry on the new leader). Start streaming each of {@code snapshotSends} to its follower.
 *
 * <p>Writes of successive Ready batches must become durable in the order they were handed out.
 *
 * @param hardState a new hard state to persist, if it changed
 * @param install a snapshot this follower installs: reset the log to it (durably) and restore the state machine
 * @param truncateFrom remove stored entries from this index on before appending, if present
 * @param entries entries to append, consecutive
 * @param compactTo entries up to this index may be discarded from storage (a durable snapshot covers them)
 * @param messages messages to send now
 * @param afterSync messages to send once this batch's writes (and all earlier ones) are durable
 * @param committed committed entries to apply, in order, each handed out exactly once
 * @param readStates reads confirmed since the last Ready, in order of registration: serve each once the applied
 *     index reaches its {@link ReadState#index()} (thesis §6.4)
 * @param abortedReads request ids of accepted reads that will never be confirmed, because this node stopped leading
 * @param snapshotSends snapshots to stream to followers that need entries this leader compacted
 */
public record Ready(
        Optional<HardState> hardState,
        Optional<SnapshotPoint> install,
        OptionalLong truncateFrom,
        List<LogEntry> entries,
        OptionalLong compactTo,
        List<RaftMessage> messages,
        List<RaftMessage> afterSync,
        List<LogEntry> committed,
        List<ReadState> readStates,
        List<Long> abortedReads,
        List<SnapshotPoint.Send> snapshotSends) {

    /**
     * Copies the lists.
     *
     * @throws NullPointerException if an argument is null
     */
    public Ready {
        Objects.requireNonNull(hardState, "hardState");
        Objects.requireNonNull(install, "install");
        Objects.requireNonNull(truncateFrom, "truncateFrom");
        Objects.requireNonNull(compactTo, "compactTo");
        entries = LogEntries.copyOf(entries);
        messages = List.copyOf(messages);
        afterSync = List.copyOf(afterSync);
        committed = LogEntries.copyOf(committed);
        readStates = List.copyOf(readStates);
        abortedReads = List.copyOf(abortedReads);
        snapshotSends = List.copyOf(snapshotSends);
    }

    /**
     * A batch without read results or snapshots.
     *
     * @param hardState a new hard state to persist, if it changed
     * @param truncateFrom remove stored entries from this index on before appending, if present
     * @param entries entries to append, consecutive
     * @param messages messages to send now
     * @param afterSync messages to send once this batch's writes are durable
     * @param committed committed entries to apply
     * @throws NullPointerException if an argument is null
     */
    public Ready(Optional<HardState> hardState, OptionalLong truncateFrom, List<LogEntry> entries,
            List<RaftMessage> messages, List<RaftMessage> afterSync, List<LogEntry> committed) {
        this(hardState, Optional.empty(), truncateFrom, entries, OptionalLong.empty(), messages, afterSync, committed,
                List.of(), List.of(), List.of());
    }

    /** Returns whether this batch has anything to write to storage. */
    public boolean needsSync() {
        return hardState.isPresent() || install.isPresent() || truncateFrom.isPresent() || !entries.isEmpty()
                || compactTo.isPresent();
    }
}
