package org.raftlib.internal.runtime;

import java.util.Collection;
import java.util.List;
import java.util.function.Consumer;
import org.raftlib.Member;
import org.raftlib.Transport;
import org.raftlib.message.RaftMessage;

/** A transport that only records what is sent, in order; nothing is ever delivered. */
record RecordingTransport(List<RaftMessage> sent) implements Transport {

    @Override
    public void start(Member self, Consumer<RaftMessage> inbound) {
    }

    @Override
    public void updatePeers(Collection<Member> peers) {
    }

    @Override
    public void send(RaftMessage message) {
        sent.add(message);
    }

    @Override
    public void close() {
    }
}
