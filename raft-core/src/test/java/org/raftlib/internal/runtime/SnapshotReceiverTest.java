package org.raftlib.internal.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;
import org.raftlib.Bytes;
import org.raftlib.ClusterConfig;
import org.raftlib.Member;
import org.raftlib.NodeId;
import org.raftlib.SnapshotMeta;
import org.raftlib.local.InMemorySnapshotStore;
import org.raftlib.message.InstallSnapshot;
import org.raftlib.message.InstallSnapshotResponse;
import org.raftlib.message.RaftMessage;

/** The follower's side of a snapshot transfer, with a clock of its own. */
class SnapshotReceiverTest {

    private static final NodeId LEADER = NodeId.of("n1");
    private static final NodeId FOLLOWER = NodeId.of("n2");
    private static final long IDLE = 5_000_000_000L;

    private final List<RaftMessage> sent = new ArrayList<>();
    private final AtomicLong clock = new AtomicLong(1_000_000_000L);
    private final InMemorySnapshotStore store = new InMemorySnapshotStore();
    private final SnapshotReceiver receiver = new SnapshotReceiver(FOLLOWER, store, new RecordingTransport(sent),
            new Inbox(), RuntimeMetrics.NONE, clock::get);

    /**
     * A transfer nothing resumes (its leader crashed, and no other sends one) is dropped after the idle timeout, its
     * temporary file with it; found by a hostile-peer probe (the file stayed until the next transfer or a restart).
     */
    @Test
    void aTransferThatGoesSilentIsDroppedAfterTheIdleTimeout() {
        ClusterConfig config = ClusterConfig.ofVoters(List.of(Member.of("n1", "a"), Member.of("n2", "b")));
        byte[] header = SnapshotTransfer.header(new SnapshotMeta(7, 2, config, 0, 1 << 20, 0));
        byte[] first = Arrays.copyOf(header, header.length + 100);
        receiver.onChunk(chunk(0, first));
        assertThat(last()).isEqualTo(new InstallSnapshotResponse(FOLLOWER, LEADER, 3, 7, first.length, true));
        assertThat(receiver.lastChunkNanos()).isNotZero();

        clock.addAndGet(IDLE - 1);
        receiver.abandonIfIdle(IDLE);
        receiver.onChunk(chunk(first.length, new byte[100]));
        assertThat(last()).as("still receiving").isEqualTo(new InstallSnapshotResponse(FOLLOWER, LEADER, 3, 7,
                first.length + 100, true));

        clock.addAndGet(IDLE);
        receiver.abandonIfIdle(IDLE);
        assertThat(receiver.lastChunkNanos()).isZero();
        receiver.onChunk(chunk(first.length + 100, new byte[100]));
        assertThat(last()).as("dropped: start over").isEqualTo(new InstallSnapshotResponse(FOLLOWER, LEADER, 3, 7, 0,
                false));
    }

    /**
     * A configuration of many members with long addresses makes a header longer than a small chunk (1 KiB is the
     * smallest allowed): the follower assembles it from several chunks. It parsed the first chunk alone and refused
     * every such transfer, so that follower never caught up (outside probe).
     */
    @Test
    void aHeaderLongerThanAChunkIsAssembledFromSeveralChunks() throws Exception {
        List<Member> members = new ArrayList<>();
        for (int i = 1; i <= 9; i++) {
            members.add(Member.of("n" + i + "-" + "x".repeat(60), "host-" + "y".repeat(180) + ":" + (7000 + i)));
        }
        ClusterConfig config = ClusterConfig.ofVoters(members);
        byte[] stream = stream(new SnapshotMeta(7, 2, config, 0, 3000, 0));
        assertThat(SnapshotTransfer.header(new SnapshotMeta(7, 2, config, 0, 3000, 0)).length).isGreaterThan(2048);

        for (int offset = 0; offset < stream.length; offset += 1024) {
            int n = Math.min(1024, stream.length - offset);
            receiver.onChunk(new InstallSnapshot(LEADER, FOLLOWER, 3, 7, 2, offset,
                    Bytes.wrap(Arrays.copyOfRange(stream, offset, offset + n)), offset + n == stream.length));
            if (offset + n < stream.length) {
                assertThat(last()).isEqualTo(new InstallSnapshotResponse(FOLLOWER, LEADER, 3, 7, offset + n, true));
            }
        }

        assertThat(receiver.failure()).isNull();
        SnapshotMeta stored = store.latest().orElseThrow();
        assertThat(stored.index()).isEqualTo(7);
        assertThat(stored.config()).isEqualTo(config);
        assertThat(stored.sizeBytes()).isEqualTo(3000);
    }

    /** A snapshot's configuration is checked as a configuration entry is: one without voters is refused. */
    @Test
    void aSnapshotWhoseConfigurationHasNoVotersIsRefused() throws Exception {
        byte[] stream = stream(new SnapshotMeta(7, 2, ClusterConfig.EMPTY, 0, 100, 0));

        receiver.onChunk(new InstallSnapshot(LEADER, FOLLOWER, 3, 7, 2, 0, Bytes.wrap(stream), true));

        assertThat(last()).isEqualTo(new InstallSnapshotResponse(FOLLOWER, LEADER, 3, 7, 0, false));
        assertThat(receiver.failure().reason()).contains("no voters");
        assertThat(store.latest()).isEmpty();
    }

    /** The whole transfer stream of a snapshot of {@code meta} whose state is {@code meta.sizeBytes()} bytes. */
    private static byte[] stream(SnapshotMeta meta) {
        byte[] header = SnapshotTransfer.header(meta);
        byte[] stream = new byte[header.length + (int) meta.sizeBytes() + SnapshotTransfer.TRAILER_BYTES];
        System.arraycopy(header, 0, stream, 0, header.length);
        for (int i = header.length; i < stream.length - SnapshotTransfer.TRAILER_BYTES; i++) {
            stream[i] = (byte) i;
        }
        CRC32C crc = new CRC32C();
        crc.update(stream, 0, stream.length - SnapshotTransfer.TRAILER_BYTES);
        ByteBuffer.wrap(stream, stream.length - SnapshotTransfer.TRAILER_BYTES, SnapshotTransfer.TRAILER_BYTES)
                .putInt((int) crc.getValue());
        return stream;
    }

    private static InstallSnapshot chunk(long offset, byte[] data) {
        return new InstallSnapshot(LEADER, FOLLOWER, 3, 7, 2, offset, Bytes.wrap(data), false);
    }

    private RaftMessage last() {
        return sent.get(sent.size() - 1);
    }
}
