package org.raftlib.internal.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.raftlib.ClusterConfig;
import org.raftlib.Member;
import org.raftlib.SnapshotMeta;

/** The transfer header: version 3 carries the configuration's index, version 2 (an older leader's) is still read. */
class SnapshotTransferTest {

    private static final ClusterConfig CONFIG = ClusterConfig.ofVoters(List.of(Member.of("n1", "a:1"),
            Member.of("n2", "b:2")));

    @Test
    void theHeaderCarriesTheConfigurationWithTheIndexOfItsEntry() throws IOException {
        byte[] header = SnapshotTransfer.header(new SnapshotMeta(70, 3, CONFIG, 12, 4096, 0));

        assertThat(SnapshotTransfer.headerLength(header, header.length)).isEqualTo(header.length);
        assertThat(SnapshotTransfer.headerLength(header, header.length - CONFIG.encode().length - 1)).isEqualTo(-1);
        SnapshotTransfer.Header h = SnapshotTransfer.parseHeader(header);
        assertThat(h).isEqualTo(new SnapshotTransfer.Header(70, 3, 4096, CONFIG, 12, header.length));
    }

    /** A header of a leader of the previous release, which did not send the index: read at the snapshot's index. */
    @Test
    void aVersion2HeaderIsReadWithTheConfigurationAtTheSnapshotsIndex() throws IOException {
        byte[] config = CONFIG.encode();
        byte[] header = ByteBuffer.allocate(36 + config.length).putInt(SnapshotTransfer.MAGIC).putInt(2).putLong(70)
                .putLong(3).putLong(4096).putInt(config.length).put(config).array();

        assertThat(SnapshotTransfer.headerLength(header, header.length)).isEqualTo(header.length);
        assertThat(SnapshotTransfer.parseHeader(header))
                .isEqualTo(new SnapshotTransfer.Header(70, 3, 4096, CONFIG, 70, header.length));
    }

    @Test
    void anIndexBeyondTheSnapshotOrAnUnknownVersionIsRefused() {
        byte[] header = SnapshotTransfer.header(new SnapshotMeta(70, 3, CONFIG, 12, 4096, 0));
        ByteBuffer.wrap(header).putLong(32, 71);
        assertThatThrownBy(() -> SnapshotTransfer.parseHeader(header)).isInstanceOf(IOException.class)
                .hasMessageContaining("configuration at 71");
        ByteBuffer.wrap(header).putInt(4, 9);
        assertThatThrownBy(() -> SnapshotTransfer.headerLength(header, header.length)).isInstanceOf(IOException.class)
                .hasMessageContaining("version 3 or 2");
    }
}
