package org.raftlib.testkit;

import java.io.IOException;
import java.util.Collection;
import java.util.Optional;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.Consumer;
import org.raftlib.Member;
import org.raftlib.Transport;
import org.raftlib.message.RaftMessage;

/** Forwards every call to another transport; tests override single methods. */
public class ForwardingTransport implements Transport {

    private final Transport delegate;

    /**
     * Wraps {@code delegate}.
     *
     * @param delegate the transport that does the work
     */
    public ForwardingTransport(Transport delegate) {
        this.delegate = delegate;
    }

    @Override
    public void start(Member self, Consumer<RaftMessage> inbound) throws IOException {
        delegate.start(self, inbound);
    }

    @Override
    public void updatePeers(Collection<Member> peers) {
        delegate.updatePeers(peers);
    }

    @Override
    public void checkAddress(String address) {
        delegate.checkAddress(address);
    }

    @Override
    public void send(RaftMessage message) {
        delegate.send(message);
    }

    @Override
    public int maxMessageBytes() {
        return delegate.maxMessageBytes();
    }

    @Override
    public Optional<ScheduledExecutorService> loopExecutor() {
        return delegate.loopExecutor();
    }

    @Override
    public void close() {
        delegate.close();
    }
}
