package org.raftlib.examples.kv;

import org.raftlib.NodeId;
import org.raftlib.RaftEvent;
import org.raftlib.RaftListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Logs a key-value node's {@link RaftEvent}s without repeating raftlib's own log: a configuration becoming committed
 * at INFO on every node (raftlib logs it on the leader only), everything else at DEBUG (raftlib already logs role and
 * leader changes, unreachable peers, slow disks and snapshots at INFO or WARN). Nothing in a steady state.
 */
final class KvEventLog implements RaftListener {

    private static final Logger LOG = LoggerFactory.getLogger(KvEventLog.class);

    private final NodeId id;

    KvEventLog(NodeId id) {
        this.id = id;
    }

    @Override
    public void onEvent(RaftEvent event) {
        if (event instanceof RaftEvent.ConfigurationChanged c && c.committed()) {
            LOG.info("{} configuration at index {} is committed: {}", id, c.index(), c.config());
        } else if (!(event instanceof RaftEvent.NodeFailed)) {       // KvNode reports a failure itself
            LOG.debug("{} {}", id, event);
        }
    }
}
