package org.raftlib.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.raftlib.Bytes;
import org.raftlib.EntryType;
import org.raftlib.HardState;
import org.raftlib.LogEntry;
import org.raftlib.LogStorage;
import org.raftlib.NodeId;

/**
 * The behaviour every {@link LogStorage} must show, as an abstract JUnit 5 test. An implementation's test extends it
 * and supplies {@link #open(Path)} and {@link #reopen(LogStorage, Path)}.
 *
 * <p>Shipped in raft-core's test-jar so that adapter modules can run it against their own storage.
 */
public abstract class LogStorageContract {

    /** A seed for the randomized cases; printed in every assertion that depends on it. */
    protected static final long SEED = Long.getLong("raftlib.seed", 20261124L);

    @TempDir
    protected Path dir;

    protected LogStorage storage;

    /**
     * Opens a storage on {@code dir}, empty the first time it is called for a directory.
     *
     * @param dir a fresh temporary directory that implementations may use or ignore
     * @return the storage
     * @throws IOException if opening fails
     */
    protected abstract LogStorage open(Path dir) throws IOException;

    /**
     * Simulates a restart: closes {@code storage} (which the test has just synced) and returns a storage holding
     * what survived, as a restarted process would open it.
     *
     * @param storage the storage to restart; closed by this method
     * @param dir the directory passed to {@link #open(Path)}
     * @return the reopened storage
     * @throws IOException if reopening fails
     */
    protected abstract LogStorage reopen(LogStorage storage, Path dir) throws IOException;

    /**
     * Returns whether the storage records the node it is {@link LogStorage#bind bound} to (the SPI's default does
     * not); the binding tests run only if it does.
     *
     * @return false unless overridden
     */
    protected boolean bindsNodes() {
        return false;
    }

    @BeforeEach
    void openStorage() throws IOException {
        storage = open(dir);
    }

    @AfterEach
    void closeStorage() throws IOException {
        storage.close();
    }

    /** Returns a command entry whose payload names its index and term. */
    protected static LogEntry entry(long term, long index) {
        return LogEntry.command(term, index, Bytes.wrap(("e" + index + "-t" + term).getBytes(StandardCharsets.UTF_8)));
    }

    /** Returns entries {@code from..to} inclusive, all in {@code term}. */
    protected static List<LogEntry> entries(long term, long from, long to) {
        List<LogEntry> list = new ArrayList<>();
        for (long i = from; i <= to; i++) {
            list.add(entry(term, i));
        }
        return list;
    }

    private List<LogEntry> readAll(LogStorage s) throws IOException {
        return s.entries(s.firstIndex(), s.lastIndex() + 1, Long.MAX_VALUE);
    }

    private LogStorage restart() throws IOException {
        storage = reopen(storage, dir);
        return storage;
    }

    @Test
    void newLogIsEmpty() throws IOException {
        assertThat(storage.firstIndex()).isEqualTo(1);
        assertThat(storage.lastIndex()).isZero();
        assertThat(storage.term(0)).isZero();
        assertThat(storage.entries(1, 1, 100)).isEmpty();
        assertThat(storage.hardState()).isEqualTo(HardState.INITIAL);
    }

    @Test
    void readsBackAppendedEntries() throws IOException {
        storage.append(entries(1, 1, 3));
        storage.append(List.of(new LogEntry(2, 4, EntryType.NO_OP, Bytes.EMPTY), entry(2, 5)));

        assertThat(storage.lastIndex()).isEqualTo(5);
        assertThat(readAll(storage)).containsExactly(entry(1, 1), entry(1, 2), entry(1, 3),
                new LogEntry(2, 4, EntryType.NO_OP, Bytes.EMPTY), entry(2, 5));
        assertThat(storage.entries(2, 4, Long.MAX_VALUE)).containsExactly(entry(1, 2), entry(1, 3));
        assertThat(storage.term(3)).isEqualTo(1);
        assertThat(storage.term(5)).isEqualTo(2);
    }

