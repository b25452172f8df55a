package org.raftlib.examples.kv;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.raftlib.NodeId;
import org.raftlib.storage.FileLogStorage;
import org.raftlib.storage.StorageException;

/**
 * What the KV node prints when it cannot start: wiping the directory (replacing the member) only for damaged data.
 * An operability probe found the wipe advice printed for a read-only directory, whose data was intact.
 */
class KvNodeStartAdviceTest {

    private static final NodeId N1 = NodeId.of("n1");

    @TempDir
    Path dir;

    @Test
    void aDirectoryInUseIsNotToBeWiped() throws IOException {
        try (FileLogStorage held = FileLogStorage.open(dir)) {
            IOException e = catchOpen(dir);
            assertThat(KvNode.startAdvice(e, N1, dir)).contains("left as it was").contains("do not wipe")
                    .doesNotContain("replace the member");
        }
    }

    @Test
    void aDirectoryThatCannotBeCreatedIsNotToBeWiped() throws IOException {
        Path file = Files.writeString(dir.resolve("plain-file"), "x");
        IOException e = catchOpen(file.resolve("data"));
        assertThat(KvNode.startAdvice(e, N1, file)).contains("do not wipe");
    }

    @Test
    void aDataDirectoryThatIsAFileIsSaidInWords() throws IOException {
        Path file = Files.writeString(dir.resolve("plain-file"), "x");
        IOException e = assertThrows(IOException.class, () -> Files.createDirectories(file));
        assertThat(KvNode.startProblem(e)).isEqualTo(file + " exists and is not a directory");
        assertThat(KvNode.startProblem(new FileSystemException("/x/y"))).isEqualTo("FileSystemException: /x/y");
    }

    @Test
    void damagedDataCallsForReplacingTheMember() {
        IOException damaged = new StorageException("corrupt record", dir.resolve("x.seg"), 10);
        assertThat(KvNode.startAdvice(damaged, N1, dir)).contains("replace the member").contains("--join");
    }

    private static IOException catchOpen(Path at) {
        try {
            FileLogStorage.open(at).close();
        } catch (StorageException e) {
            return e;
        } catch (IOException e) {
            throw new AssertionError("expected a StorageException", e);
        }
        throw new AssertionError(at + " opened");
    }

    /** The one-line exit of a failed node named only the wrapper ("storage failed"), not the full disk (probe). */
    @Test
    void theExitLineNamesTheRootCause() {
        Throwable t = new java.io.UncheckedIOException("n1: storage failed",
                new java.io.IOException("No space left on device"));
        assertThat(KvNode.rootCauses(t)).isEqualTo("java.io.UncheckedIOException: n1: storage failed <- "
                + "java.io.IOException: No space left on device");
    }
}
