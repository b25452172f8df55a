package org.raftlib.examples.benchmark;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.util.zip.CRC32C;
import org.raftlib.StateMachine;
import org.raftlib.StateSnapshot;

/**
 * The workload's state machine (WORKLOAD.md): a count of applied commands and an order-sensitive hash,
 * {@code hash = hash * 1_000_003 + crc32c(payload)}. {@code query} answers the count as 8 bytes (big-endian),
 * whatever the request: the read benchmark's cheap query.
 */
public final class CountingStateMachine implements StateMachine {

    private static final byte[] OK = new byte[0];

    private final CRC32C crc = new CRC32C();
    private volatile long count;
    private volatile long hash;

    @Override
    public byte[] apply(long index, byte[] command) {
        crc.reset();
        crc.update(command, 0, command.length);
        hash = hash * 1_000_003L + crc.getValue();
        count = count + 1;
        return OK;
    }

    @Override
    public byte[] query(byte[] request) {
        return ByteBuffer.allocate(Long.BYTES).putLong(count).array();
    }

    /** A snapshot is the count and the hash (16 bytes), captured on the apply thread. */
    @Override
    public StateSnapshot snapshot() {
        return StateSnapshot.of(ByteBuffer.allocate(2 * Long.BYTES).putLong(count).putLong(hash).array());
    }

    @Override
    public void restore(InputStream state) throws IOException {
        DataInputStream in = new DataInputStream(state);
        count = in.readLong();
        hash = in.readLong();
    }

    /** Returns the commands applied so far; readable from any thread. */
    public long count() {
        return count;
    }

    /** Returns the hash so far; readable from any thread. */
    public long hash() {
        return hash;
    }
}
