package org.raftlib.internal.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.raftlib.Bytes;
import org.raftlib.HardState;
import org.raftlib.LogEntry;
import org.raftlib.NodeId;

/** A slow state machine holds committed entries back in the log, not in the runtime's memory. */
class ApplyFlowTest {

    private static final NodeId N1 = NodeId.of("n1");

    @Test
    void committedEntriesHandedOutButNotAppliedAreBoundedByTwiceTheApplyBatch() {
        CoreConfig config = CoreConfig.of(N1, Set.of(N1), new SplittableRandom(1))
                .withFlow(new CoreConfig.FlowControl(8, 1 << 20, 10_000));
        TestNode node = TestNode.start(config, List.of(), HardState.INITIAL);
        node.core().campaign();
        long handedOut = 0;
        long lastIndex = 0;
        for (int round = 0; round < 50; round++) {
            node.core().propose(Bytes.wrap(new byte[1000]));
            Ready rd = node.core().ready();
            node.persist(rd);
            node.core().onPersisted(rd);                      // durable, but never reported applied
            for (LogEntry e : rd.committed()) {
                handedOut += e.sizeBytes();
                lastIndex = e.index();
            }
        }
        assertThat(node.core().status().commitIndex()).isGreaterThan(40);
        assertThat(handedOut).isLessThanOrEqualTo(2 * 10_000 + 1024);
        node.core().onApplied(lastIndex);
        Ready more = node.core().ready();
        assertThat(more.committed()).isNotEmpty();
        assertThat(more.committed().get(0).index()).isEqualTo(lastIndex + 1);
    }
}
