package org.raftlib.internal.core.progress;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** The window of AppendEntries in flight to one follower. */
class InflightsTest {

    @Test
    void fillsByCountAndFreesUpToAnIndex() {
        Inflights in = new Inflights(3, 1000);
        in.add(2, 10);
        in.add(5, 10);
        in.add(9, 10);
        assertThat(in.isFull()).isTrue();

        in.freeLE(5);

        assertThat(in.count()).isEqualTo(1);
        assertThat(in.isFull()).isFalse();
    }

    @Test
    void wrapsAroundTheRing() {
        Inflights in = new Inflights(3, 1000);
        for (long i = 1; i <= 20; i++) {
            in.add(i, 1);
            if (in.isFull()) {
                in.freeFirstOne();
            }
        }
        assertThat(in.count()).isEqualTo(2);
        in.freeLE(19);
        assertThat(in.count()).isEqualTo(1);
    }

    @Test
    void fillsByBytesButAlwaysAllowsOne() {
        Inflights in = new Inflights(10, 100);
        assertThat(in.isFull()).isFalse();
        in.add(1, 500);
        assertThat(in.isFull()).isTrue();
        in.freeLE(1);
        assertThat(in.isFull()).isFalse();
    }

    @Test
    void rejectsNonIncreasingIndexAndOverflow() {
        Inflights in = new Inflights(1, 100);
        in.add(3, 1);
        assertThatThrownBy(() -> in.add(4, 1)).isInstanceOf(IllegalStateException.class);
        in.reset();
        in.add(3, 1);
        in.freeFirstOne();
        Inflights two = new Inflights(2, 100);
        two.add(3, 1);
        assertThatThrownBy(() -> two.add(3, 1)).isInstanceOf(IllegalStateException.class);
    }
}
