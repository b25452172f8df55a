package org.raftlib.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.raftlib.Member;
import org.raftlib.RaftNode;
import org.raftlib.RaftOptions;
import org.raftlib.local.LocalTransport;
import org.raftlib.storage.FileLogOptions;
import org.raftlib.storage.FileLogStorage;
import org.raftlib.storage.FileSnapshotStore;
import org.raftlib.testkit.Await;
import org.raftlib.testkit.SnapshotStateMachine;

/**
 * A long write run with automatic snapshots keeps a node's data directory under the bound the README gives:
 * {@code snapshotEveryEntries + snapshotKeepEntries} entries of log plus those written while a snapshot is taken
 * (allowed a quarter of {@code snapshotEveryEntries} here), plus the active segment, the one holding the compaction
 * point, the spare and one being deleted in the background (whole segments are deleted), plus the retained
 * snapshots and the one being written. Scaled down (small segments, a snapshot every 1,000 entries) so that it runs
 * in seconds; checked after every 500 writes, once the background snapshot and deletions have caught up (5 s at
 * most).
 */
class DiskBoundTest {

    private static final int EVERY = 1_000;
    private static final int KEEP = 200;
    private static final long SEGMENT = 32 << 10;
    private static final int PAYLOAD = 100;
    private static final int WRITES = 20_000;
    /** Entries that may arrive while a snapshot is written and its compaction handed out: a quarter of EVERY. */
    private static final int LAG = EVERY / 4;

    @TempDir
    Path dir;

    @Test
    void dataDirectoryStaysUnderTheDocumentedBound() throws Exception {
        SnapshotStateMachine machine = new SnapshotStateMachine();
        try (LocalTransport.Hub hub = LocalTransport.hub(5);
                RaftNode node = RaftNode.builder().id("n1").members(Member.of("n1", "local-1")).stateMachine(machine)
                        .logStorage(FileLogStorage.open(dir.resolve("log"),
                                FileLogOptions.defaults().withSegmentSizeBytes(SEGMENT)))
                        .snapshotStore(FileSnapshotStore.open(dir.resolve("log").resolve("snapshots"), 2))
                        .transport(hub.transport()).randomSeed(1)
                        .options(RaftOptions.defaults().withSnapshotPolicy(EVERY, Long.MAX_VALUE, KEEP)).build()) {
            node.start();
            Await.until("n1 to lead", Duration.ofSeconds(10), () -> node.status().isLeader());
            String pad = "p".repeat(PAYLOAD - 12);
            long largest = 0;
            for (int round = 0; round < WRITES / 500; round++) {
                List<CompletableFuture<byte[]>> futures = new ArrayList<>();
                for (int i = 0; i < 500; i++) {
                    futures.add(node.submit(String.format("%011d", round * 500 + i).concat(pad).getBytes()));
                }
                for (CompletableFuture<byte[]> f : futures) {
                    f.get(20, TimeUnit.SECONDS);
                }
                long snapshotBound = 3L * (16 + (long) machine.size() * (PAYLOAD + 2)) + 3 * 4096;   // 2 + 1 in writing
                long logBound = (long) (EVERY + KEEP + LAG) * recordBytes() + 4 * SEGMENT + 4096;
                // Snapshots and deletions run in the background: the bound holds once they have caught up.
                int written = (round + 1) * 500;
                Await.until("the log under " + logBound + " bytes after " + written + " writes", Duration.ofSeconds(5),
                        () -> sizeOf(dir.resolve("log"), false) <= logBound);
                Await.until("the snapshots under " + snapshotBound + " bytes after " + written + " writes",
                        Duration.ofSeconds(5), () -> sizeOf(dir.resolve("log").resolve("snapshots"), true)
                                <= snapshotBound);
                largest = Math.max(largest, sizeOf(dir.resolve("log"), true));
            }
            assertThat(node.status().latestSnapshot()).isPresent();
            assertThat(node.status().firstLogIndex()).isGreaterThan(WRITES - EVERY - KEEP - 1_000);
            System.out.printf("DiskBoundTest: largest data directory %d bytes over %d writes%n", largest, WRITES);
        }
    }

    /** A log record: 8 bytes of length and checksum, 21 of synced end, term, index and type, then the payload. */
    private static long recordBytes() {
        return 8 + 21 + PAYLOAD;
    }

    /** Sums the regular files' sizes; files deleted by the background threads meanwhile make it try again. */
    private static long sizeOf(Path root, boolean recursive) {
        for (int attempt = 0; ; attempt++) {
            try (Stream<Path> files = recursive ? Files.walk(root) : Files.list(root)) {
                return files.filter(Files::isRegularFile).mapToLong(p -> {
                    try {
                        return Files.size(p);
                    } catch (IOException e) {
                        return 0;                              // deleted meanwhile
                    }
                }).sum();
            } catch (IOException | UncheckedIOException e) {
                if (attempt == 10) {
                    throw new AssertionError("cannot list " + root, e);
                }
            }
        }
    }
}
