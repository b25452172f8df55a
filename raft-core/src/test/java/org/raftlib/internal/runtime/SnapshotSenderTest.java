package org.raftlib.internal.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.raftlib.ClusterConfig;
import org.raftlib.Member;
import org.raftlib.NodeId;
import org.raftlib.SnapshotMeta;
import org.raftlib.SnapshotStore;
import org.raftlib.Transport;
import org.raftlib.local.InMemorySnapshotStore;
import org.raftlib.message.InstallSnapshot;
import org.raftlib.message.InstallSnapshotResponse;
import org.raftlib.message.RaftMessage;

/**
 * {@link SnapshotSender} against a follower that keeps dropping the transfer (it cannot store the snapshot): the
 * stream starts over at once the first time, then after doubling pauses, and the sender gives up after
 * {@link SnapshotSender#MAX_RESTARTS} restarts instead of streaming it in a loop. Time is a test clock.
 */
class SnapshotSenderTest {

    private static final NodeId LEADER = NodeId.of("n1");
    private static final NodeId FOLLOWER = NodeId.of("n2");
    private static final int CHUNK = 1024;
    private static final int WINDOW = 4;
    private static final long MILLI = 1_000_000L;

    private final List<RaftMessage> sent = new ArrayList<>();
    private final AtomicLong clock = new AtomicLong(1_000 * MILLI);
    private final Inbox inbox = new Inbox();
    private SnapshotStore store;
    private SnapshotMeta meta;
    private SnapshotSender sender;

    @BeforeEach
    void setUp() throws Exception {
        store = new InMemorySnapshotStore();
        ClusterConfig config = ClusterConfig.ofVoters(List.of(Member.of("n1", "a"), Member.of("n2", "b")));
        SnapshotStore.Writer w = store.write(new SnapshotMeta(7, 2, config, 0, 0, 0));
        try (OutputStream out = w.stream()) {
            out.write(new byte[20 * CHUNK]);
        }
        meta = w.commit();
        sender = sender(new RecordingTransport(sent));
    }

    private SnapshotSender sender(Transport transport) {
        SnapshotSender.Context context = new SnapshotSender.Context(LEADER, 3, store, transport, inbox, CHUNK, WINDOW,
                RuntimeMetrics.NONE);
        return new SnapshotSender(context, FOLLOWER, meta, clock::get);
    }

    @Test
    void aTransportThatThrowsEndsTheSendInsteadOfTheTransferThread() {
        SnapshotSender broken = sender(new RecordingTransport(sent, new IllegalStateException("broken transport")));

        broken.start();

        assertThat(broken.isFinished()).isTrue();
        assertThat(inbox.pollNow()).isEqualTo(new Event.SnapshotSent(FOLLOWER, 7, false));
    }

    @Test
    void aFollowerThatKeepsDroppingTheTransferGetsItAfterGrowingPausesUntilTheSenderGivesUp() {
        sender.start();
        assertThat(offsets()).containsExactly(0L, 1024L, 2048L, 3072L);

        dropped();                                           // first restart: at once
        assertThat(offsets()).containsExactly(0L, 1024L, 2048L, 3072L);

        long pause = SnapshotSender.FIRST_PAUSE_MILLIS * MILLI;
        for (int restart = 2; restart <= SnapshotSender.MAX_RESTARTS; restart++) {
            dropped();
            assertThat(offsets()).as("restart %d sends nothing before its pause", restart).isEmpty();
            clock.addAndGet(pause - MILLI);
            sender.checkProgress(10_000 * MILLI);
            assertThat(offsets()).as("restart %d, 1 ms before the end of its pause", restart).isEmpty();
            clock.addAndGet(MILLI);
            sender.checkProgress(10_000 * MILLI);
            assertThat(offsets()).as("restart %d after a pause of %d ms", restart, pause / MILLI)
                    .containsExactly(0L, 1024L, 2048L, 3072L);
            pause *= 2;
        }
        assertThat(inbox.pollNow()).isNull();

        dropped();
        assertThat(sender.isFinished()).isTrue();
        assertThat(inbox.pollNow()).isEqualTo(new Event.SnapshotSent(FOLLOWER, 7, false));
        clock.addAndGet(60_000 * MILLI);
        sender.checkProgress(10 * MILLI);
        assertThat(offsets()).isEmpty();
    }

    /**
     * A follower that never answers (down, cut off) ends the send at INFO: with a member down the leader retries every
     * few seconds, and a WARN each time was about five a minute for as long as it stayed down (outside probe).
     * One that answered and then stalled is still a WARN.
     */
    @Test
    void aFollowerThatNeverAnswersEndsTheSendAtInfoOneThatStalledAtWarn() {
        assertThat(giveUpLog(false)).contains("INFO").contains("no answer in").doesNotContain("WARN");
        sent.clear();
        sender = sender(new RecordingTransport(sent));
        assertThat(giveUpLog(true)).contains("WARN").contains("gave up sending the snapshot at 7 to n2");
    }

    /** Starts the send, lets the follower answer once or never, and stalls it until the sender gives up. */
    private String giveUpLog(boolean answerOnce) {
        PrintStream err = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            sender.start();
            if (answerOnce) {
                sender.onResponse(new InstallSnapshotResponse(FOLLOWER, LEADER, 3, 7, CHUNK, true));
            }
            for (int i = 0; i <= SnapshotSender.MAX_STALLS && !sender.isFinished(); i++) {
                clock.addAndGet(1_000 * MILLI);
                sender.checkProgress(500 * MILLI);
            }
        } finally {
            System.setErr(err);
        }
        assertThat(sender.isFinished()).isTrue();
        return captured.toString(StandardCharsets.UTF_8);
    }

    @Test
    void answersToChunksStillInFlightDuringAPauseAreNotRestarts() {
        sender.start();
        dropped();
        dropped();                                           // the second restart pauses
        offsets();
        for (int i = 0; i < 10 * SnapshotSender.MAX_RESTARTS; i++) {
            dropped();                                       // late answers to chunks sent before it
        }
        clock.addAndGet(SnapshotSender.FIRST_PAUSE_MILLIS * MILLI);
        sender.checkProgress(10_000 * MILLI);

        assertThat(sender.isFinished()).isFalse();
        assertThat(offsets()).containsExactly(0L, 1024L, 2048L, 3072L);
    }

    @Test
    void aTransferThatProgressesIsNeitherPausedNorGivenUp() {
        sender.start();
        dropped();
        long bytes = 0;
        for (int round = 0; !sender.isFinished() && round < 1_000; round++) {
            List<InstallSnapshot> out = sent.stream().map(InstallSnapshot.class::cast).toList();
            sent.clear();
            assertThat(out).isNotEmpty();
            for (InstallSnapshot c : out) {
                long next = c.offset() + c.data().length();
                bytes = Math.max(bytes, next);
                sender.onResponse(new InstallSnapshotResponse(FOLLOWER, LEADER, 3, 7, c.done() ? Long.MAX_VALUE : next,
                        true));
            }
        }
        assertThat(inbox.pollNow()).isEqualTo(new Event.SnapshotSent(FOLLOWER, 7, true));
        assertThat(bytes).isGreaterThan(20L * CHUNK);
    }

    /** The follower dropped what it had and asks for offset 0 again. */
    private void dropped() {
        sender.onResponse(new InstallSnapshotResponse(FOLLOWER, LEADER, 3, 7, 0, false));
    }

    /** The offsets of the chunks sent since the last call. */
    private List<Long> offsets() {
        List<Long> out = sent.stream().map(m -> ((InstallSnapshot) m).offset()).toList();
        sent.clear();
        return out;
    }
}
