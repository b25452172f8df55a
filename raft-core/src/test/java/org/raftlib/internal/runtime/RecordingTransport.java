package org.raftlib.internal.runtime;

import java.util.Collection;
import java.util.List;
import java.util.function.Consumer;
import org.raftlib.Member;
import org.raftlib.Transport;
import org.raftlib.message.RaftMessage;

/**
 * A transport that only records what is sent, in order; nothing is ever delivered. With a {@code failure}, every send
 * throws it instead (a transport breaking its contract).
 */
record RecordingTransport(List<RaftMessage> sent, RuntimeException failure) implements Transport {

    RecordingTransport(List<RaftMessage> sent) {
        this(sent, null);
    }

    @Override
    public void start(Member self, Consumer<RaftMessage> inbound) {
    }

    @Override
    public void updatePeers(Collection<Member> peers) {
    }

    @Override
    public void send(RaftMessage message) {
        if (failure != null) {
            throw failure;
        }
        sent.add(message);
    }

    @Override
    public void close() {
    }
}
