package org.raftlib.internal.core;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import org.raftlib.LogEntries;
import org.raftlib.LogEntry;

/**
 * A node's log as the protocol sees it: the durable prefix (read through a {@link LogView}) followed by the
 * {@link UnstableLog}, plus the commit index and how far committed entries were handed out for apply.
 *
 * <p>Invariants: {@code applied <= applying <= committed}; {@code applying <= durable last index}, because only
 * durable entries are applied; {@code committed} never decreases. Not thread-safe: confined to the node loop.
 */
final class RaftLog {

    /** Bytes read at a time when a restart looks for configuration entries in the log. */
    private static final long RESTART_SCAN_BYTES = 4 << 20;

    private final LogView stable;
    private final UnstableLog unstable;
    private final ArrayDeque<Long> truncationsInFlight = new ArrayDeque<>();
    private long storageLastIndex;
    private long committed;
    private long applying;
    private long applied;
    /** Handed-out apply batches not yet applied: pairs of (last index, bytes). */
    private final ArrayDeque<long[]> applyInFlight = new ArrayDeque<>();
    private long applyInFlightBytes;
    private final long maxApplyInFlightBytes;
    private final EntryCache cache;
    /** The newest snapshot this node holds: the state up to {@code snapshotIndex} is in it. */
    private long snapshotIndex;
    private long snapshotTerm;
    /** Entries up to here were handed out for compaction (or replaced by a snapshot): never read them again. */
    private long floor;
    private final ConfigLog configs;

    /**
     * Creates the log of a node that restarts from {@code stable}, with the state machine restored from a snapshot
     * up to {@code snapshotIndex} (0: none, the state machine starts empty). The storage must hold
     * {@code snapshotIndex} (or have it as the entry before its first).
     */
    RaftLog(LogView stable, long committed, SnapshotPoint snapshot, IndexedConfig baseConfig,
            long maxApplyInFlightBytes, long cacheBytes) {
        long snapshotIndex = snapshot == null ? 0 : snapshot.index();
        this.stable = stable;
        this.cache = new EntryCache(cacheBytes);
        this.maxApplyInFlightBytes = maxApplyInFlightBytes;
        long last = stable.lastIndex();
        if (snapshotIndex > last || stable.firstIndex() - 1 > snapshotIndex) {
            throw new IllegalArgumentException("the log [" + stable.firstIndex() + ", " + last
                    + "] does not continue the snapshot at " + snapshotIndex);
        }
        this.unstable = new UnstableLog(last + 1);
        this.storageLastIndex = last;
        this.snapshotIndex = snapshotIndex;
        this.snapshotTerm = snapshot == null ? 0 : snapshot.term();
        this.floor = stable.firstIndex() - 1;
        this.configs = new ConfigLog(baseConfig, snapshotIndex);
        for (long i = Math.max(snapshotIndex, floor) + 1; i <= last; ) {      // the configurations after the snapshot
            List<LogEntry> batch = stable.entries(i, last + 1, RESTART_SCAN_BYTES);
            configs.onAppend(batch);
            i += batch.size();
        }
        this.committed = Math.max(Math.min(committed, last), snapshotIndex);
        this.applying = snapshotIndex;
        this.applied = applying;
    }

    long firstIndex() {
        return Math.max(stable.firstIndex(), floor + 1);
    }

    /** Returns the configurations this log holds. */
    ConfigLog configs() {
        return configs;
    }

    long snapshotIndex() {
        return snapshotIndex;
    }

    long snapshotTerm() {
        return snapshotTerm;
    }

    /**
     * A snapshot up to {@code index} is durable; it becomes the one sent to followers that need it. Ignored beyond the
     * commit index: a snapshot received from a leader this node stopped following may cover entries its log holds
     * differently, and {@link #term} answers the snapshot's term at its index.
     */
    void snapshotTaken(long index, long term) {
        if (index > snapshotIndex && index <= committed) {
            snapshotIndex = index;
            snapshotTerm = term;
        }
    }

    /**
     * Marks the entries up to {@code upTo} as compacted, if that is within what the newest snapshot covers and this
     * node has applied and made durable.
     *
     * @return whether the floor moved (the caller hands the compaction to storage)
     */
    boolean compactTo(long upTo) {
        if (upTo <= floor || upTo > snapshotIndex || upTo > applied || upTo > durableIndex()) {
            return false;
        }
        floor = upTo;
        configs.compactTo(upTo);
        return true;
    }

    /**
     * Raft §7 receiver: a snapshot up to {@code index} arrived. If this log already commits it, nothing changes; if
     * it holds its last entry, the commit index moves up to it and the entries after it stay; otherwise the log is
     * reset to it.
     *
     * @return whether the log was reset (the state machine must be restored from the snapshot)
     */
    boolean installSnapshot(long index, long term, IndexedConfig config) {
        if (index <= committed) {
            return false;
        }
        if (matchTerm(index, term)) {
            commitTo(index);
            return false;
        }
        resetTo(index, term, config);
        return true;
    }

