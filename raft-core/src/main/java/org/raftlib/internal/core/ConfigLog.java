package org.raftlib.internal.core;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.raftlib.ClusterConfig;
import org.raftlib.EntryType;
import org.raftlib.LogEntry;
import org.raftlib.NodeId;

/**
 * The configurations a node's log holds (Raft thesis §4.1): a configuration takes effect as soon as its entry is in
 * the log, committed or not, and the previous one is back in force if that entry is truncated. Entries at or below
 * {@code baseIndex} are folded into {@code base} (the configuration of the snapshot, or of the compacted prefix),
 * which keeps the index of its own entry. Confined to the node loop.
 */
final class ConfigLog {

    private final TreeMap<Long, ClusterConfig> entries = new TreeMap<>();
    private IndexedConfig base;
    private long baseIndex;
    private long version;

    ConfigLog(IndexedConfig base, long baseIndex) {
        this.base = base;
        this.baseIndex = baseIndex;
    }

    /** Decodes a configuration entry; a malformed one is a corrupt log or a broken leader, never ignored. */
    static ClusterConfig decode(LogEntry e) {
        try {
            return ClusterConfig.decode(e.data().toByteArray());
        } catch (IllegalArgumentException ex) {
            throw new IllegalStateException("malformed configuration entry " + e.term() + "/" + e.index() + ": "
                    + ex.getMessage(), ex);
        }
    }

    /** Entries were appended at their indexes; everything from the first one's index on was replaced. */
    void onAppend(List<LogEntry> appended) {
        if (appended.isEmpty()) {
            return;
        }
        truncateFrom(appended.get(0).index());
        for (LogEntry e : appended) {
            if (e.type() == EntryType.CONFIGURATION) {
                entries.put(e.index(), decode(e));
                version++;
            }
        }
    }

    /** The entries from {@code index} on are gone: the configurations they held are rolled back. */
    void truncateFrom(long index) {
        Map<Long, ClusterConfig> gone = entries.tailMap(index, true);
        if (!gone.isEmpty()) {
            gone.clear();
            version++;
        }
    }

    /** The log was reset to a snapshot at {@code index} whose configuration is {@code config} (null: unknown). */
    void reset(long index, IndexedConfig config) {
        IndexedConfig c = config != null ? config : indexedAt(index);
        entries.clear();
        base = c;
        baseIndex = index;
        version++;
    }

    /** Returns whether {@code id} is a member of any configuration held: the base's, or one in the log after it. */
    boolean anyLists(NodeId id) {
        return base.config().contains(id) || entries.values().stream().anyMatch(c -> c.contains(id));
    }

    /** The entries up to {@code index} are compacted: their configuration is kept as the base. */
    void compactTo(long index) {
        if (index <= baseIndex) {
            return;
        }
        Map.Entry<Long, ClusterConfig> last = entries.floorEntry(index);
        if (last != null) {
            base = new IndexedConfig(last.getValue(), last.getKey());
            entries.headMap(index, true).clear();
        }
        baseIndex = index;
    }

    /** Returns the configuration in force: the last one in the log. */
    ClusterConfig current() {
        return entries.isEmpty() ? base.config() : entries.lastEntry().getValue();
    }

    /** Returns the index of the entry holding the configuration in force (0: the bootstrap configuration). */
    long currentIndex() {
        return entries.isEmpty() ? base.index() : entries.lastKey();
    }

    /** Returns the configuration in force at {@code index}: the last one at or before it. */
    ClusterConfig at(long index) {
        return indexedAt(index).config();
    }

    /** Returns the configuration in force at {@code index} with the index of its entry. */
    IndexedConfig indexedAt(long index) {
        Map.Entry<Long, ClusterConfig> e = entries.floorEntry(index);
        return e != null ? new IndexedConfig(e.getValue(), e.getKey()) : base;
    }

    /** Returns whether {@code id} votes in the configuration at {@code index} or in any the log holds after it. */
    boolean votesSince(long index, NodeId id) {
        if (at(index).isVoter(id)) {
            return true;
        }
        for (ClusterConfig c : entries.tailMap(index, false).values()) {
            if (c.isVoter(id)) {
                return true;
            }
        }
        return false;
    }

    /** Returns a number that changes whenever the configuration in force may have changed. */
    long version() {
        return version;
    }
}
