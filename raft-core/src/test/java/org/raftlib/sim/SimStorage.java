package org.raftlib.sim;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.raftlib.HardState;
import org.raftlib.LogEntry;
import org.raftlib.LogStorage;
import org.raftlib.internal.core.LogView;
import org.raftlib.internal.core.MemoryLog;

/**
 * A {@link LogStorage} whose crashes are as hostile as a real disk's, for the simulation. The log and the hard state
 * are separate files, each durable on its own: nothing is durable until a {@link #sync()} that covers it completes
 * (the simulation completes syncs with {@link #completeSyncs}), and a crash keeps an arbitrary part of what was not.
 *
 * <p>Writes between two {@code sync()} calls form an epoch. A crash completes the epochs before some epoch, keeps a
 * part of that one, and nothing after it: a write issued after a {@code sync()} returned can only have reached the
 * disk if everything before that sync did. Within the partly kept epoch, {@link FileSystem#ORDERED} keeps a prefix of
 * the writes in the order they were made (a journaling file system that orders metadata with data, like ext4
 * {@code data=ordered}); {@link FileSystem#UNORDERED} keeps any subset: each entry, each truncation and each hard
 * state independently (per-file logging with a volatile write cache, pages written back in any order). A lost
 * truncation followed by a kept entry leaves an old entry next to a new one, exactly as a real file would.
 *
 * <p>Recovery after a crash is that of a log that stops at its first missing entry ({@code FileLogStorage} truncates
 * a torn tail there). The hard state is the last kept one (a whole-file replace: old or new, never a mix).
 */
final class SimStorage implements LogStorage, LogView {

    /** How the writes of an unsynced epoch may survive a crash. */
    enum FileSystem { ORDERED, UNORDERED }

    private sealed interface Op permits Truncate, Append, SaveHardState {
    }

    private record Truncate(long from) implements Op {
    }

    private record Append(LogEntry entry) implements Op {
    }

    private record SaveHardState(HardState state) implements Op {
    }

    private record Epoch(long number, List<Op> ops) {
    }

    private final FileSystem fileSystem;
    private final List<LogEntry> live = new ArrayList<>();
    private HardState liveHardState = HardState.INITIAL;
    private List<LogEntry> durable = new ArrayList<>();
    private HardState durableHardState = HardState.INITIAL;
    private final ArrayDeque<Epoch> pending = new ArrayDeque<>();
    private long syncsIssued;
    /** The index the log starts after (reset to a snapshot, or compacted): entries start after {@code base}. */
    private long base;
    private long baseTerm;

    SimStorage(FileSystem fileSystem) {
        this.fileSystem = fileSystem;
    }

    FileSystem fileSystem() {
        return fileSystem;
    }

    /** Returns the number of {@code sync()} calls so far: the barrier that completes every write made before now. */
    long syncsIssued() {
        return syncsIssued;
    }

    /** The syncs before {@code barrier} completed: every write made before them is durable. */
    void completeSyncs(long barrier) {
        while (!pending.isEmpty() && pending.peekFirst().number() < barrier) {
            durableHardState = apply(durable, durableHardState, pending.removeFirst().ops(), null);
            durable = prefix(durable);
        }
    }

    /**
     * Crashes: completes the pending epochs before a random one, keeps part of that one as the file system allows,
     * loses the rest, and recovers.
     */
    void crash(SplittableRandom random) {
        List<Epoch> epochs = new ArrayList<>(pending);
        pending.clear();
        if (!epochs.isEmpty()) {
            int cut = random.nextInt(epochs.size());
            List<LogEntry> image = new ArrayList<>(durable);
            HardState hs = durableHardState;
            for (int i = 0; i < cut; i++) {
                hs = apply(image, hs, epochs.get(i).ops(), null);
            }
            hs = apply(image, hs, epochs.get(cut).ops(), random);
            durable = prefix(image);
            durableHardState = hs;
        }
        live.clear();
        live.addAll(durable);
        liveHardState = durableHardState;
    }

    /** Applies {@code ops} to a slot image of the log (null = hole); with a random source, only the kept ones. */
    private HardState apply(List<LogEntry> image, HardState hs, List<Op> ops, SplittableRandom random) {
        int keepPrefix = random != null && fileSystem == FileSystem.ORDERED ? random.nextInt(ops.size() + 1) : -1;
        HardState result = hs;
        for (int i = 0; i < ops.size(); i++) {
            boolean kept = random == null
                    || (fileSystem == FileSystem.ORDERED ? i < keepPrefix : random.nextBoolean());
            if (!kept) {
                continue;
            }
            Op op = ops.get(i);
            if (op instanceof Truncate t) {
                while (image.size() >= t.from() - base) {
                    image.remove(image.size() - 1);
                }
            } else if (op instanceof Append a) {
                int slot = (int) (a.entry().index() - base) - 1;
                while (image.size() <= slot) {
                    image.add(null);
                }
                image.set(slot, a.entry());
            } else {
                result = ((SaveHardState) op).state();
            }
        }
        return result;
    }

