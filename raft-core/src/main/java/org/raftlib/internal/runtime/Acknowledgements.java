package org.raftlib.internal.runtime;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.raftlib.NodeId;
import org.raftlib.Transport;
import org.raftlib.internal.core.Ready;
import org.raftlib.message.AppendEntriesResponse;
import org.raftlib.message.RaftMessage;

/**
 * Sends the messages that had to wait for a sync. When one sync covered several AppendEntries (several batches, or
 * several appends handled in one turn of the loop), an accepted {@link AppendEntriesResponse} is dropped if a later
 * accepted one to the same leader in the same term acknowledges at least as much (match index and read round):
 * acknowledgements are cumulative, so the leader learns the same from fewer messages. Everything else is sent in
 * order.
 */
final class Acknowledgements {

    private Acknowledgements() {
    }

    static void send(List<Ready> batches, Transport transport) {
        List<RaftMessage> all;
        if (batches.size() == 1) {
            all = batches.get(0).afterSync();
            if (all.size() < 2) {
                all.forEach(transport::send);
                return;
            }
        } else {
            all = new ArrayList<>();
            for (Ready r : batches) {
                all.addAll(r.afterSync());
            }
        }
        Map<NodeId, AppendEntriesResponse> latest = new HashMap<>();
        boolean[] skip = new boolean[all.size()];
        for (int i = all.size() - 1; i >= 0; i--) {
            if (all.get(i) instanceof AppendEntriesResponse r && r.success()) {
                AppendEntriesResponse later = latest.get(r.to());
                if (later != null && later.term() == r.term() && later.matchIndex() >= r.matchIndex()
                        && later.readSeq() >= r.readSeq()) {
                    skip[i] = true;
                } else {
                    latest.put(r.to(), r);
                }
            }
        }
        for (int i = 0; i < all.size(); i++) {
            if (!skip[i]) {
                transport.send(all.get(i));
            }
        }
    }
}
