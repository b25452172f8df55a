package org.raftlib.internal.core.progress;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Raft §5.3 nextIndex/matchIndex with probe and replicate flow control. */
class ProgressTest {

    @Test
    void probeSendsOneMessageUntilAnswered() {
        Progress pr = new Progress(5, 4, 1000);
        assertThat(pr.isPaused()).isFalse();

        pr.onSent(1, 5, 10);

        assertThat(pr.isPaused()).isTrue();
        pr.onHeartbeatAcknowledged();
        assertThat(pr.isPaused()).isFalse();
    }

    @Test
    void acceptAdvancesMatchAndNext() {
        Progress pr = new Progress(5, 4, 1000);
        pr.onSent(1, 5, 10);

        assertThat(pr.onAccepted(5)).isTrue();
        assertThat(pr.onAccepted(3)).as("stale ack").isFalse();

        assertThat(pr.matchIndex()).isEqualTo(5);
        assertThat(pr.nextIndex()).isEqualTo(6);
    }

    @Test
    void replicatePipelinesUpToTheWindow() {
        Progress pr = new Progress(1, 2, 1000);
        pr.onAccepted(0);
        pr.becomeReplicate();
        pr.onSent(2, 2, 10);
        pr.onSent(2, 4, 10);

        assertThat(pr.nextIndex()).isEqualTo(5);
        assertThat(pr.isPaused()).isTrue();
        pr.onAccepted(2);
        assertThat(pr.isPaused()).isFalse();
        assertThat(pr.inflightCount()).isEqualTo(1);
    }

    @Test
    void rejectionInReplicateFallsBackToProbeAtHint() {
        Progress pr = new Progress(1, 4, 1000);
        pr.onAccepted(3);
        pr.becomeReplicate();
        pr.onSent(3, 9, 10);

        assertThat(pr.onRejected(7, 5)).isTrue();

        assertThat(pr.mode()).isEqualTo(ProgressMode.PROBE);
        assertThat(pr.nextIndex()).isEqualTo(5);
        assertThat(pr.onRejected(2, 1)).as("rejection below match is stale").isFalse();
    }

    @Test
    void probeIgnoresRejectionOfAnOlderMessageAndNeverGoesBelowMatch() {
        Progress pr = new Progress(10, 4, 1000);
        pr.onAccepted(4);
        pr.becomeProbe();
        pr.onSent(0, 4, 0);

        assertThat(pr.onRejected(8, 1)).as("not the probe in flight").isFalse();
        assertThat(pr.onRejected(4, 1)).isTrue();
        assertThat(pr.nextIndex()).isEqualTo(5);
    }

    @Test
    void probeMovesBelowARejectionUnderTheProbeAboveTheMatch() {
        Progress pr = new Progress(95, 4, 1000);          // a new member, probed at the leader's last index
        assertThat(pr.onRejected(89, 13)).as("a heartbeat at the compaction point, rejected").isTrue();
        assertThat(pr.nextIndex()).isEqualTo(13);
    }
}
