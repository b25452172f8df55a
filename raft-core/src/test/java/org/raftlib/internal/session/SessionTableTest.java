package org.raftlib.internal.session;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.raftlib.Bytes;
import org.raftlib.SessionExpiredException;
import org.raftlib.internal.session.SessionTable.Outcome;
import org.raftlib.internal.session.SessionTable.Status;

/**
 * The session table alone: deduplication returns the cached original result without calling the state machine,
 * expiry follows log time only, the acknowledged window and the per-session bound drop results, malformed entries
 * change nothing, and the table survives an encode/decode round trip with the same future behaviour.
 */
class SessionTableTest {

    private static final long T0 = 1_700_000_000_000L;
    private static final long TIMEOUT = 60_000;

    private final List<String> applied = new ArrayList<>();
    private final SessionTable.Applier machine = (index, command) -> {
        String c = new String(command, StandardCharsets.UTF_8);
        applied.add(c);
        return (index + ":" + c).getBytes(StandardCharsets.UTF_8);
    };
    private long index;

    @Test
    void aRetriedCommandIsAppliedOnceAndGetsTheOriginalResult() {
        SessionTable t = new SessionTable();
        long s = register(t, T0);
        Outcome first = t.apply(++index, command(s, 1, 1, T0 + 1, "a"), machine);
        Outcome retry = t.apply(++index, command(s, 1, 1, T0 + 2, "a"), machine);

        assertThat(first.status()).isEqualTo(Status.APPLIED);
        assertThat(retry.status()).isEqualTo(Status.DUPLICATE);
        assertThat(text(retry)).isEqualTo(text(first)).isEqualTo((index - 1) + ":a");
        assertThat(applied).containsExactly("a");
    }

    @Test
    void commandsOutOfOrderAreEachAppliedOnce() {
        SessionTable t = new SessionTable();
        long s = register(t, T0);
        t.apply(++index, command(s, 2, 1, T0, "b"), machine);
        t.apply(++index, command(s, 1, 1, T0, "a"), machine);
        t.apply(++index, command(s, 2, 1, T0, "b"), machine);
        t.apply(++index, command(s, 1, 1, T0, "a"), machine);
        assertThat(applied).containsExactly("b", "a");
    }

    @Test
    void resultsBelowTheAcknowledgementAreDroppedAndTheirRetriesRefused() {
        SessionTable t = new SessionTable();
        long s = register(t, T0);
        for (int seq = 1; seq <= 3; seq++) {
            t.apply(++index, command(s, seq, 1, T0, "c" + seq), machine);
        }
        t.apply(++index, command(s, 4, 3, T0, "c4"), machine);          // the client has results 1 and 2

        Outcome late = t.apply(++index, command(s, 2, 1, T0, "c2"), machine);
        assertThat(late.status()).isEqualTo(Status.DISCARDED);
        assertThat(late.error()).isNotInstanceOf(SessionExpiredException.class);
        assertThat(t.apply(++index, command(s, 3, 1, T0, "c3"), machine).status()).isEqualTo(Status.DUPLICATE);
        assertThat(applied).containsExactly("c1", "c2", "c3", "c4");
    }

    @Test
    void aSessionKeepsAtMostMaxResults() {
        SessionTable t = new SessionTable();
        long s = register(t, T0);
        int n = SessionTable.MAX_RESULTS_PER_SESSION + 5;
        for (int seq = 1; seq <= n; seq++) {
            t.apply(++index, command(s, seq, 1, T0, "c" + seq), machine);
        }
        assertThat(t.apply(++index, command(s, 5, 1, T0, "c5"), machine).status()).isEqualTo(Status.DISCARDED);
        assertThat(t.apply(++index, command(s, 6, 1, T0, "c6"), machine).status()).isEqualTo(Status.DUPLICATE);
        assertThat(applied).hasSize(n);
    }

    @Test
    void sessionsExpireByLogTimeOnlyNeverByAClock() {
        SessionTable t = new SessionTable();
        long idle = register(t, T0);
        long busy = register(t, T0);
        t.apply(++index, command(busy, 1, 1, T0 + TIMEOUT, "keep-alive"), machine);
        assertThat(t.apply(++index, command(idle, 1, 1, T0 + TIMEOUT, "x"), machine).status())
                .as("idle for exactly the timeout").isEqualTo(Status.APPLIED);

        t.apply(++index, command(busy, 2, 1, T0 + TIMEOUT + 10, "keep-alive 2"), machine);
        t.apply(++index, command(busy, 3, 1, T0 + 2 * TIMEOUT + 1, "y"), machine);
        Outcome late = t.apply(++index, command(idle, 2, 1, T0 + 2 * TIMEOUT + 1, "z"), machine);
        assertThat(late.status()).isEqualTo(Status.EXPIRED);
        assertThat(late.error()).isInstanceOf(SessionExpiredException.class);
        assertThat(t.size()).isEqualTo(1);
        assertThat(applied).containsExactly("keep-alive", "x", "keep-alive 2", "y");
    }

