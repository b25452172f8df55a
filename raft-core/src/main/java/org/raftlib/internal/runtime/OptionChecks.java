package org.raftlib.internal.runtime;

import java.time.Duration;
import java.util.List;
import org.raftlib.RaftOptions;

/** The checks of {@link org.raftlib.RaftNodeBuilder#build()} on options, each adding what is wrong to a list. */
public final class OptionChecks {

    /** Bytes of message framing allowed for on top of the entries: envelope, ids, per-message fields. */
    private static final int MESSAGE_OVERHEAD_BYTES = 4096;

    private OptionChecks() {
    }

    /**
     * An AppendEntries carries up to {@code maxAppendBytes} of entries (or one larger command alone); on the wire
     * each entry costs some framing on top, so both limits need headroom below the transport's message limit.
     */
    public static void checkMessageSize(RaftOptions o, int transportMax, List<String> problems) {
        long largestCommand = (long) o.maxCommandBytes() + MESSAGE_OVERHEAD_BYTES;
        long largestBatch = (long) o.maxAppendBytes() * 3 / 2 + MESSAGE_OVERHEAD_BYTES;
        if (largestCommand > transportMax) {
            problems.add("maxCommandBytes (" + o.maxCommandBytes() + ") plus framing exceeds the transport's "
                    + "message limit (" + transportMax + "); raise the transport's limit or lower maxCommandBytes");
        }
        if ((long) o.snapshotChunkBytes() + MESSAGE_OVERHEAD_BYTES > transportMax) {
            problems.add("snapshotChunkBytes (" + o.snapshotChunkBytes() + ") plus framing exceeds the transport's"
                    + " message limit (" + transportMax + ")");
        }
        if (largestBatch > transportMax) {
            problems.add("maxAppendBytes (" + o.maxAppendBytes() + ") plus framing (up to half again for small "
                    + "entries) exceeds the transport's message limit (" + transportMax + ")");
        }
    }

    public static void checkOptions(RaftOptions o, List<String> problems) {
        Duration election = o.electionTimeout();
        Duration heartbeat = o.heartbeatInterval();
        if (election.compareTo(heartbeat.multipliedBy(2)) < 0) {
            problems.add("electionTimeout (" + election + ") must be at least 2 × heartbeatInterval ("
                    + heartbeat + ")");
        }
        if (heartbeat.compareTo(o.tickInterval()) < 0) {
            problems.add("heartbeatInterval (" + heartbeat + ") must be at least tickInterval ("
                    + o.tickInterval() + ")");
        }
        long tick = o.tickInterval().toNanos();
        if (NodeRuntime.ticks(election, tick) <= NodeRuntime.ticks(heartbeat, tick)) {
            problems.add("electionTimeout (" + election + ") must span more ticks of tickInterval ("
                    + o.tickInterval() + ") than heartbeatInterval (" + heartbeat + ")");
        }
    }
}
