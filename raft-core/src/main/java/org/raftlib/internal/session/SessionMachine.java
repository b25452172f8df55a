package org.raftlib.internal.session;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PushbackInputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Objects;
import org.raftlib.Bytes;
import org.raftlib.StateMachine;
import org.raftlib.StateSnapshot;

/**
 * The user's {@link StateMachine} with the {@link SessionTable} beside it: what the apply thread, the snapshot taker
 * and recovery see. Plain commands and queries go straight through; session entries go through the table.
 *
 * <p><b>Snapshot layout.</b> When the table has ever been used, a snapshot starts with a session section, then holds
 * the state machine's bytes unchanged:
 *
 * <pre>
 *   16 bytes  "raftlib-sessions" (ASCII)
 *    4 bytes  section length n
 *    n bytes  {@link SessionTable#encode()}
 *    ...      what {@link StateSnapshot#writeTo} of the state machine wrote
 * </pre>
 *
 * The table and the state machine are captured together on the apply thread, so both are as of the same index. A
 * snapshot without the marker (written before sessions existed, or by a node that never saw a session entry) restores
 * an empty table. A state machine's own snapshot that begins with those 16 bytes gets an empty section before it,
 * so it is never misread as one.
 *
 * <p>Not thread-safe: used by the apply thread, and by the starting thread before it.
 */
public final class SessionMachine implements StateMachine {

    private static final byte[] MARKER = "raftlib-sessions".getBytes(StandardCharsets.US_ASCII);
    /** Sanity bound on the section length read back. */
    private static final int MAX_SECTION_BYTES = Integer.MAX_VALUE - 64;

    private final StateMachine delegate;
    private SessionTable table = new SessionTable();

    /**
     * Wraps the user's state machine.
     *
     * @param delegate the state machine
     * @throws NullPointerException if it is null
     */
    public SessionMachine(StateMachine delegate) {
        this.delegate = Objects.requireNonNull(delegate, "delegate");
    }

    @Override
    public byte[] apply(long index, byte[] command) {
        return delegate.apply(index, command);
    }

    @Override
    public byte[] query(byte[] request) {
        return delegate.query(request);
    }

    /**
     * Applies a session entry through the table.
     *
     * @param index the entry's index
     * @param data the entry's data
     * @param machine applies a new command to the state machine
     * @return what happened
     */
    public SessionTable.Outcome applySession(long index, Bytes data, SessionTable.Applier machine) {
        return table.apply(index, data, machine);
    }

    /** Returns the session table, for inspection on the apply thread. */
    public SessionTable table() {
        return table;
    }

    @Override
    public StateSnapshot snapshot() {
        StateSnapshot machine = delegate.snapshot();
        if (machine == null) {
            return null;
        }
        SessionTable.Capture section = table.isPristine() ? null : table.capture();   // written on the writer thread
        return new StateSnapshot() {
            @Override
            public void writeTo(OutputStream out) throws IOException {
                if (section != null) {
                    writeSection(out, section);
                    machine.writeTo(out);
                    return;
                }
                MarkerGuard guard = new MarkerGuard(out);
                machine.writeTo(guard);
                guard.finish();
            }

            @Override
            public void release() {
                machine.release();
            }
        };
    }

    private static void writeSection(OutputStream out, SessionTable.Capture section) throws IOException {
        if (section.length() > MAX_SECTION_BYTES) {
            throw new IOException("the session table takes " + section.length() + " bytes, more than a snapshot's"
                    + " session section holds (" + MAX_SECTION_BYTES + "); results are kept until clients acknowledge"
                    + " them");
        }
        DataOutputStream data = new DataOutputStream(out);
        data.write(MARKER);
        data.writeInt((int) section.length());
        section.writeTo(data);
        data.flush();
    }

    /**
     * Passes the state machine's bytes through, but if they begin with the marker, writes an empty session section
     * before them: {@link #restore} would otherwise take the state machine's own bytes for a section.
     */
    private static final class MarkerGuard extends OutputStream {
        private final OutputStream out;
        private final byte[] head = new byte[MARKER.length];
        private int held;
        private boolean decided;

        MarkerGuard(OutputStream out) {
            this.out = out;
        }

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            Objects.checkFromIndexSize(off, len, b.length);
            int from = off;
            int left = len;
            if (!decided) {
                int k = Math.min(left, head.length - held);
                System.arraycopy(b, from, head, held, k);
                held += k;
                from += k;
                left -= k;
                if (held < head.length) {
                    return;
                }
                decide();
            }
            out.write(b, from, left);
        }

        private void decide() throws IOException {
            decided = true;
            if (held == head.length && Arrays.equals(head, MARKER)) {
                writeSection(out, new SessionTable().capture());
            }
            out.write(head, 0, held);
        }

        /** Writes what is still held back (a state shorter than the marker). */
        void finish() throws IOException {
            if (!decided) {
                decide();
            }
            out.flush();
        }

        @Override
        public void flush() throws IOException {
            if (decided) {
                out.flush();
            }
        }
    }

    /**
     * Restores the table from the snapshot's session section (an empty table if it has none), then the state machine
     * from the rest.
     *
     * @throws IOException if the section is malformed, or the state machine cannot restore
     */
    @Override
    public void restore(InputStream state) throws IOException {
        PushbackInputStream in = new PushbackInputStream(state, MARKER.length);
        byte[] head = in.readNBytes(MARKER.length);
        SessionTable restored = new SessionTable();
        if (Arrays.equals(head, MARKER)) {
            DataInputStream data = new DataInputStream(in);
            int length = data.readInt();
            if (length < 0 || length > MAX_SECTION_BYTES) {
                throw new IOException("bad session section length " + length);
            }
            byte[] section = data.readNBytes(length);
            if (section.length != length) {
                throw new IOException("the snapshot ends inside its session section");
            }
            restored = SessionTable.decode(section);
        } else {
            in.unread(head);
        }
        delegate.restore(in);
        table = restored;
    }
}