    /**
     * Raft §7, a follower installs a snapshot that its log does not continue: every entry goes, the log restarts
     * after {@code index}, and everything up to it counts as committed and (once the state machine is restored)
     * applied.
     */
    void resetTo(long index, long term, IndexedConfig config) {
        configs.reset(index, config);
        cache.truncateFrom(0);
        truncationsInFlight.clear();
        unstable.reset(index + 1);
        storageLastIndex = index;
        floor = index;
        committed = Math.max(committed, index);
        snapshotTaken(index, term);
        if (index > applying) {
            applyInFlight.addLast(new long[] {index, 0});
            applying = index;
        }
    }

    long lastIndex() {
        return unstable.lastIndex();
    }

    long lastTerm() {
        return term(lastIndex());
    }

    /** Returns the last index of the durable prefix of the current log. */
    long durableIndex() {
        return unstable.offset() - 1;
    }

    long committed() {
        return committed;
    }

    long applied() {
        return applied;
    }

    /** Returns the term at {@code index}; 0 for index 0 or beyond the last entry. */
    long term(long index) {
        if (index == 0 || index > lastIndex()) {
            return 0;
        }
        if (index == snapshotIndex && index < unstable.offset()) {
            return snapshotTerm;
        }
        if (unstable.contains(index)) {
            return unstable.get(index).term();
        }
        if (cache.contains(index)) {
            return cache.get(index).term();
        }
        if (index < firstIndex() - 1) {
            throw new IllegalStateException("term of compacted index " + index + " (first " + firstIndex() + ")");
        }
        return stable.term(index);
    }

    boolean matchTerm(long index, long term) {
        return index <= lastIndex() && term(index) == term;
    }

    /** Raft §5.4.1: a log with a later last term, or the same last term and at least as long, is as up to date. */
    boolean isUpToDate(long lastIndex, long lastTerm) {
        long myTerm = lastTerm();
        return lastTerm > myTerm || (lastTerm == myTerm && lastIndex >= lastIndex());
    }

    /** Appends entries that follow the last one (a leader's own proposals). */
    void append(List<LogEntry> entries) {
        if (!entries.isEmpty()) {
            cache.truncateFrom(entries.get(0).index());
            unstable.truncateAndAppend(entries);
            configs.onAppend(entries);
        }
    }

    /**
     * Raft §5.3, receiver steps 3 and 4: skips entries already present with the same term, truncates from the first
     * conflicting one, and appends the rest. Entries that match are never truncated, so a stale or reordered
     * AppendEntries cannot remove newer entries.
     *
     * @return the index from which entries were removed, or -1 if none were
     * @throws IllegalStateException if the conflict lies at or below the commit index (a safety violation)
     */
    long appendFromLeader(List<LogEntry> entries) {
        long lastIndexBefore = lastIndex();
        for (int i = 0; i < entries.size(); i++) {
            LogEntry e = entries.get(i);
            if (!matchTerm(e.index(), e.term())) {
                if (e.index() <= committed) {
                    throw new IllegalStateException("entry " + e.index() + " conflicts with committed index "
                            + committed);
                }
                cache.truncateFrom(e.index());
                unstable.truncateAndAppend(entries.subList(i, entries.size()));
                configs.onAppend(entries.subList(i, entries.size()));
                return e.index() <= lastIndexBefore ? e.index() : -1;
            }
        }
        return -1;
    }

    /**
     * Returns the first index at or below the commit index where a leader's AppendEntries (its entry before
     * {@code entries}, then {@code entries}) disagrees with this log on the term, or -1 if none does. Only indexes
     * whose term this log still knows are compared (from the one before its first index on).
     */
    long conflictWithCommitted(long prev, long prevTerm, List<LogEntry> entries) {
        long known = firstIndex() - 1;
        if (prev >= known && prev <= committed && term(prev) != prevTerm) {
            return prev;
        }
        for (LogEntry e : entries) {
            if (e.index() > committed) {
                break;
            }
            if (e.index() >= known && term(e.index()) != e.term()) {
                return e.index();
            }
        }
        return -1;
    }

    /** Returns the first index of the term held at {@code index}, not looking below the first index held. */
    long firstIndexOfTermAt(long index) {
        long term = term(index);
        long i = index;
        long floor = Math.max(1, firstIndex());
        while (i > floor && term(i - 1) == term) {
            i--;
        }
        return i;
    }

