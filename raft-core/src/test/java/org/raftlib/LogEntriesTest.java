package org.raftlib;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.RandomAccess;
import org.junit.jupiter.api.Test;

class LogEntriesTest {

    private static final LogEntry A = LogEntry.command(1, 1, Bytes.wrap(new byte[] {1}));
    private static final LogEntry B = LogEntry.command(1, 2, Bytes.wrap(new byte[] {2}));
    private static final LogEntry C = LogEntry.command(2, 3, Bytes.wrap(new byte[] {3}));

    @Test
    void copyIsEqualImmutableAndOfOneClassWhateverItsSize() {
        List<LogEntry> source = new ArrayList<>(List.of(A, B, C));
        List<LogEntry> three = LogEntries.copyOf(source);
        List<LogEntry> one = LogEntries.copyOf(List.of(A));
        source.clear();
        assertThat(three).containsExactly(A, B, C).isEqualTo(List.of(A, B, C)).isInstanceOf(RandomAccess.class);
        assertThat(one.getClass()).isSameAs(three.getClass());
        assertThat(LogEntries.copyOf(List.of())).isEmpty();
        assertThat(LogEntries.copyOf(three)).isSameAs(three);
        assertThat(three.hashCode()).isEqualTo(List.of(A, B, C).hashCode());
        assertThatThrownBy(() -> three.add(A)).isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(() -> three.set(0, B)).isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(() -> three.remove(0)).isInstanceOf(UnsupportedOperationException.class);
    }

    @Test
    void refusesNulls() {
        assertThatThrownBy(() -> LogEntries.copyOf(null)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> LogEntries.copyOf(Arrays.asList(A, null))).isInstanceOf(NullPointerException.class);
    }
}