    @Test
    void appendingAnEmptyListChangesNothing() throws IOException {
        storage.append(entries(1, 1, 2));
        storage.append(List.of());
        assertThat(storage.lastIndex()).isEqualTo(2);
    }

    @Test
    void rejectsEntriesThatLeaveAGapOverlapOrAreNotConsecutive() throws IOException {
        storage.append(entries(1, 1, 3));

        assertThatThrownBy(() -> storage.append(List.of(entry(1, 5)))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> storage.append(List.of(entry(1, 3)))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> storage.append(List.of(entry(1, 4), entry(1, 6))))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(readAll(storage)).as("a rejected append writes nothing").isEqualTo(entries(1, 1, 3));
    }

    @Test
    void termRejectsIndexesOutsideTheRange() throws IOException {
        storage.append(entries(1, 1, 3));
        assertThatThrownBy(() -> storage.term(4)).isInstanceOf(IndexOutOfBoundsException.class);
        assertThatThrownBy(() -> storage.term(-1)).isInstanceOf(IndexOutOfBoundsException.class);
    }

    @Test
    void entriesStopBeforeExceedingMaxBytes() throws IOException {
        storage.append(entries(1, 1, 10));
        long oneEntry = entry(1, 1).sizeBytes();

        assertThat(storage.entries(1, 11, 3 * oneEntry)).containsExactlyElementsOf(entries(1, 1, 3));
        assertThat(storage.entries(1, 11, 3 * oneEntry + 1)).hasSize(3);
        assertThat(storage.entries(4, 11, 0)).as("at least one entry, however large").containsExactly(entry(1, 4));
        assertThat(storage.entries(5, 5, 0)).isEmpty();
    }

