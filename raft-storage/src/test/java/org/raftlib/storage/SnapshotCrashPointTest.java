package org.raftlib.storage;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.raftlib.SnapshotMeta;
import org.raftlib.SnapshotStore;

/**
 * Crash-point enumeration of {@link FileSnapshotStore} commits, as {@link CrashPointTest} does for the log: three
 * snapshots committed with {@code retain} 1 (each pruning the one before), every
 * file-system call recorded; for a crash after each call and each loss of unsynced data the model allows (all, or a
 * seeded sample), the reopened store's latest snapshot must be the one before the commit in progress or the one it
 * commits (after a completed commit, that one), read back whole, and no temporary file may survive the open.
 */
class SnapshotCrashPointTest {

    private static final long SEED = Long.getLong("raftlib.seed", 20261201L);
    private static final int PAGE_BYTES = 512;
    private static final int STATES_PER_POINT = 64;
    private static final FaultyChannels NO_FORCES = new FaultyChannels(null, false);

    @TempDir
    Path dir;

    /** One commit: the recorded calls {@code [from, to)} made {@code after}, of {@code payload}, the latest. */
    private record Commit(int from, int to, SnapshotMeta after, byte[] payload) {
    }

    @ParameterizedTest
    @EnumSource(CrashModel.Fs.class)
    void everyCrashDuringACommitLeavesThePreviousSnapshotOrTheNewOne(CrashModel.Fs fs) throws IOException {
        Path work = Files.createDirectory(dir.resolve("work"));
        Path scratch = Files.createDirectory(dir.resolve("scratch"));
        FileOpLog log = new FileOpLog(work);
        SnapshotStore store = FileSnapshotStore.open(work, 1, new FaultyChannels(log, false));
        SplittableRandom random = new SplittableRandom(SEED);
        List<Commit> commits = new ArrayList<>();
        for (long index : new long[] {10, 15, 20}) {
            byte[] payload = new byte[1000 + random.nextInt(1000)];
            random.nextBytes(payload);
            int from = log.size();
            SnapshotMeta committed;
            try (SnapshotStore.Writer w = store.write(FileSnapshotStoreTest.meta(index, 2))) {
                w.stream().write(payload);
                committed = w.commit();
            }
            commits.add(new Commit(from, log.size(), committed, payload));
        }
        List<FileOp> ops = log.ops();
        long states = 0;
        for (int point = 0; point <= ops.size(); point++) {
            CrashModel model = new CrashModel(log.initial(), ops.subList(0, point), fs, PAGE_BYTES);
            List<Commit> allowed = allowedAt(commits, point);
            for (CrashModel.Choice state : model.sample(STATES_PER_POINT, random)) {
                states++;
                String as = String.format("seed %d, %s, crash after call %d of %d (last: %s), %s", SEED, fs, point,
                        ops.size(), point == 0 ? "none" : ops.get(point - 1), model.lost(state));
                CrashModel.write(model.image(state), scratch);
                check(FileSnapshotStore.open(scratch, 1, NO_FORCES), allowed, as);
                try (var files = Files.list(scratch)) {
                    assertThat(files.map(p -> p.getFileName().toString())).as(as).noneMatch(n -> n.endsWith(".tmp"));
                }
            }
        }
        System.out.printf("SnapshotCrashPointTest seed=%d %s: %d calls, %d crash states%n", SEED, fs, ops.size(),
                states);
    }

    /** The commits whose state a crash after {@code point} calls may leave: {@code null} stands for no snapshot. */
    private static List<Commit> allowedAt(List<Commit> commits, int point) {
        List<Commit> allowed = new ArrayList<>();
        Commit done = null;
        for (Commit c : commits) {
            if (c.from() < point && point < c.to()) {
                allowed.add(done);
                allowed.add(c);
                return allowed;
            }
            if (c.to() <= point) {
                done = c;
            }
        }
        allowed.add(done);
        return allowed;
    }

    private static void check(SnapshotStore store, List<Commit> allowed, String as) throws IOException {
        Optional<SnapshotMeta> latest = store.latest();
        Commit found = null;
        for (Commit c : allowed) {
            if (c == null ? latest.isEmpty() : latest.equals(Optional.of(c.after()))) {
                found = c;
                break;
            }
        }
        assertThat(found != null || (latest.isEmpty() && allowed.contains(null))).as(as + ": latest " + latest
                + " is none of " + allowed.stream().map(c -> c == null ? "none" : c.after().toString()).toList())
                .isTrue();
        if (found != null) {
            try (InputStream in = store.read(found.after())) {
                assertThat(in.readAllBytes()).as(as).isEqualTo(found.payload());
            }
        }
    }
}
