package org.raftlib.internal.core;

import java.util.ArrayList;
import java.util.List;
import org.raftlib.message.MessageType;
import org.raftlib.message.RaftMessage;

/**
 * Messages produced since the last {@link Ready}. Responses wait for the batch's sync (a vote or an acknowledgement
 * must not leave before what it promises is durable, thesis §3.8); requests leave at once, which lets a leader
 * replicate in parallel with its own write (thesis §10.2.1).
 */
final class Outbox {

    private final List<RaftMessage> now = new ArrayList<>();
    private final List<RaftMessage> afterSync = new ArrayList<>();

    void add(RaftMessage m) {
        if (isResponse(m.type())) {
            afterSync.add(m);
        } else {
            now.add(m);
        }
    }

    boolean isEmpty() {
        return now.isEmpty() && afterSync.isEmpty();
    }

    List<RaftMessage> takeNow() {
        List<RaftMessage> out = List.copyOf(now);
        now.clear();
        return out;
    }

    List<RaftMessage> takeAfterSync() {
        List<RaftMessage> out = List.copyOf(afterSync);
        afterSync.clear();
        return out;
    }

    private static boolean isResponse(MessageType type) {
        return type == MessageType.REQUEST_VOTE_RESPONSE
                || type == MessageType.APPEND_ENTRIES_RESPONSE
                || type == MessageType.INSTALL_SNAPSHOT_RESPONSE;
    }
}
