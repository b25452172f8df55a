package org.raftlib.internal.core.progress;

/** How a leader sends entries to one follower. */
public enum ProgressMode {
    /** The match index is unknown: one AppendEntries at a time until the follower accepts one. */
    PROBE,
    /** The follower is known to match: entries are pipelined, up to a window of messages in flight. */
    REPLICATE,
    /**
     * The follower needs entries this leader has compacted: a snapshot is being sent (Raft §7), and no entries go
     * out until the runtime reports how that ended.
     */
    SNAPSHOT
}
