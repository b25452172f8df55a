package org.raftlib.internal.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
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
    private final SnapshotReceiver receiver = new SnapshotReceiver(FOLLOWER, new InMemorySnapshotStore(),
            new RecordingTransport(sent), new Inbox(), RuntimeMetrics.NONE, clock::get);

    /**
     * A transfer nothing resumes (its leader crashed, and no other sends one) is dropped after the idle timeout, its
     * temporary file with it; found by a hostile-peer probe (the file stayed until the next transfer or a restart).
     */
    @Test
    void aTransferThatGoesSilentIsDroppedAfterTheIdleTimeout() {
        ClusterConfig config = ClusterConfig.ofVoters(List.of(Member.of("n1", "a"), Member.of("n2", "b")));
        byte[] header = SnapshotTransfer.header(new SnapshotMeta(7, 2, config, 1 << 20, 0));
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

    private static InstallSnapshot chunk(long offset, byte[] data) {
        return new InstallSnapshot(LEADER, FOLLOWER, 3, 7, 2, offset, Bytes.wrap(data), false);
    }

    private RaftMessage last() {
        return sent.get(sent.size() - 1);
    }
}
