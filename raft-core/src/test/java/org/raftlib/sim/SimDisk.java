package org.raftlib.sim;

import java.util.List;
import org.raftlib.HardState;
import org.raftlib.core.MemoryLog;
import org.raftlib.core.Ready;

/**
 * What a simulated node has made durable: its log and hard state. A write reaches it only when the simulated
 * storage completes it, so a crash loses exactly the writes not yet completed.
 */
final class SimDisk {

    private final MemoryLog log = new MemoryLog(List.of());
    private HardState hardState = HardState.INITIAL;

    /** Applies one Ready's writes, as a completed sync does. */
    void write(Ready rd) {
        rd.hardState().ifPresent(hs -> hardState = hs);
        log.persist(rd);
    }

    HardState hardState() {
        return hardState;
    }

    MemoryLog log() {
        return log;
    }
}