    /** Recovery: the log up to its first hole. */
    private static List<LogEntry> prefix(List<LogEntry> image) {
        int n = image.indexOf(null);
        return new ArrayList<>(n < 0 ? image : image.subList(0, n));
    }

    private void record(Op op) {
        if (pending.isEmpty() || pending.peekLast().number() != syncsIssued) {
            pending.addLast(new Epoch(syncsIssued, new ArrayList<>()));
        }
        pending.peekLast().ops().add(op);
    }

    /** Returns the hard state a crash now would keep at least: the last one whose sync completed. */
    HardState durableHardState() {
        return durableHardState;
    }

    /** Returns the index the log starts after (0: never reset or compacted). */
    long base() {
        return base;
    }

    /** Returns up to which index the durable log agrees with the live one (what a crash keeps of it). */
    long durableMatchingPrefix() {
        int n = Math.min(durable.size(), live.size());
        for (int i = 0; i < n; i++) {
            if (!durable.get(i).equals(live.get(i))) {
                return base + i;
            }
        }
        return base + n;
    }

    /** Returns the live entry at {@code index}, or null at the snapshot the log starts after. */
    LogEntry entry(long index) {
        return index <= base ? null : live.get((int) (index - base) - 1);
    }

    /** Returns the durable entry at {@code index}, or null if the durable log is shorter. */
    LogEntry durableEntry(long index) {
        return index > base && index - base <= durable.size() ? durable.get((int) (index - base) - 1) : null;
    }

    /** Returns every entry of the live log (those after the snapshot it was reset to, if any). */
    List<LogEntry> all() {
        return List.copyOf(live);
    }

    @Override
    public long firstIndex() {
        return base + 1;
    }

    @Override
    public long lastIndex() {
        return base + live.size();
    }

    @Override
    public long term(long index) {
        return index == base ? baseTerm : live.get((int) (index - base) - 1).term();
    }

    @Override
    public List<LogEntry> entries(long from, long to, long maxBytes) {
        return MemoryLog.slice(live, from - base, to - base, maxBytes);
    }

    @Override
    public void append(List<LogEntry> entries) {
        for (LogEntry e : entries) {
            if (e.index() != lastIndex() + 1) {
                throw new IllegalArgumentException("gap: appending " + e.index() + " after " + lastIndex());
            }
            live.add(e);
            record(new Append(e));
        }
    }

    @Override
    public void truncateSuffix(long fromIndex) {
        if (fromIndex <= base || fromIndex > lastIndex() + 1) {
            throw new IndexOutOfBoundsException("truncate at " + fromIndex + " outside (" + base + ", "
                    + (lastIndex() + 1) + "]");
        }
        live.subList((int) (fromIndex - base) - 1, live.size()).clear();
        record(new Truncate(fromIndex));
    }

    /**
     * Really drops the entries, and durably at once: the hostile choice, since a compaction that reaches the disk
     * before the snapshot covering it would lose those entries. The core compacts only applied entries, which are
     * durable, so the durable log holds them too.
     */
    @Override
    public void compactPrefix(long upToIndex) {
        if (upToIndex <= base) {
            return;
        }
        int k = (int) (upToIndex - base);
        if (k > live.size() || k > durable.size() || !durable.subList(0, k).equals(live.subList(0, k))) {
            throw new IllegalStateException("compacting up to " + upToIndex + " beyond the durable log");
        }
        baseTerm = term(upToIndex);
        live.subList(0, k).clear();
        durable.subList(0, k).clear();
        base = upToIndex;
    }

    /**
     * Durable when it returns, as {@code FileLogStorage}'s is (it forces its files): every earlier write is completed
     * first, then the log restarts after {@code index}.
     */
    @Override
    public void reset(long index, long term) {
        completeSyncs(Long.MAX_VALUE);
        base = index;
        baseTerm = term;
        live.clear();
        durable = new ArrayList<>();
    }

    @Override
    public void sync() {
        syncsIssued++;
    }

    @Override
    public HardState hardState() {
        return liveHardState;
    }

    @Override
    public void saveHardState(HardState state) {
        liveHardState = state;
        record(new SaveHardState(state));
    }

    @Override
    public void close() {
    }
}
