package org.raftlib.internal.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.raftlib.NodeId;
import org.raftlib.RaftEvent;
import org.raftlib.RaftListener;

/** {@link PeerWatch} tick by tick, with events delivered at once. */
class PeerWatchTest {

    private static final NodeId N1 = NodeId.of("n1");
    private static final NodeId N2 = NodeId.of("n2");
    private static final NodeId N3 = NodeId.of("n3");
    private static final Set<NodeId> ALL = Set.of(N1, N2, N3);
    private static final int ELECTION_TICKS = 5;

    private final List<RaftEvent> events = new ArrayList<>();
    private final PeerWatch watch = new PeerWatch(N1, ELECTION_TICKS, 10_000_000, new Events("n1",
            new CopyOnWriteArrayList<>(List.of(new RaftListener() {
                @Override
                public void onEvent(RaftEvent event) {
                    events.add(event);
                }
            })), task -> ((Runnable) task).run()));

    /** Ticks {@code n} times as leader of {@code term}, hearing from {@code heard} before each tick. */
    private void lead(long term, int n, NodeId... heard) {
        for (int i = 0; i < n; i++) {
            for (NodeId id : heard) {
                watch.heard(id);
            }
            watch.tick(term, ALL);
        }
    }

    @Test
    void aSilentPeerIsReportedOnceAfterAnElectionTimeoutAndAgainWhenHeard() {
        lead(1, ELECTION_TICKS, N2);                       // the first tick starts the watch
        assertThat(events).isEmpty();
        lead(1, 1, N2);
        assertThat(events).containsExactly(new RaftEvent.PeerUnreachable(N3, 1, Duration.ofMillis(50)));
        lead(1, 20, N2);
        assertThat(events).hasSize(1);
        watch.heard(N3);
        assertThat(events).last().isEqualTo(new RaftEvent.PeerReachable(N3, 1));
        lead(1, ELECTION_TICKS - 1, N2);
        assertThat(events).hasSize(2);
    }

    @Test
    void followersWatchNothingAndANewLeadershipStartsAfresh() {
        lead(-1, 50);
        watch.heard(N2);
        assertThat(events).isEmpty();
        lead(2, ELECTION_TICKS + 1);
        assertThat(events).extracting(e -> ((RaftEvent.PeerUnreachable) e).peer()).containsExactlyInAnyOrder(N2, N3);
        events.clear();
        lead(-1, 1);                                         // stepped down: no reachable events for the old term
        watch.heard(N2);
        lead(3, ELECTION_TICKS - 1, N2);
        assertThat(events).isEmpty();
    }

    @Test
    void aRemovedMemberIsForgotten() {
        lead(1, ELECTION_TICKS, N2);
        for (int i = 0; i < 10; i++) {
            watch.heard(N2);
            watch.tick(1, Set.of(N1, N2));               // n3 was removed from the configuration
        }
        assertThat(events).isEmpty();
    }
}