    /** Returns the largest index at or below {@code index} whose term is at most {@code term}, or 0. */
    long lastIndexWithTermAtMost(long term, long index) {
        long lo = Math.max(0, firstIndex() - 1);
        long hi = Math.min(index, lastIndex());
        if (hi < lo || term(lo) > term) {
            return lo;
        }
        while (lo < hi) {                        // terms never decrease along a log: binary search
            long mid = lo + (hi - lo + 1) / 2;
            if (term(mid) <= term) {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        return lo;
    }

    void commitTo(long index) {
        if (index > committed) {
            if (index > lastIndex()) {
                throw new IllegalStateException("commit " + index + " beyond last index " + lastIndex());
            }
            committed = index;
        }
    }

    /** Returns entries {@code [from, to)} (at least one when {@code from < to}), stopping at {@code maxBytes}. */
    List<LogEntry> entries(long from, long to, long maxBytes) {
        if (from >= to) {
            return List.of();
        }
        long split = unstable.offset();
        List<LogEntry> out = new ArrayList<>();
        if (from < split) {
            if (cache.contains(from)) {
                readCached(from, Math.min(to, split), maxBytes, out);
            } else {
                out.addAll(stable.entries(from, Math.min(to, split), maxBytes));
            }
            if (out.size() < Math.min(to, split) - from) {
                return out;
            }
        }
        long bytes = 0;
        for (LogEntry e : out) {
            bytes += e.sizeBytes();
        }
        for (long i = Math.max(from, split); i < to; i++) {
            LogEntry e = unstable.get(i);
            if (!out.isEmpty() && bytes + e.sizeBytes() > maxBytes) {
                break;
            }
            out.add(e);
            bytes += e.sizeBytes();
        }
        return out;
    }

    /** Copies cached entries from {@code from} into {@code out}, stopping at {@code to}, a gap or {@code maxBytes}. */
    private void readCached(long from, long to, long maxBytes, List<LogEntry> out) {
        long bytes = 0;
        for (long i = from; i < to && cache.contains(i); i++) {
            LogEntry e = cache.get(i);
            if (!out.isEmpty() && bytes + e.sizeBytes() > maxBytes) {
                return;
            }
            out.add(e);
            bytes += e.sizeBytes();
        }
        if (out.size() < to - from && (out.isEmpty() || bytes < maxBytes)) {
            long next = from + out.size();
            out.addAll(stable.entries(next, to, Math.max(0, maxBytes - bytes)));
        }
    }

    boolean hasEntriesToPersist() {
        return unstable.hasEntriesToPersist();
    }

    /** Hands out the entries to persist next, and where storage must truncate first (or -1). */
    PersistWork takeForPersistence() {
        List<LogEntry> entries = unstable.takeForPersistence();
        if (entries.isEmpty()) {
            return new PersistWork(-1, entries);
        }
        long first = entries.get(0).index();
        long truncateFrom = first <= storageLastIndex ? first : -1;
        if (truncateFrom > 0) {
            truncationsInFlight.add(truncateFrom);
        }
        storageLastIndex = entries.get(entries.size() - 1).index();
        return new PersistWork(truncateFrom, entries);
    }

    /**
     * Storage finished one write: {@code truncateFrom} (or -1) and entries up to ({@code index}, {@code term}) are
     * durable. Entries at or after a truncation still in flight stay unstable, so the core never reads what the
     * storage worker may be rewriting.
     */
    void onPersisted(long truncateFrom, long index, long term) {
        if (truncateFrom > 0) {
            truncationsInFlight.remove(truncateFrom);
        }
        if (index <= 0 || !unstable.contains(index) || unstable.get(index).term() != term) {
            return;
        }
        long bound = index;
        for (long t : truncationsInFlight) {
            bound = Math.min(bound, t - 1);
        }
        if (bound >= unstable.offset()) {
            List<LogEntry> durable = LogEntries.copyOf(unstable.slice(unstable.offset(), bound + 1));
            if (unstable.stableTo(bound, unstable.get(bound).term())) {
                cache.add(durable);
            }
        }
    }

    /**
     * Hands out committed, durable entries not yet handed out, up to {@code maxBytes} (at least one), unless the
     * batches handed out and not yet applied already hold {@code maxApplyInFlightBytes}: a slow state machine then
     * holds entries back in the log instead of in the runtime's memory.
     */
    List<LogEntry> takeCommittedForApply(long maxBytes) {
        if (!hasCommittedToApply()) {
            return List.of();
        }
        List<LogEntry> out = entries(applying + 1, Math.min(committed, durableIndex()) + 1, maxBytes);
        applying = out.get(out.size() - 1).index();
        long bytes = 0;
        for (LogEntry e : out) {
            bytes += e.sizeBytes();
        }
        applyInFlight.addLast(new long[] {applying, bytes});
        applyInFlightBytes += bytes;
        return out;
    }

    boolean hasCommittedToApply() {
        return applying < Math.min(committed, durableIndex()) && applyInFlightBytes < maxApplyInFlightBytes;
    }

    void appliedTo(long index) {
        if (index > applying) {
            throw new IllegalStateException("applied " + index + " beyond handed out " + applying);
        }
        applied = Math.max(applied, index);
        while (!applyInFlight.isEmpty() && applyInFlight.peekFirst()[0] <= applied) {
            applyInFlightBytes -= applyInFlight.pollFirst()[1];
        }
    }

    /** Entries to persist and where storage must truncate first. */
    record PersistWork(long truncateFrom, List<LogEntry> entries) {
    }
}
