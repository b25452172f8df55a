package org.raftlib.internal.runtime;

import java.io.FilterInputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/**
 * Streams handed to a state machine that it may close, as Java code often does (a try-with-resources around a
 * {@code DataOutputStream}), without closing raftlib's stream under it: raftlib still has to finish it (commit a
 * snapshot it wrote, read a restored one to its end so that its checksum is checked) and closes it itself.
 */
final class CloseShields {

    private CloseShields() {
    }

    /** {@code in}, with a {@code close} that does nothing. */
    static InputStream of(InputStream in) {
        return new FilterInputStream(in) {
            @Override
            public void close() {
            }
        };
    }

    /** {@code out}, with a {@code close} that only flushes. */
    static OutputStream of(OutputStream out) {
        return new FilterOutputStream(out) {
            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                out.write(b, off, len);                      // FilterOutputStream's would write byte by byte
            }

            @Override
            public void close() throws IOException {
                out.flush();
            }
        };
    }
}
