package org.raftlib.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.assertj.core.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.raftlib.LogEntry;
import org.raftlib.NodeId;

/**
 * Crash-point enumeration, in the manner of ALICE and CrashMonkey: records every file-system call of a scripted
 * workload ({@link CrashWorkload}), then, for a crash after each call and for the losses of unsynced data that
 * the file-system model allows ({@link CrashModel}: all of them when there are few, else a seeded sample), builds
 * the directory the crash leaves, opens it and checks that open succeeds, every synced entry is there, the entries
 * beyond form a run of one written history, and the hard state is the old or the new one, with its commit index
 * within the recovered log.
 */
class CrashPointTest {

    private static final long SEED = Long.getLong("raftlib.seed", 20261201L);
    private static final int PAGE_BYTES = 512;
    /** Crash points with at most this many states are enumerated; others are sampled this many times. */
    private static final int STATES_PER_POINT = 64;
    private static final FileLogOptions SMALL = FileLogOptions.defaults().withSegmentSizeBytes(2048);
    private static final FileLogOptions VERIFY = SMALL.withPreallocate(false).withWriteBufferBytes(4096);
    private static final FaultyChannels NO_FORCES = new FaultyChannels(null, false);
    private static final NodeId N1 = NodeId.of("n1");
    private static final NodeId N2 = NodeId.of("n2");

    @TempDir
    Path dir;

    static Stream<Arguments> models() {
        return Stream.of(Arguments.of(CrashModel.Fs.ORDERED, true), Arguments.of(CrashModel.Fs.ORDERED, false),
                Arguments.of(CrashModel.Fs.UNORDERED, true), Arguments.of(CrashModel.Fs.UNORDERED, false));
    }

    @ParameterizedTest(name = "{0}, preallocate={1}")
    @MethodSource("models")
    void everyCrashStateRecovers(CrashModel.Fs fs, boolean preallocate) throws IOException {
        Path work = Files.createDirectory(dir.resolve("work"));
        Path scratch = Files.createDirectory(dir.resolve("scratch"));
        FileOpLog log = new FileOpLog(work);
        CrashWorkload workload = new CrashWorkload(work, SMALL.withPreallocate(preallocate), log,
                new SplittableRandom(SEED));
        workload.run();
        List<FileOp> ops = log.ops();
        SplittableRandom random = new SplittableRandom(SEED);
        Set<String> checked = new HashSet<>();
        long states = 0;
        long lossy = 0;
        for (int point = 0; point <= ops.size(); point++) {
            CrashModel model = new CrashModel(log.initial(), ops.subList(0, point), fs, PAGE_BYTES);
            CrashWorkload.Expectation expected = workload.expectationAt(point);
            for (CrashModel.Choice state : model.sample(STATES_PER_POINT, random)) {
                states++;
                Map<String, byte[]> image = model.image(state);
                if (checked.add(expected.during() + " " + digest(image))) {
                    String as = String.format("seed %d, %s, preallocate=%s, crash after call %d of %d (%s, last: %s),"
                            + " %s", SEED, fs, preallocate, point, ops.size(), expected.during(),
                            point == 0 ? "none" : ops.get(point - 1), model.lost(state));
                    CrashModel.write(image, scratch);
                    lossy += check(scratch, expected, as) ? 1 : 0;
                }
            }
        }
        System.out.printf("CrashPointTest seed=%d (replay: -Draftlib.seed=%d) %s preallocate=%s: %d calls, %d crash"
                + " states, %d distinct images checked, %d of them losing written entries%n", SEED, SEED, fs,
                preallocate, ops.size(), states, checked.size(), lossy);
        assertThat(lossy).as("crash states that lose unsynced entries").isPositive();
    }

    static Stream<Arguments> interruptedResets() {
        return Stream.of(CrashModel.Fs.values()).flatMap(fs -> Stream.of("old log whole", "old log partly deleted",
                "torn base header").map(scenario -> Arguments.of(fs, scenario)));
    }