    @Test
    void entriesRejectBadArguments() throws IOException {
        storage.append(entries(1, 1, 5));

        assertThatThrownBy(() -> storage.entries(3, 2, 100)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> storage.entries(1, 2, -1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> storage.entries(0, 2, 100)).isInstanceOf(IndexOutOfBoundsException.class);
        assertThatThrownBy(() -> storage.entries(1, 7, 100)).isInstanceOf(IndexOutOfBoundsException.class);
    }

    @Test
    void truncateSuffixRemovesTheConflictingSuffix() throws IOException {
        storage.append(entries(1, 1, 5));

        storage.truncateSuffix(4);
        storage.append(entries(2, 4, 6));

        assertThat(storage.lastIndex()).isEqualTo(6);
        assertThat(readAll(storage)).containsExactly(entry(1, 1), entry(1, 2), entry(1, 3), entry(2, 4), entry(2, 5),
                entry(2, 6));
    }

    @Test
    void truncateSuffixToFirstIndexEmptiesTheLog() throws IOException {
        storage.append(entries(1, 1, 5));

        storage.truncateSuffix(1);

        assertThat(storage.lastIndex()).isZero();
        assertThat(storage.term(0)).isZero();
        storage.append(entries(3, 1, 2));
        assertThat(readAll(storage)).containsExactly(entry(3, 1), entry(3, 2));
    }

    @Test
    void truncateSuffixAfterTheLastIndexChangesNothing() throws IOException {
        storage.append(entries(1, 1, 3));
        storage.truncateSuffix(4);
        assertThat(readAll(storage)).isEqualTo(entries(1, 1, 3));
    }

    @Test
    void truncateSuffixRejectsIndexesOutsideTheRange() throws IOException {
        storage.append(entries(1, 1, 3));
        assertThatThrownBy(() -> storage.truncateSuffix(5)).isInstanceOf(IndexOutOfBoundsException.class);
        assertThatThrownBy(() -> storage.truncateSuffix(0)).isInstanceOf(IndexOutOfBoundsException.class);
    }

    @Test
    void compactPrefixKeepsLaterEntriesAndThePreviousTerm() throws IOException {
        storage.append(entries(1, 1, 5));
        storage.append(entries(2, 6, 10));

        storage.compactPrefix(6);

        long first = storage.firstIndex();
        assertThat(first).isBetween(1L, 7L);
        assertThat(storage.lastIndex()).isEqualTo(10);
        assertThat(storage.term(first - 1)).isEqualTo(first - 1 == 0 ? 0 : first - 1 <= 5 ? 1 : 2);
        assertThat(storage.entries(7, 11, Long.MAX_VALUE)).containsExactlyElementsOf(entries(2, 7, 10));
    }

    @Test
    void compactPrefixOfTheWholeLogStillAnswersTheLastTerm() throws IOException {
        storage.append(entries(3, 1, 4));

        storage.compactPrefix(4);

        assertThat(storage.firstIndex()).isLessThanOrEqualTo(5);
        assertThat(storage.lastIndex()).isEqualTo(4);
        assertThat(storage.term(storage.firstIndex() - 1)).isEqualTo(storage.firstIndex() == 1 ? 0 : 3);
        assertThat(storage.term(4)).isEqualTo(3);
        storage.append(entries(4, 5, 6));
        assertThat(storage.entries(5, 7, Long.MAX_VALUE)).containsExactlyElementsOf(entries(4, 5, 6));
    }

    @Test
    void compactPrefixRejectsIndexesOutsideTheRange() throws IOException {
        storage.append(entries(1, 1, 3));
        assertThatThrownBy(() -> storage.compactPrefix(4)).isInstanceOf(IndexOutOfBoundsException.class);
        assertThatThrownBy(() -> storage.compactPrefix(-1)).isInstanceOf(IndexOutOfBoundsException.class);
        storage.compactPrefix(0);
        assertThat(storage.firstIndex()).isEqualTo(1);
    }

    @Test
    void savesAndLoadsHardState() throws IOException {
        HardState state = new HardState(7, Optional.of(NodeId.of("n2")), 3);
        storage.saveHardState(state);
        assertThat(storage.hardState()).isEqualTo(state);

        storage.saveHardState(new HardState(8, Optional.empty(), 4));
        storage.sync();

        assertThat(restart().hardState()).isEqualTo(new HardState(8, Optional.empty(), 4));
    }

    @Test
    void reopenAfterSyncReturnsTheSameLog() throws IOException {
        storage.append(entries(1, 1, 5));
        storage.truncateSuffix(4);
        storage.append(entries(2, 4, 8));
        storage.saveHardState(new HardState(2, Optional.of(NodeId.of("n1")), 5));
        storage.sync();
        List<LogEntry> before = readAll(storage);

        LogStorage reopened = restart();

        assertThat(reopened.firstIndex()).isEqualTo(1);
        assertThat(reopened.lastIndex()).isEqualTo(8);
        assertThat(readAll(reopened)).isEqualTo(before);
        assertThat(reopened.hardState()).isEqualTo(new HardState(2, Optional.of(NodeId.of("n1")), 5));
        reopened.append(entries(2, 9, 9));
        assertThat(reopened.term(9)).isEqualTo(2);
    }

    @Test
    void reopenAfterCompactionKeepsTheTermBeforeTheFirstEntry() throws IOException {
        storage.append(entries(1, 1, 50));
        storage.append(entries(2, 51, 100));
        storage.compactPrefix(60);
        storage.sync();
        long first = storage.firstIndex();

        LogStorage reopened = restart();

        assertThat(reopened.firstIndex()).isEqualTo(first);
        assertThat(reopened.term(first - 1)).isEqualTo(first == 1 ? 0 : first - 1 <= 50 ? 1 : 2);
        assertThat(reopened.entries(61, 101, Long.MAX_VALUE)).containsExactlyElementsOf(entries(2, 61, 100));
    }

    @Test
    void randomOperationsMatchAModelAcrossRestarts() throws IOException {
        SplittableRandom random = new SplittableRandom(SEED);
        List<LogEntry> model = new ArrayList<>();
        long term = 1;
        for (int step = 0; step < 300; step++) {
            int op = random.nextInt(10);
            long last = model.isEmpty() ? storage.firstIndex() - 1 : model.get(model.size() - 1).index();
            if (op < 6) {
                List<LogEntry> batch = randomBatch(random, term, last + 1);
                storage.append(batch);
                model.addAll(batch);
            } else if (op < 8 && !model.isEmpty()) {
                long from = model.get(0).index() + random.nextInt(model.size() + 1);
                storage.truncateSuffix(from);
                model.subList((int) (from - model.get(0).index()), model.size()).clear();
                term++;
            } else if (op == 8) {
                storage.sync();
                storage = reopen(storage, dir);
            } else {
                storage.sync();
            }
            String as = "seed " + SEED + " step " + step;
            assertThat(storage.lastIndex()).as(as).isEqualTo(model.isEmpty() ? 0 : model.get(model.size() - 1).index());
            assertThat(readAll(storage)).as(as).isEqualTo(model);
        }
    }

    private static List<LogEntry> randomBatch(SplittableRandom random, long term, long firstIndex) {
        int count = 1 + random.nextInt(20);
        List<LogEntry> batch = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            byte[] payload = new byte[random.nextInt(300)];
            random.nextBytes(payload);
            batch.add(LogEntry.command(term, firstIndex + i, Bytes.wrap(payload)));
        }
        return batch;
    }

