package org.raftlib.internal.session;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.raftlib.StateMachine;
import org.raftlib.StateSnapshot;
import org.raftlib.internal.session.SessionTable.Status;
import org.raftlib.testkit.RecordingStateMachine;
import org.raftlib.testkit.SnapshotStateMachine;

/**
 * The snapshot layout: the table and the state machine captured together and restored together; snapshots of a node
 * that never saw a session entry, and older ones without the section, are the state machine's bytes alone.
 */
class SessionMachineTest {

    private static final long T0 = 1_700_000_000_000L;

    @Test
    void aSnapshotCarriesTheTableAndRestoresIt() throws IOException {
        SnapshotStateMachine user = new SnapshotStateMachine();
        SessionMachine m = new SessionMachine(user);
        m.applySession(1, SessionEntries.stamp(SessionEntries.register(60_000), T0), m::apply);
        m.applySession(2, command(1, 1, "a"), m::apply);
        m.apply(3, "plain".getBytes(StandardCharsets.UTF_8));
        byte[] snapshot = write(m.snapshot());
        m.applySession(4, command(1, 2, "after the snapshot"), m::apply);

        SnapshotStateMachine freshUser = new SnapshotStateMachine();
        SessionMachine fresh = new SessionMachine(freshUser);
        fresh.restore(new ByteArrayInputStream(snapshot));
        assertThat(freshUser.applied()).containsExactly("a", "plain");
        assertThat(fresh.table().logTime()).isEqualTo(T0);
        SessionTable.Outcome retry = fresh.applySession(5, command(1, 1, "a"), fresh::apply);
        assertThat(retry.status()).isEqualTo(Status.DUPLICATE);
        assertThat(new String(retry.result(), StandardCharsets.UTF_8)).isEqualTo("2:a");
        assertThat(freshUser.applies()).isZero();
    }

    @Test
    void withoutSessionsTheSnapshotIsTheStateMachinesAlone() throws IOException {
        SnapshotStateMachine user = new SnapshotStateMachine();
        SessionMachine m = new SessionMachine(user);
        m.apply(1, "plain".getBytes(StandardCharsets.UTF_8));
        assertThat(write(m.snapshot())).isEqualTo(write(user.snapshot()));
    }

    /** A state that begins with the section's marker itself (found by a probe) is not read as a section. */
    @Test
    void aStateThatBeginsWithTheMarkerRestoresAsItWas() throws IOException {
        byte[] state = "raftlib-sessions: a key of the user's".getBytes(StandardCharsets.US_ASCII);
        byte[][] restored = new byte[1][];
        StateMachine user = new RecordingStateMachine() {
            @Override
            public StateSnapshot snapshot() {
                return out -> {
                    for (byte b : state) {
                        out.write(b);                                       // a byte at a time: the marker split
                    }
                };
            }

            @Override
            public void restore(InputStream in) throws IOException {
                restored[0] = in.readAllBytes();
            }
        };
        SessionMachine m = new SessionMachine(user);

        m.restore(new ByteArrayInputStream(write(m.snapshot())));

        assertThat(restored[0]).isEqualTo(state);
        assertThat(m.table().logTime()).isZero();
    }

    @Test
    void anOldSnapshotWithoutTheSectionRestoresAnEmptyTable() throws IOException {
        SnapshotStateMachine old = new SnapshotStateMachine();
        old.apply(1, "x".getBytes(StandardCharsets.UTF_8));
        byte[] legacy = write(old.snapshot());

        SnapshotStateMachine user = new SnapshotStateMachine();
        SessionMachine m = new SessionMachine(user);
        m.applySession(1, SessionEntries.stamp(SessionEntries.register(60_000), T0), m::apply);
        m.restore(new ByteArrayInputStream(legacy));
        assertThat(user.applied()).containsExactly("x");
        assertThat(m.table().isPristine()).isTrue();
    }

    @Test
    void aStateMachineWithoutSnapshotsStillHasNone() {
        SessionMachine m = new SessionMachine(new RecordingStateMachine());
        m.applySession(1, SessionEntries.stamp(SessionEntries.register(60_000), T0), m::apply);
        assertThat(m.snapshot()).isNull();
    }

    @Test
    void theStateMachineReadsAShortSnapshotToItsEnd() throws IOException {
        StateMachine tiny = new RecordingStateMachine() {
            private byte[] state = new byte[0];

            @Override
            public StateSnapshot snapshot() {
                return StateSnapshot.of(new byte[] {42});
            }

            @Override
            public void restore(InputStream in) throws IOException {
                state = in.readAllBytes();
                assertThat(state).containsExactly(42);
            }
        };
        SessionMachine m = new SessionMachine(tiny);
        assertThat(write(m.snapshot())).containsExactly(42);
        m.restore(new ByteArrayInputStream(new byte[] {42}));          // shorter than the section marker
    }


    private static org.raftlib.Bytes command(long session, long seq, String c) {
        return SessionEntries.stamp(SessionEntries.command(session, seq, 1, c.getBytes(StandardCharsets.UTF_8)), T0);
    }

    private static byte[] write(StateSnapshot s) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        s.writeTo(out);
        return out.toByteArray();
    }
}