    /**
     * A crash in a reset to index 80 left the new first segment ({@code log-81.base}) next to the old log, whole or
     * partly deleted, with a valid header or a torn one; open finishes or undoes the reset, and crashes at each of
     * its calls (with every allowed loss) must still recover to the new log, or to the old one if the header was torn.
     */
    @ParameterizedTest(name = "{0}, {1}")
    @MethodSource("interruptedResets")
    void everyCrashWhileOpenFinishesAnInterruptedResetRecovers(CrashModel.Fs fs, String scenario) throws IOException {
        Path work = Files.createDirectory(dir.resolve("work"));
        Path scratch = Files.createDirectory(dir.resolve("scratch"));
        List<LogEntry> old = CrashRecoveryTest.entries(1, 60, 1);
        try (FileLogStorage s = FileLogStorage.open(work, VERIFY)) {
            s.append(old);
            s.sync();
        }
        List<Long> oldSegments = Segments.firstIndexes(work);
        boolean torn = scenario.startsWith("torn");
        Path base = work.resolve(Segment.baseFileName(81));
        Segment.create(base, 81, 4, VERIFY, FileOps.DEFAULT).close();
        if (torn) {
            Files.write(base, Arrays.copyOf(Files.readAllBytes(base), 20));
        } else if (scenario.contains("partly")) {
            Files.delete(work.resolve(Segment.fileName(oldSegments.get(oldSegments.size() - 1))));
        }
        FileOpLog log = new FileOpLog(work);
        FileLogStorage.open(work, VERIFY, new FaultyChannels(log, false)).close();
        List<FileOp> ops = log.ops();
        long states = forEachCrashState(log, fs, (point, image, lost) -> {
            String as = String.format("seed %d, %s, %s, crash after call %d of %d of the open (last: %s), %s", SEED,
                    fs, scenario, point, ops.size(), point == 0 ? "none" : ops.get(point - 1), lost);
            CrashModel.write(image, scratch);
            try (FileLogStorage s = openOrFail(scratch, as)) {
                assertThat(s.firstIndex()).as(as).isEqualTo(torn ? 1 : 81);
                assertThat(s.entries(s.firstIndex(), s.lastIndex() + 1, Long.MAX_VALUE)).as(as)
                        .isEqualTo(torn ? old : List.of());
                assertThat(s.term(s.firstIndex() - 1)).as(as).isEqualTo(torn ? 0 : 4);
                assertThat(Segments.firstIndexes(scratch)).as(as).isEqualTo(torn ? oldSegments : List.of(81L));
            }
        });
        System.out.printf("CrashPointTest seed=%d %s, %s: %d calls of the open, %d crash states%n", SEED, fs, scenario,
                ops.size(), states);
    }

    /** Checks one crash state: the directory it leaves, after the first {@code point} calls, losing {@code lost}. */
    @FunctionalInterface
    private interface CrashCheck {
        void check(int point, Map<String, byte[]> image, String lost) throws IOException;
    }

    /**
     * Runs {@code check} on the crash states after each call {@code log} recorded (all of them, or a seeded sample
     * where there are many) and returns how many it checked.
     */
    private static long forEachCrashState(FileOpLog log, CrashModel.Fs fs, CrashCheck check) throws IOException {
        List<FileOp> ops = log.ops();
        SplittableRandom random = new SplittableRandom(SEED);
        long states = 0;
        for (int point = 0; point <= ops.size(); point++) {
            CrashModel model = new CrashModel(log.initial(), ops.subList(0, point), fs, PAGE_BYTES);
            for (CrashModel.Choice state : model.sample(STATES_PER_POINT, random)) {
                states++;
                check.check(point, model.image(state), model.lost(state));
            }
        }
        return states;
    }

    static Stream<Arguments> firstBinds() {
        return Stream.of(CrashModel.Fs.values()).flatMap(fs -> Stream.of(false, true).map(l -> Arguments.of(fs, l)));
    }

    /**
     * A crash at any call of the first open and bind of a directory (a new one, or one an earlier release left with a
     * log and no {@code node-id} file), with every allowed loss, leaves a directory that opens with its log and binds
     * that node, and then refuses another; once the bind has returned, it refuses another node at once.
     */
    @ParameterizedTest(name = "{0}, earlier release's log={1}")
    @MethodSource("firstBinds")
    void everyCrashDuringTheFirstBindLeavesADirectoryThatBindsItsNodeOnly(CrashModel.Fs fs, boolean earlier)
            throws IOException {
        Path work = Files.createDirectory(dir.resolve("work"));
        Path scratch = Files.createDirectory(dir.resolve("scratch"));
        List<LogEntry> old = earlier ? CrashRecoveryTest.entries(1, 30, 2) : List.of();
        if (earlier) {
            try (FileLogStorage s = FileLogStorage.open(work, VERIFY)) {
                s.append(old);
                s.sync();
            }
        }
        FileOpLog log = new FileOpLog(work);
        FileLogStorage binding = FileLogStorage.open(work, VERIFY, new FaultyChannels(log, false));
        binding.bind(N1);
        int bound = log.size();
        binding.close();
        List<FileOp> ops = log.ops();
        long states = forEachCrashState(log, fs, (point, image, lost) -> {
            String as = String.format("seed %d, %s, earlier=%s, crash after call %d of %d (bound after %d, last: %s),"
                    + " %s", SEED, fs, earlier, point, ops.size(), bound, point == 0 ? "none" : ops.get(point - 1),
                    lost);
            if (point >= bound) {
                CrashModel.write(image, scratch);
                try (FileLogStorage s = openOrFail(scratch, as)) {
                    assertThat(catchThrowable(() -> s.bind(N2))).as(as).isInstanceOf(StorageException.class);
                }
            }
            CrashModel.write(image, scratch);
            try (FileLogStorage s = openOrFail(scratch, as)) {
                bindOrFail(s, as);
                assertThat(s.entries(1, s.lastIndex() + 1, Long.MAX_VALUE)).as(as).isEqualTo(old);
            }
            try (FileLogStorage s = openOrFail(scratch, as)) {
                assertThat(catchThrowable(() -> s.bind(N2))).as(as + ", n1 bound").isInstanceOf(StorageException.class);
            }
        });
        System.out.printf("CrashPointTest seed=%d %s, earlier release's log=%s: %d calls of the open and first bind,"
                + " %d crash states%n", SEED, fs, earlier, ops.size(), states);
    }