    @Test
    void readsOfSyncedEntriesAreSafeWhileAnotherThreadAppends() throws Exception {
        storage.append(entries(1, 1, 100));
        storage.sync();
        AtomicLong synced = new AtomicLong(100);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread reader = new Thread(() -> readUntil(synced, 2000, failure), "contract-reader");
        reader.start();
        for (long next = 101; next <= 2000; next += 10) {
            storage.append(entries(1, next, next + 9));
            storage.sync();
            synced.set(next + 9);
        }
        reader.join();
        assertThat(failure.get()).as("reader failure").isNull();
    }

    private void readUntil(AtomicLong synced, long end, AtomicReference<Throwable> failure) {
        try {
            long seen = 0;
            while (seen < end) {
                seen = synced.get();
                List<LogEntry> read = storage.entries(Math.max(1, seen - 49), seen + 1, Long.MAX_VALUE);
                if (!read.equals(entries(1, Math.max(1, seen - 49), seen)) || storage.term(seen) != 1) {
                    throw new AssertionError("read wrong entries ending at " + seen);
                }
            }
        } catch (Throwable t) {
            failure.set(t);
        }
    }

    @Test
    void bindRecordsTheFirstNodeAndRefusesAnotherAfterARestartWithoutChangingTheLog() throws IOException {
        assumeTrue(bindsNodes(), "this storage does not record its node");
        storage.bind(NodeId.of("n1"));
        storage.bind(NodeId.of("n1"));
        storage.append(entries(1, 1, 3));
        storage.saveHardState(new HardState(1, Optional.of(NodeId.of("n1")), 2));
        storage.sync();

        restart().bind(NodeId.of("n1"));
        assertThatThrownBy(() -> storage.bind(NodeId.of("n2"))).isInstanceOf(IOException.class)
                .hasMessageContaining("n1").hasMessageContaining("n2");

        LogStorage reopened = restart();
        assertThatThrownBy(() -> reopened.bind(NodeId.of("n2"))).as("refused after a restart too")
                .isInstanceOf(IOException.class);
        reopened.bind(NodeId.of("n1"));
        assertThat(readAll(reopened)).isEqualTo(entries(1, 1, 3));
        assertThat(reopened.hardState()).isEqualTo(new HardState(1, Optional.of(NodeId.of("n1")), 2));
    }

    @Test
    void closeIsIdempotentAndLaterCallsFail() throws IOException {
        storage.append(entries(1, 1, 2));
        storage.close();
        storage.close();

        assertThatThrownBy(() -> storage.lastIndex()).isInstanceOf(IllegalStateException.class);
        assertThat(catchThrowable(() -> storage.append(List.of(entry(1, 3)))))
                .isInstanceOfAny(IllegalStateException.class, IOException.class);
        assertThat(catchThrowable(() -> storage.entries(1, 2, 10)))
                .isInstanceOfAny(IllegalStateException.class, IOException.class);
        storage = open(dir.resolve("after-close"));
    }
}
