package org.raftlib.internal.runtime;

import java.io.IOException;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.Consumer;
import org.raftlib.LogEntry;
import org.raftlib.Member;
import org.raftlib.RaftMetrics;
import org.raftlib.Transport;
import org.raftlib.message.AppendEntries;
import org.raftlib.message.InstallSnapshot;
import org.raftlib.message.RaftMessage;

/**
 * Counts the messages a node sends and receives for {@link RaftMetrics} and passes everything else through to the
 * real transport. The node wraps its transport in one only when metrics are enabled.
 */
final class MeteredTransport implements Transport {

    private final Transport delegate;
    private final RuntimeMetrics metrics;
    private final RaftMetrics sink;

    private MeteredTransport(Transport delegate, RuntimeMetrics metrics) {
        this.delegate = delegate;
        this.metrics = metrics;
        this.sink = metrics.sink();
    }

    /** Returns {@code transport} itself when {@code metrics} record nothing, else a counting wrapper. */
    static Transport wrap(Transport transport, RuntimeMetrics metrics) {
        return metrics.enabled() ? new MeteredTransport(transport, metrics) : transport;
    }

    /** Entry bytes of an AppendEntries, chunk bytes of an InstallSnapshot, else 0. */
    static long payloadBytes(RaftMessage m) {
        if (m instanceof AppendEntries a) {
            List<LogEntry> es = a.entries();
            long bytes = 0;
            for (int i = 0, n = es.size(); i < n; i++) {
                bytes += es.get(i).sizeBytes();
            }
            return bytes;
        }
        return m instanceof InstallSnapshot s ? s.data().length() : 0;
    }

    @Override
    public void start(Member self, Consumer<RaftMessage> inbound) throws IOException {
        delegate.start(self, m -> {
            try {
                sink.messageReceived(m.type(), payloadBytes(m));
            } catch (Exception e) {
                metrics.warn(e);
            }
            inbound.accept(m);
        });
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
        try {
            sink.messageSent(message.type(), payloadBytes(message));
        } catch (Exception e) {
            metrics.warn(e);
        }
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
