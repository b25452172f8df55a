package org.raftlib.core.progress;

/** How a leader sends entries to one follower. */
public enum ProgressMode {
    /** The match index is unknown: one AppendEntries at a time until the follower accepts one. */
    PROBE,
    /** The follower is known to match: entries are pipelined, up to a window of messages in flight. */
    REPLICATE
}
