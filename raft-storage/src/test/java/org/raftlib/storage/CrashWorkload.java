package org.raftlib.storage;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import org.raftlib.Bytes;
import org.raftlib.HardState;
import org.raftlib.LogEntry;
import org.raftlib.NodeId;

/**
 * A scripted run of a {@link FileLogStorage} the way raftlib's runtime drives one: batches appended then synced
 * (sometimes several per sync), hard states saved with a commit index never beyond the synced log, suffixes
 * truncated (unsynced and synced ones, within a segment, across a segment boundary and at a segment start) and
 * followed by appends at the same indexes with no sync in between, segment rolls, prefix compaction, resets to an
 * installed snapshot (past the end with unsynced entries, to the index before an existing segment's first index so
 * that the new first segment takes its name, and inside a segment), appends, rolls and compaction after a reset, and
 * closes and reopens. Every file-system call goes through a {@link FileOpLog}; {@link #expectationAt} says what must
 * survive a crash after any number of them.
 */
final class CrashWorkload {

    /**
     * What the workload knows the storage holds: a log that starts after {@code base} (0, or the index of the last
     * reset, whose term is {@code baseTerm}) with the entries {@code log} from {@code base + 1}; the last index
     * durable for sure ({@code synced}); the hard state; and the index up to which the log may have been compacted.
     */
    record Snapshot(long base, long baseTerm, List<LogEntry> log, long synced, HardState hardState,
            long compactedUpTo) {

        long lastIndex() {
            return base + log.size();
        }

        /** Returns the term of {@code index}, in {@code [base, lastIndex()]}. */
        long term(long index) {
            return index == base ? baseTerm : log.get((int) (index - base - 1)).term();
        }

        Snapshot with(List<LogEntry> newLog, long newSynced, HardState newHardState, long newCompactedUpTo) {
            return new Snapshot(base, baseTerm, List.copyOf(newLog), newSynced, newHardState, newCompactedUpTo);
        }
    }

    /**
     * What a crash must leave: the state of one of {@code allowed}, with at least the synced entries of all of them
     * (the fewest), or, if {@code whole}, of the one it is (a reset leaves the old log or the new one, not a part of
     * the old one). {@code during} names the storage call (numbered, so it tells expectations apart).
     */
    record Expectation(String during, List<Snapshot> allowed, boolean whole) {

        /** Returns how many entries an image that is a run of {@code h} must hold at least. */
        long mustHave(Snapshot h) {
            return whole ? h.synced() : allowed.stream().mapToLong(Snapshot::synced).min().orElseThrow();
        }
    }

    private record Call(String name, int from, int to, Snapshot before, Snapshot after) {
    }

    @FunctionalInterface
    private interface Action {
        void run() throws IOException;
    }

    /** A payload making 96-byte records: from a segment's 32-byte header, record 6 starts at offset 512. */
    private static final int FIXED_PAYLOAD = 96 - RecordCodec.HEADER_BYTES - RecordCodec.FIXED_BODY_BYTES;
    private static final NodeId N1 = NodeId.of("n1");
    private static final NodeId N2 = NodeId.of("n2");
    private static final String RESET = "reset ";

    private final Path dir;
    private final FileLogOptions options;
    private final FaultyChannels ops;
    private final FileOpLog log;
    private final SplittableRandom random;
    private final List<Call> calls = new ArrayList<>();
    private static final Snapshot EMPTY = new Snapshot(0, 0, List.of(), 0, HardState.INITIAL, 0);

    private Snapshot now = EMPTY;
    /**
     * Payload sizes of the entries a truncation removed, for the next append: entries of the same sizes (as with
     * fixed-size commands) put records of both histories at the same offsets, so that a mix of them would decode.
     */
    private List<Integer> removedSizes = List.of();
    private FileLogStorage storage;

    CrashWorkload(Path dir, FileLogOptions options, FileOpLog log, SplittableRandom random) {
        this.dir = dir;
        this.options = options;
        this.ops = new FaultyChannels(log, false);
        this.log = log;
        this.random = random;
    }

    /** Runs the script on a new directory and closes the storage. */
    void run() throws IOException {
        call("open", now, () -> storage = FileLogStorage.open(dir, options, ops));
        append(3, 1);                                   // as raftlib's ReadyWriter: entries, hard state, one sync
        saveHardState(1, N1, 0);
        sync();
        append(4, 1);                                   // three batches, one sync (group commit)
        append(3, 1);
        append(5, 1);
        sync();
        saveHardState(1, N1, 12);
        append(6, 1);
        truncate(17);                                   // an unsynced suffix, then new entries at its indexes
        append(5, 2);
        saveHardState(2, N2, 12);
        sync();
        for (int i = 0; i < 4; i++) {                   // rolls
            append(9, 2);
            sync();
        }
        saveHardState(2, N2, 30);
        append(5, 2);
        sync();
        truncate(Math.max(31, activeStart() - 2));      // a synced suffix across a segment boundary
        append(6, 3);
        append(4, 3);
        sync();
        compact(30);
        append(4, 3);
        sync();
        saveHardState(3, N1, 40);
        append(3, 3);                                   // unsynced at the close; the reopen forces them
        reopen();
        append(5, 3);
        long start = Math.max(41, activeStart());
        truncate(start);                                // at a segment start
        append(8, 4, FIXED_PAYLOAD);                    // fixed-size commands: the sixth record starts at 512
        sync();
        truncate(start + 3);                            // synced records lined up with pages, replaced by
        append(5, 5, FIXED_PAYLOAD);                    // records at the same offsets, with no sync between
        sync();
        append(25, 5);                                  // rolls inside an unsynced batch
        sync();
        resets();
        append(6, 7);                                   // left unsynced
        append(6, 7);
        storage.close();
    }