    private static void bindOrFail(FileLogStorage s, String as) {
        try {
            s.bind(N1);
        } catch (IOException e) {
            throw new AssertionError(as + ": bind refused: " + e, e);
        }
    }

    private static FileLogStorage openOrFail(Path scratch, String as) {
        try {
            return FileLogStorage.open(scratch, VERIFY, NO_FORCES);
        } catch (IOException e) {
            throw new AssertionError(as + ": open refused: " + e, e);
        }
    }

    /** Opens the crash image in {@code scratch} and checks it; returns whether it lost entries that were written. */
    private static boolean check(Path scratch, CrashWorkload.Expectation expected, String as) throws IOException {
        try (FileLogStorage s = openOrFail(scratch, as)) {
            long first = s.firstIndex();
            long last = s.lastIndex();
            List<LogEntry> entries = s.entries(first, last + 1, Long.MAX_VALUE);
            long termBefore = s.term(first - 1);
            if (expected.allowed().stream().noneMatch(h -> isRunOf(h, first, entries, termBefore))) {
                fail(as + ": entries " + first + ".." + last + " after " + (first - 1) + "@" + termBefore
                        + " are not a run of one written history: " + terms(entries));
            }
            if (expected.allowed().stream().noneMatch(h -> isRunOf(h, first, entries, termBefore)
                    && last >= expected.mustHave(h))) {
                fail(as + ": synced entries lost: last index " + last + " < " + expected.allowed().stream()
                        .filter(h -> isRunOf(h, first, entries, termBefore)).map(expected::mustHave).toList());
            }
            if (expected.allowed().stream().noneMatch(h -> h.hardState().equals(s.hardState()))) {
                fail(as + ": hard state " + s.hardState() + " is none of " + expected.allowed().stream()
                        .map(CrashWorkload.Snapshot::hardState).toList());
            }
            if (s.hardState().commit() > last) {
                fail(as + ": commit " + s.hardState().commit() + " beyond the recovered log " + last);
            }
            return expected.allowed().stream().allMatch(h -> last < h.lastIndex());
        }
    }

    /**
     * Returns whether the log recovered, {@code entries} from {@code first} after an entry of {@code termBefore}, is
     * a run of history {@code h}: nothing before its base (a reset's index) and nothing compacted beyond what it
     * allows, the same entries, the same term before them.
     */
    private static boolean isRunOf(CrashWorkload.Snapshot h, long first, List<LogEntry> entries, long termBefore) {
        long from = first - 1;
        if (from < h.base() || from > h.compactedUpTo() || from + entries.size() > h.lastIndex()) {
            return false;
        }
        int offset = (int) (from - h.base());
        return entries.equals(h.log().subList(offset, offset + entries.size())) && h.term(from) == termBefore;
    }

    private static List<String> terms(List<LogEntry> entries) {
        return entries.stream().map(e -> e.index() + "@" + e.term()).toList();
    }

    private static String digest(Map<String, byte[]> image) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            image.forEach((name, bytes) -> {
                sha.update(name.getBytes(StandardCharsets.UTF_8));
                sha.update((byte) 0);
                sha.update(Integer.toString(bytes.length).getBytes(StandardCharsets.UTF_8));
                sha.update((byte) 0);
                sha.update(bytes);
            });
            return Base64.getEncoder().encodeToString(sha.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }
}
