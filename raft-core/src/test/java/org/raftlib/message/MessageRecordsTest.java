package org.raftlib.message;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.raftlib.Bytes;
import org.raftlib.NodeId;

/** The message records reject malformed input in their constructors, naming what is wrong (found by a probe). */
class MessageRecordsTest {

    private static final NodeId N1 = NodeId.of("n1");
    private static final NodeId N2 = NodeId.of("n2");

    /** A null entry list was reported by the JVM as "Cannot invoke List.isEmpty()". */
    @Test
    void appendEntriesNamesANullEntryList() {
        assertThatThrownBy(() -> new AppendEntries(N1, N2, 1, 0, 0, null, 0))
                .isInstanceOf(NullPointerException.class).hasMessage("entries");
    }

    /** A chunk whose end is past Long.MAX_VALUE was accepted (offset + length overflowed). */
    @Test
    void installSnapshotRejectsAChunkEndingPastTheLargestOffset() {
        Bytes ten = Bytes.wrap(new byte[10]);
        assertThatThrownBy(() -> new InstallSnapshot(N1, N2, 1, 1, 1, Long.MAX_VALUE, ten, false))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("offset " + Long.MAX_VALUE);
        assertThatThrownBy(() -> new InstallSnapshot(N1, N2, 1, 1, 1, Long.MAX_VALUE - 9, ten, true))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(new InstallSnapshot(N1, N2, 1, 1, 1, Long.MAX_VALUE - 10, ten, true).offset())
                .isEqualTo(Long.MAX_VALUE - 10);
        assertThat(new InstallSnapshot(N1, N2, 1, 1, 1, Long.MAX_VALUE, Bytes.EMPTY, true).data().length()).isZero();
    }
}