    @Test
    void logTimeNeverRunsBackwardsAndAnUnstampedEntryKeepsIt() {
        SessionTable t = new SessionTable();
        long s = register(t, T0 + TIMEOUT);
        t.apply(++index, command(s, 1, 1, T0, "older leader clock"), machine);
        t.apply(++index, SessionEntries.command(s, 2, 1, "unstamped".getBytes(StandardCharsets.UTF_8)), machine);
        assertThat(t.logTime()).isEqualTo(T0 + TIMEOUT);
        assertThat(t.size()).isEqualTo(1);
        assertThat(applied).hasSize(2);
    }

    @Test
    void closeEndsASessionAndUnknownSessionsExpire() {
        SessionTable t = new SessionTable();
        long s = register(t, T0);
        assertThat(t.apply(++index, stamp(SessionEntries.close(s), T0), machine).status()).isEqualTo(Status.CLOSED);
        assertThat(t.apply(++index, command(s, 1, 1, T0, "a"), machine).status()).isEqualTo(Status.EXPIRED);
        assertThat(t.apply(++index, stamp(SessionEntries.close(s), T0), machine).status()).isEqualTo(Status.EXPIRED);
        assertThat(t.apply(++index, command(999, 1, 1, T0, "a"), machine).status()).isEqualTo(Status.EXPIRED);
        assertThat(applied).isEmpty();
    }

    @Test
    void aMalformedEntryChangesNothing() {
        SessionTable t = new SessionTable();
        long s = register(t, T0);
        t.apply(++index, command(s, 1, 1, T0, "a"), machine);
        byte[] before = t.encode();
        byte[] bad = command(s, 2, 1, T0 + TIMEOUT * 10, "b").toByteArray();
        bad[0] = 9;

        Outcome o = t.apply(++index, Bytes.wrap(bad), machine);
        assertThat(o.status()).isEqualTo(Status.MALFORMED);
        assertThat(o.failed()).isTrue();
        assertThat(t.encode()).isEqualTo(before);
        assertThat(applied).containsExactly("a");
    }

    /**
     * A capture (taken on the apply thread, written on the snapshot thread) is the table at that point, whatever is
     * applied meanwhile, and writes exactly {@link SessionTable#encode()}'s bytes: the table is no longer encoded
     * into one array on the apply thread (a full-disk probe saw every replica run out of heap there at once).
     */
    @Test
    void aCaptureIsThePointInTimeTableAndWritesItsEncoding() throws IOException {
        SessionTable t = new SessionTable();
        long s = sessionWithTwoResults(t);
        byte[] then = t.encode();
        SessionTable.Capture capture = t.capture();

        t.apply(++index, command(s, 3, 3, T0 + 6, "c"), machine);      // acknowledges 1 and 2: their results go
        register(t, T0 + 7);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            capture.writeTo(out);
        }

