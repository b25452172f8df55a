package org.raftlib.local;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.raftlib.HardState;
import org.raftlib.LogStorage;
import org.raftlib.NodeId;
import org.raftlib.testkit.LogStorageContract;

class InMemoryLogStorageTest extends LogStorageContract {

    @Override
    protected boolean bindsNodes() {
        return true;
    }

    @Override
    protected LogStorage open(Path dir) {
        return new InMemoryLogStorage();
    }

    @Override
    protected LogStorage reopen(LogStorage storage, Path dir) throws IOException {
        InMemoryLogStorage copy = ((InMemoryLogStorage) storage).crashCopy();
        storage.close();
        return copy;
    }

    private InMemoryLogStorage memory() {
        return (InMemoryLogStorage) storage;
    }

    @Test
    void crashCopyLosesWritesAfterTheLastSync() throws IOException {
        memory().append(entries(1, 1, 3));
        memory().saveHardState(new HardState(1, Optional.of(NodeId.of("n1")), 0));
        memory().sync();
        memory().append(entries(1, 4, 6));
        memory().saveHardState(new HardState(2, Optional.empty(), 0));

        InMemoryLogStorage crashed = memory().crashCopy();

        assertThat(crashed.lastIndex()).isEqualTo(3);
        assertThat(crashed.entries(1, 4, Long.MAX_VALUE)).containsExactlyElementsOf(entries(1, 1, 3));
        assertThat(crashed.hardState()).isEqualTo(new HardState(1, Optional.of(NodeId.of("n1")), 0));
        assertThat(memory().lastIndex()).as("the original is unchanged").isEqualTo(6);
    }

    @Test
    void crashCopyLosesAnUnsyncedTruncationAndCompaction() throws IOException {
        memory().append(entries(1, 1, 10));
        memory().sync();
        memory().truncateSuffix(6);
        memory().compactPrefix(3);

        InMemoryLogStorage crashed = memory().crashCopy();

        assertThat(crashed.firstIndex()).isEqualTo(1);
        assertThat(crashed.entries(1, 11, Long.MAX_VALUE)).containsExactlyElementsOf(entries(1, 1, 10));
    }

    @Test
    void crashCopyKeepsASyncedTruncationFollowedByAppends() throws IOException {
        memory().append(entries(1, 1, 10));
        memory().sync();
        memory().truncateSuffix(4);
        memory().append(entries(2, 4, 5));
        memory().compactPrefix(2);
        memory().sync();
        memory().append(entries(2, 6, 8));

        InMemoryLogStorage crashed = memory().crashCopy();

        assertThat(crashed.firstIndex()).isEqualTo(3);
        assertThat(crashed.term(2)).isEqualTo(1);
        assertThat(crashed.lastIndex()).isEqualTo(5);
        assertThat(crashed.entries(3, 6, Long.MAX_VALUE)).containsExactly(entry(1, 3), entry(2, 4), entry(2, 5));
    }

    @Test
    void compactionDiscardsExactlyTheCoveredEntries() throws IOException {
        memory().append(entries(1, 1, 10));
        memory().compactPrefix(4);
        assertThat(memory().firstIndex()).isEqualTo(5);
        assertThat(memory().term(4)).isEqualTo(1);
    }
}