    /** The part of the script about {@link FileLogStorage#reset}: what a follower installing snapshots does. */
    private void resets() throws IOException {
        saveHardState(5, N2, now.synced() - 2);
        append(4, 5);                                   // unsynced, discarded with the old log
        reset(now.lastIndex() + 20, 6);                 // past the end
        append(5, 6);
        sync();
        for (int i = 0; i < 3; i++) {                   // rolls after a reset
            append(9, 6);
            sync();
        }
        compact(segmentStarts().get(1));                // deletes the reset's first segment
        append(3, 6);
        sync();
        reopen();
        reset(activeStart() - 1, 7);                    // the new first segment takes the name of the active one
        append(4, 7);
        sync();
        append(6, 7);                                   // unsynced, some of them discarded by the next reset
        reset(now.lastIndex() - 3, 7);                  // inside a segment
        append(9, 7);                                   // rolls
        sync();
    }

    /** Returns what a crash after the first {@code opCount} recorded calls must leave. */
    Expectation expectationAt(int opCount) {
        Snapshot done = EMPTY;
        String during = "before any call";
        for (int i = 0; i < calls.size(); i++) {
            Call c = calls.get(i);
            if (c.from() < opCount && opCount < c.to()) {
                return new Expectation("during #" + i + " " + c.name(), List.of(c.before(), c.after()),
                        c.name().startsWith(RESET));
            }
            if (c.to() <= opCount) {
                done = c.after();
                during = "after #" + i + " " + c.name();
            }
        }
        return new Expectation(during, List.of(done), true);
    }

    private void call(String name, Snapshot after, Action action) throws IOException {
        int from = log.size();
        action.run();
        calls.add(new Call(name, from, log.size(), now, after));
        now = after;
    }

    private void append(int count, long term) throws IOException {
        append(count, term, -1);
    }

    /** Appends {@code count} entries of {@code payloadBytes}, or of random sizes if negative. */
    private void append(int count, long term, int payloadBytes) throws IOException {
        List<LogEntry> batch = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            int size = payloadBytes >= 0 ? payloadBytes : random.nextInt(100);
            byte[] payload = new byte[i < removedSizes.size() ? removedSizes.get(i) : size];
            random.nextBytes(payload);
            batch.add(LogEntry.command(term, now.lastIndex() + 1 + i, Bytes.wrap(payload)));
        }
        removedSizes = List.of();
        List<LogEntry> after = new ArrayList<>(now.log());
        after.addAll(batch);
        String name = "append " + batch.get(0).index() + ".." + (batch.get(0).index() + count - 1);
        call(name, now.with(after, now.synced(), now.hardState(), now.compactedUpTo()), () -> storage.append(batch));
    }

    private void sync() throws IOException {
        call("sync", now.with(now.log(), now.lastIndex(), now.hardState(), now.compactedUpTo()), storage::sync);
    }

    private void saveHardState(long term, NodeId vote, long commit) throws IOException {
        if (commit > now.synced()) {
            throw new IllegalStateException("commit " + commit + " beyond the synced log " + now.synced());
        }
        HardState state = new HardState(term, Optional.of(vote), commit);
        call("saveHardState " + state, now.with(now.log(), now.synced(), state, now.compactedUpTo()),
                () -> storage.saveHardState(state));
    }

    private void truncate(long from) throws IOException {
        if (from <= now.hardState().commit()) {
            throw new IllegalStateException("truncating committed entries from " + from);
        }
        int cut = (int) (from - now.base() - 1);
        removedSizes = now.log().subList(cut, now.log().size()).stream().map(e -> e.data().length()).toList();
        Snapshot after = now.with(now.log().subList(0, cut), Math.min(now.synced(), from - 1), now.hardState(),
                now.compactedUpTo());
        call("truncateSuffix " + from, after, () -> storage.truncateSuffix(from));
    }

    private void compact(long upTo) throws IOException {
        Snapshot after = now.with(now.log(), now.synced(), now.hardState(), Math.max(now.compactedUpTo(), upTo));
        call("compactPrefix " + upTo, after, () -> storage.compactPrefix(upTo));
    }

    /** A follower installs a snapshot up to {@code index}: the log restarts after it, durably. */
    private void reset(long index, long term) throws IOException {
        if (index < now.hardState().commit()) {
            throw new IllegalStateException("a reset to " + index + " below the commit index");
        }
        removedSizes = List.of();
        Snapshot after = new Snapshot(index, term, List.of(), index, now.hardState(), index);
        call(RESET + index + " term " + term, after, () -> storage.reset(index, term));
    }

    private void reopen() throws IOException {
        storage.close();
        call("reopen", now, () -> storage = FileLogStorage.open(dir, options, ops));
    }

    private long activeStart() throws IOException {
        List<Long> starts = segmentStarts();
        return starts.get(starts.size() - 1);
    }

    private List<Long> segmentStarts() throws IOException {
        return Segments.firstIndexes(dir);
    }
}