        assertThat(bytes.toByteArray()).isEqualTo(then);
        assertThat(capture.length()).isEqualTo(then.length);
        assertThat(t.encode()).isNotEqualTo(then);
    }

    @Test
    void aDecodedTableBehavesLikeTheOriginal() throws IOException {
        SessionTable t = new SessionTable();
        long s = sessionWithTwoResults(t);
        SessionTable copy = SessionTable.decode(t.encode());
        assertThat(copy.encode()).isEqualTo(t.encode());
        assertThat(copy.logTime()).isEqualTo(T0 + 5);

        Outcome retry = copy.apply(++index, command(s, 2, 1, T0 + 6, "b"), machine);
        assertThat(retry.status()).isEqualTo(Status.DUPLICATE);
        assertThat(text(retry)).isEqualTo((index - 1) + ":b");
        assertThat(copy.apply(++index, command(s, 3, 1, T0 + TIMEOUT + 6, "c"), machine).status())
                .isEqualTo(Status.APPLIED);
        assertThat(copy.apply(++index, command(s, 4, 1, T0 + 2 * TIMEOUT + 7, "d"), machine).status())
                .isEqualTo(Status.EXPIRED);
    }

    @Test
    void decodeRefusesDamagedBytes() {
        SessionTable t = new SessionTable();
        long s = register(t, T0);
        t.apply(++index, command(s, 1, 1, T0, "a"), machine);
        byte[] good = t.encode();
        for (int cut = 0; cut < good.length; cut++) {
            byte[] truncated = Arrays.copyOf(good, cut);
            assertThatThrownBy(() -> SessionTable.decode(truncated)).isInstanceOf(IOException.class);
        }
        byte[] longer = Arrays.copyOf(good, good.length + 1);
        assertThatThrownBy(() -> SessionTable.decode(longer)).isInstanceOf(IOException.class);
        byte[] badFormat = good.clone();
        badFormat[3] = 7;
        assertThatThrownBy(() -> SessionTable.decode(badFormat)).isInstanceOf(IOException.class);
    }

    /**
     * Two tables fed the same random log of registrations, commands (retries, stale retries, unknown sessions),
     * closes, malformed entries and clock jumps hold equal bytes after every entry; a third, rebuilt from an encoded
     * copy at random points (as a snapshot restore does), too.
     */
    @Test
    void theSameLogGivesTheSameTableOnEveryNode() throws IOException {
        SplittableRandom random = new SplittableRandom(7);
        SessionTable a = new SessionTable();
        SessionTable b = new SessionTable();
        SessionTable restored = new SessionTable();
        List<Long> ids = new ArrayList<>();
        long[] next = new long[10_000];
        long clock = T0;
        List<String> appliedA = new ArrayList<>();
        List<String> appliedB = new ArrayList<>();
        List<String> appliedR = new ArrayList<>();
        for (int i = 1; i <= 5_000; i++) {
            clock += random.nextInt(4) == 0 ? random.nextLong(-1_000, TIMEOUT / 4) : random.nextInt(50);
            Bytes entry = randomEntry(random, ids, next, i, clock);
            Outcome oa = a.apply(i, entry, (x, c) -> record(appliedA, x, c));
            Outcome ob = b.apply(i, entry, (x, c) -> record(appliedB, x, c));
            restored.apply(i, entry, (x, c) -> record(appliedR, x, c));
            if (oa.status() == Status.REGISTERED) {
                ids.add((long) i);
            }
            assertThat(ob.status()).isEqualTo(oa.status());
            assertThat(b.encode()).isEqualTo(a.encode());
            if (random.nextInt(100) == 0) {
                restored = SessionTable.decode(restored.encode());
            }
        }
        assertThat(appliedB).isEqualTo(appliedA);
        assertThat(new java.util.HashSet<>(appliedA)).as("no command applied twice").hasSize(appliedA.size());
        assertThat(appliedR).isEqualTo(appliedA);
        assertThat(restored.encode()).isEqualTo(a.encode());
        assertThat(a.size()).as("sessions came and went").isPositive();
    }

    private static Bytes randomEntry(SplittableRandom random, List<Long> ids, long[] next, int i, long clock) {
        int kind = random.nextInt(100);
        if (ids.isEmpty() || kind < 5) {
            return stamp(SessionEntries.register(TIMEOUT), clock);
        }
        long s = ids.get(random.nextInt(ids.size()));
        if (kind < 7) {
            return stamp(SessionEntries.close(s), clock);
        }
        if (kind < 9) {
            return Bytes.wrap(new byte[] {1, 2, 3});
        }
        int slot = (int) (s % next.length);
        long seq = kind < 30 && next[slot] > 0 ? 1 + random.nextLong(next[slot]) : ++next[slot];
        long ack = 1 + random.nextLong(seq);
        return stamp(SessionEntries.command(s, seq, ack, (s + "/" + seq).getBytes(StandardCharsets.UTF_8)), clock);
    }

    private static byte[] record(List<String> log, long index, byte[] command) {
        log.add(new String(command, StandardCharsets.UTF_8));
        return ByteBuffer.allocate(8).putLong(index).array();
    }

    private long register(SessionTable t, long stamp) {
        Outcome o = t.apply(++index, stamp(SessionEntries.register(TIMEOUT), stamp), machine);
        assertThat(o.status()).isEqualTo(Status.REGISTERED);
        assertThat(ByteBuffer.wrap(o.result()).getLong()).isEqualTo(index);
        return index;
    }

    /** Registers a session in {@code t} and applies its commands 1 ("a") and 2 ("b"); returns its id. */
    private long sessionWithTwoResults(SessionTable t) {
        long s = register(t, T0);
        t.apply(++index, command(s, 1, 1, T0, "a"), machine);
        t.apply(++index, command(s, 2, 1, T0 + 5, "b"), machine);
        return s;
    }

    private static Bytes command(long session, long seq, long ack, long stamp, String command) {
        return stamp(SessionEntries.command(session, seq, ack, command.getBytes(StandardCharsets.UTF_8)), stamp);
    }

    private static Bytes stamp(Bytes data, long stamp) {
        return SessionEntries.stamp(data, stamp);
    }

    private static String text(Outcome o) {
        return new String(o.result(), StandardCharsets.UTF_8);
    }
}
