package org.raftlib.internal.core.progress;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Set;
import org.junit.jupiter.api.Test;
import org.raftlib.NodeId;

/** Which voters a leader that lost its quorum did not hear from (named in its step-down WARN). */
class ProgressTrackerTest {

    private static NodeId n(int i) {
        return new NodeId("n" + i);
    }

    @Test
    void silentVotersAreTheOtherVotersNotHeardFromInBothHalvesOfAJointConfigurationButNoLearner() {
        ProgressTracker tracker = new ProgressTracker(n(1), Set.of(n(1), n(2), n(3)));
        tracker.setVoters(Set.of(n(1), n(3), n(4)), Set.of(n(1), n(2), n(3)));
        tracker.resetProgress(Set.of(n(1), n(2), n(3), n(4), n(5)), 1, 4, 1 << 20);   // n5 is a learner
        tracker.progress(n(3)).markRecentActive();

        assertThat(tracker.silentVoters(tracker.voters(), Progress::isRecentActive)).containsExactly(n(2), n(4));
        tracker.progress(n(2)).markRecentActive();
        tracker.progress(n(4)).markRecentActive();
        assertThat(tracker.silentVoters(tracker.voters(), Progress::isRecentActive)).isEmpty();
    }

    @Test
    void aVoterWithoutProgressCountsAsSilent() {
        ProgressTracker tracker = new ProgressTracker(n(1), Set.of(n(1), n(2), n(3)));
        tracker.resetProgress(Set.of(n(2)), 1, 4, 1 << 20);
        tracker.progress(n(2)).markRecentActive();

        assertThat(tracker.silentVoters(tracker.voters(), Progress::isRecentActive)).containsExactly(n(3));
    }
}
