package org.raftlib.storage;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.raftlib.Bytes;
import org.raftlib.LogEntry;

/**
 * Rounds of random appends, truncations, compactions and syncs, each ended by a simulated crash that keeps what was
 * synced and a random part of the rest, as a file system that reorders everything may ({@link CrashModel}, with
 * the two models in turn): every synced entry survives, and what survives beyond it is a run of the entries last
 * written at those indexes. Each round starts from what the previous crash left.
 */
class CrashSimulationTest {

    private static final long SEED = Long.getLong("raftlib.seed", 20261124L);
    private static final FileLogOptions OPTIONS = FileLogOptions.defaults().withSegmentSizeBytes(2048);
    private static final int PAGE_BYTES = 512;

    @TempDir
    Path dir;

    @Test
    void syncedEntriesSurviveAnyCrash() throws IOException {
        SplittableRandom random = new SplittableRandom(SEED);
        List<LogEntry> durable = new ArrayList<>();      // the log as of the last sync, by index - 1
        for (int round = 0; round < 40; round++) {
            FileOpLog log = new FileOpLog(dir);
            List<LogEntry> written = new ArrayList<>(durable);
            long keepBelow;
            try (FileLogStorage s = FileLogStorage.open(dir, OPTIONS, new FaultyChannels(log, false))) {
                long first = s.firstIndex();
                assertThat(s.entries(first, s.lastIndex() + 1, Long.MAX_VALUE)).as(as(round))
                        .isEqualTo(durable.subList((int) (first - 1), durable.size()));
                keepBelow = runOps(s, random, durable, written, round);
            }
            CrashModel.Fs fs = CrashModel.Fs.values()[round % 2];
            CrashModel disk = new CrashModel(log.initial(), log.ops(), fs, PAGE_BYTES);
            CrashModel.Choice crash = disk.randomState(random);
            CrashModel.write(disk.image(crash), dir);
            try (FileLogStorage s = FileLogStorage.open(dir, OPTIONS)) {
                String as = as(round) + ", " + fs + ", " + disk.lost(crash);
                long first = s.firstIndex();
                assertThat(s.lastIndex()).as(as).isGreaterThanOrEqualTo(keepBelow - 1);
                List<LogEntry> recovered = s.entries(first, s.lastIndex() + 1, Long.MAX_VALUE);
                for (LogEntry e : recovered) {
                    List<LogEntry> expected = e.index() < keepBelow ? durable : written;
                    assertThat(e.index()).as(as + ": an entry beyond all written").isLessThanOrEqualTo(
                            expected.size());
                    assertThat(e).as(as + ": the entry last written at " + e.index())
                            .isEqualTo(expected.get((int) e.index() - 1));
                }
                List<LogEntry> model = new ArrayList<>(written.subList(0, (int) Math.min(written.size(), first - 1)));
                model.addAll(recovered);
                durable.clear();
                durable.addAll(model);
            }
        }
    }

    private static String as(int round) {
        return "seed " + SEED + ", round " + round;
    }

    /**
     * Runs random operations; returns the index below which every entry must survive a crash now (the entries
     * synced last and not truncated since).
     */
    private static long runOps(FileLogStorage s, SplittableRandom random, List<LogEntry> durable,
            List<LogEntry> written, int round) throws IOException {
        long keepBelow = durable.size() + 1;
        long term = 1 + round;
        for (int op = 0; op < 30; op++) {
            int kind = random.nextInt(10);
            if (kind < 6) {
                List<LogEntry> batch = batch(random, term, written.size() + 1);
                s.append(batch);
                written.addAll(batch);
            } else if (kind < 8 && written.size() >= s.firstIndex()) {
                long from = s.firstIndex() + random.nextInt((int) (written.size() - s.firstIndex() + 2));
                s.truncateSuffix(from);
                written.subList((int) from - 1, written.size()).clear();
                keepBelow = Math.min(keepBelow, from);
                term++;
            } else if (kind == 8 && s.lastIndex() > s.firstIndex()) {
                s.compactPrefix(s.firstIndex() + random.nextInt((int) (s.lastIndex() - s.firstIndex())));
            } else {
                s.sync();
                durable.clear();
                durable.addAll(written);
                keepBelow = durable.size() + 1;
            }
        }
        return keepBelow;
    }

    private static List<LogEntry> batch(SplittableRandom random, long term, long firstIndex) {
        List<LogEntry> batch = new ArrayList<>();
        int count = 1 + random.nextInt(12);
        for (int i = 0; i < count; i++) {
            byte[] payload = new byte[random.nextInt(200)];
            random.nextBytes(payload);
            batch.add(LogEntry.command(term, firstIndex + i, Bytes.wrap(payload)));
        }
        return batch;
    }
}
