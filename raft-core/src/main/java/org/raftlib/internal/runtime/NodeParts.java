package org.raftlib.internal.runtime;

import java.util.List;
import org.raftlib.Member;
import org.raftlib.NodeId;
import org.raftlib.RaftListener;
import org.raftlib.RaftOptions;
import org.raftlib.Transport;

/**
 * The pieces of one node that its loop shares with the facade and the workers; {@code joining}: the node was started
 * to join a cluster, not as one of its members.
 */
record NodeParts(
        NodeId id,
        List<Member> members,
        boolean joining,
        Transport transport,
        Inbox inbox,
        StorageWorker storage,
        ApplyWorker apply,
        Lifecycle lifecycle,
        List<RaftListener> listeners,
        int electionTicks,
        SnapshotTransfers transfers,
        long compactionKeep,
        RuntimeMetrics metrics,
        RaftOptions options) {
}
