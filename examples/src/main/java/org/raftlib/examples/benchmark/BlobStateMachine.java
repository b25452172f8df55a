package org.raftlib.examples.benchmark;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.SplittableRandom;
import java.util.zip.CRC32C;
import org.raftlib.StateMachine;
import org.raftlib.StateSnapshot;

/**
 * A state machine whose state is a large pseudo-random blob ({@code sizeBytes} from a seed), generated as it is
 * written and checked as it is read: a snapshot of any size streams through 64 KiB of memory. Commands are counted
 * and otherwise ignored. For {@link SnapshotInstallBenchmark}.
 */
public final class BlobStateMachine implements StateMachine {

    private static final int BLOCK = 64 << 10;

    private final long sizeBytes;
    private final long seed;
    private volatile long commands;
    private volatile long restoredCrc = -1;

    /**
     * Creates the state machine.
     *
     * @param sizeBytes the blob's size
     * @param seed the blob's seed
     */
    public BlobStateMachine(long sizeBytes, long seed) {
        this.sizeBytes = sizeBytes;
        this.seed = seed;
    }

    @Override
    public byte[] apply(long index, byte[] command) {
        commands++;
        return new byte[0];
    }

    @Override
    public byte[] query(byte[] request) {
        return Long.toString(commands).getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public StateSnapshot snapshot() {
        long count = commands;
        return out -> {
            byte[] header = ByteBuffer.allocate(Long.BYTES).putLong(count).array();
            out.write(header);
            SplittableRandom random = new SplittableRandom(seed);
            byte[] block = new byte[BLOCK];
            for (long left = sizeBytes; left > 0; left -= BLOCK) {
                random.nextBytes(block);
                out.write(block, 0, (int) Math.min(BLOCK, left));
            }
        };
    }

    @Override
    public void restore(InputStream state) throws IOException {
        byte[] header = state.readNBytes(Long.BYTES);
        if (header.length != Long.BYTES) {
            throw new IOException("snapshot too short");
        }
        CRC32C crc = new CRC32C();
        byte[] block = new byte[BLOCK];
        long total = 0;
        for (int n; (n = state.read(block)) > 0; ) {
            crc.update(block, 0, n);
            total += n;
        }
        if (total != sizeBytes) {
            throw new IOException("snapshot holds " + total + " bytes, expected " + sizeBytes);
        }
        commands = ByteBuffer.wrap(header).getLong();
        restoredCrc = crc.getValue();
    }

    /** Returns the CRC32C of the blob as generated, to compare with {@link #restoredCrc()}. */
    public long expectedCrc() {
        CRC32C crc = new CRC32C();
        SplittableRandom random = new SplittableRandom(seed);
        byte[] block = new byte[BLOCK];
        for (long left = sizeBytes; left > 0; left -= BLOCK) {
            random.nextBytes(block);
            crc.update(block, 0, (int) Math.min(BLOCK, left));
        }
        return crc.getValue();
    }

    /** Returns the CRC32C of the blob the last restore read, or -1 before any. */
    public long restoredCrc() {
        return restoredCrc;
    }
}
