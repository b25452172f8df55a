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
 * followed by appends at the same indexes with no sync in between, segment rolls, prefix compaction, and a close and
 * reopen. Every file-system call goes through a {@link FileOpLog}; {@link #expectationAt} says what must survive a
 * crash after any number of them.
 */
final class CrashWorkload {

    /** What the workload knows the storage holds: the log by index - 1, and what is durable for sure. */
    record Snapshot(List<LogEntry> log, long synced, HardState hardState, long compactedUpTo) {
    }

    /**
     * What a crash must leave: the state of one of {@code allowed}, with at least its first {@code mustHave}.
     * {@code during} names the storage call (numbered, so it tells expectations apart).
     */
    record Expectation(String during, List<Snapshot> allowed, long mustHave) {
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

    private final Path dir;
    private final FileLogOptions options;
    private final FaultyChannels ops;
    private final FileOpLog log;
    private final SplittableRandom random;
    private final List<Call> calls = new ArrayList<>();
    private Snapshot now = new Snapshot(List.of(), 0, HardState.INITIAL, 0);
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
        append(6, 5);                                   // left unsynced
        append(6, 5);
        storage.close();
    }

    /** Returns what a crash after the first {@code opCount} recorded calls must leave. */
    Expectation expectationAt(int opCount) {
        Snapshot done = new Snapshot(List.of(), 0, HardState.INITIAL, 0);
        String during = "before any call";
        for (int i = 0; i < calls.size(); i++) {
            Call c = calls.get(i);
            if (c.from() < opCount && opCount < c.to()) {
                return new Expectation("during #" + i + " " + c.name(), List.of(c.before(), c.after()),
                        Math.min(c.before().synced(), c.after().synced()));
            }
            if (c.to() <= opCount) {
                done = c.after();
                during = "after #" + i + " " + c.name();
            }
        }
        return new Expectation(during, List.of(done), done.synced());
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
            batch.add(LogEntry.command(term, now.log().size() + 1 + i, Bytes.wrap(payload)));
        }
        removedSizes = List.of();
        List<LogEntry> after = new ArrayList<>(now.log());
        after.addAll(batch);
        String name = "append " + batch.get(0).index() + ".." + (batch.get(0).index() + count - 1);
        call(name, new Snapshot(List.copyOf(after), now.synced(), now.hardState(), now.compactedUpTo()),
                () -> storage.append(batch));
    }

    private void sync() throws IOException {
        call("sync", new Snapshot(now.log(), now.log().size(), now.hardState(), now.compactedUpTo()), storage::sync);
    }

    private void saveHardState(long term, NodeId vote, long commit) throws IOException {
        if (commit > now.synced()) {
            throw new IllegalStateException("commit " + commit + " beyond the synced log " + now.synced());
        }
        HardState state = new HardState(term, Optional.of(vote), commit);
        call("saveHardState " + state, new Snapshot(now.log(), now.synced(), state, now.compactedUpTo()),
                () -> storage.saveHardState(state));
    }

    private void truncate(long from) throws IOException {
        if (from <= now.hardState().commit()) {
            throw new IllegalStateException("truncating committed entries from " + from);
        }
        removedSizes = now.log().subList((int) from - 1, now.log().size()).stream()
                .map(e -> e.data().length()).toList();
        Snapshot after = new Snapshot(List.copyOf(now.log().subList(0, (int) from - 1)),
                Math.min(now.synced(), from - 1), now.hardState(), now.compactedUpTo());
        call("truncateSuffix " + from, after, () -> storage.truncateSuffix(from));
    }

    private void compact(long upTo) throws IOException {
        Snapshot after = new Snapshot(now.log(), now.synced(), now.hardState(), Math.max(now.compactedUpTo(), upTo));
        call("compactPrefix " + upTo, after, () -> storage.compactPrefix(upTo));
    }

    private void reopen() throws IOException {
        storage.close();
        call("reopen", now, () -> storage = FileLogStorage.open(dir, options, ops));
    }

    private long activeStart() throws IOException {
        List<Long> starts = FileLogStorage.segmentFirstIndexes(dir);
        return starts.get(starts.size() - 1);
    }
}
