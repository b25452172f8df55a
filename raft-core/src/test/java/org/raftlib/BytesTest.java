package org.raftlib;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import org.junit.jupiter.api.Test;

class BytesTest {

    private final Bytes value = Bytes.copyOf(new byte[] {1, 2, 3, 4, 5});

    @Test
    void writeToStreamWritesTheRange() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        value.writeTo(out, 1, 3);
        value.writeTo(out, 5, 0);
        assertThat(out.toByteArray()).containsExactly(2, 3, 4);
    }

    @Test
    void writeToStreamRefusesARangeOutside() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        assertThatThrownBy(() -> value.writeTo(out, 3, 3)).isInstanceOf(IndexOutOfBoundsException.class);
        assertThatThrownBy(() -> value.writeTo(out, -1, 1)).isInstanceOf(IndexOutOfBoundsException.class);
        assertThat(out.size()).isZero();
    }

    @Test
    void copyToCopiesTheRangeAndChecksBothArrays() {
        byte[] target = new byte[4];
        value.copyTo(3, target, 1, 2);
        assertThat(target).containsExactly(0, 4, 5, 0);
        assertThatThrownBy(() -> value.copyTo(0, target, 2, 3)).isInstanceOf(IndexOutOfBoundsException.class);
        assertThatThrownBy(() -> value.copyTo(4, target, 0, 2)).isInstanceOf(IndexOutOfBoundsException.class);
        assertThat(target).containsExactly(0, 4, 5, 0);
    }
}
