package org.raftlib.examples.benchmark;

import java.io.IOException;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.raftlib.Bytes;
import org.raftlib.LogEntry;
import org.raftlib.Member;
import org.raftlib.NodeId;
import org.raftlib.message.AppendEntries;
import org.raftlib.message.AppendEntriesResponse;
import org.raftlib.message.RaftMessage;
import org.raftlib.transport.netty.NettyTransport;
import org.raftlib.transport.netty.NettyTransportMetrics;
import org.raftlib.transport.netty.NettyTransportOptions;

/**
 * Measures {@link NettyTransport} on loopback: AppendEntries carrying one 128-byte entry from a leader to a follower,
 * (1) one direction, as fast as the leader can send with at most {@code window} messages in flight so the
 * outbound queue never overflows, and (2) request/response, each AppendEntries answered by an
 * AppendEntriesResponse, with at most {@code rrWindow} requests outstanding.
 *
 * <p>Usage: {@code TransportBenchmark [seconds per case, default 5] [rrWindow, default 64]}. Each case runs a
 * warm-up of one second first. Prints messages/s, payload MB/s (128 bytes per message) and wire MB/s (whole frames).
 */
public final class TransportBenchmark {

    private static final int PAYLOAD_BYTES = 128;
    private static final int ONE_WAY_WINDOW = 16_384;

    private final NettyTransport leader;
    private final NettyTransport follower;
    private final NodeId leaderId = NodeId.of("leader");
    private final NodeId followerId = NodeId.of("follower");
    private final AtomicLong delivered = new AtomicLong();
    private final AtomicLong acknowledged = new AtomicLong();
    private final Bytes payload;
    private volatile boolean answer;

    private TransportBenchmark() throws IOException {
        byte[] data = new byte[PAYLOAD_BYTES];
        for (int i = 0; i < data.length; i++) {
            data[i] = (byte) i;
        }
        payload = Bytes.wrap(data);
        NettyTransportOptions options = NettyTransportOptions.defaults().withOutboundQueueLimit(ONE_WAY_WINDOW * 2);
        leader = NettyTransport.builder().clusterId("bench").groupId("g1").options(options).build();
        follower = NettyTransport.builder().clusterId("bench").groupId("g1").options(options).build();
        leader.start(new Member(leaderId, "127.0.0.1:0"), m -> acknowledged.incrementAndGet());
        follower.start(new Member(followerId, "127.0.0.1:0"), this::onFollowerMessage);
        Member l = new Member(leaderId, "127.0.0.1:" + leader.localAddress().getPort());
        Member f = new Member(followerId, "127.0.0.1:" + follower.localAddress().getPort());
        leader.updatePeers(List.of(f));
        follower.updatePeers(List.of(l));
    }

    private void onFollowerMessage(RaftMessage m) {
        delivered.incrementAndGet();
        if (answer) {
            AppendEntries a = (AppendEntries) m;
            follower.send(AppendEntriesResponse.accepted(followerId, leaderId, a.term(), a.lastIndex()));
        }
    }

    private AppendEntries request(long index) {
        return new AppendEntries(leaderId, followerId, 1, index - 1, index == 1 ? 0 : 1,
                List.of(LogEntry.command(1, index, payload)), index - 1);
    }

    /** Sends for {@code seconds}, keeping at most {@code window} messages unanswered; returns messages completed. */
    private long run(double seconds, int window, boolean requestResponse) {
        answer = requestResponse;
        AtomicLong done = requestResponse ? acknowledged : delivered;
        long start = done.get();
        long sent = 0;
        long end = System.nanoTime() + (long) (seconds * 1e9);
        while (System.nanoTime() < end) {
            if (sent - (done.get() - start) < window) {
                leader.send(request(sent + 1));
                sent++;
            } else {
                LockSupport.parkNanos(2_000);
            }
        }
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (done.get() - start < sent && System.nanoTime() < deadline) {
            LockSupport.parkNanos(100_000);
        }
        return done.get() - start;
    }

    private void measure(String name, double seconds, int window, boolean requestResponse) {
        run(1.0, window, requestResponse);
        NettyTransportMetrics before = leader.metrics();
        long t0 = System.nanoTime();
        long completed = run(seconds, window, requestResponse);
        double elapsed = (System.nanoTime() - t0) / 1e9;
        NettyTransportMetrics after = leader.metrics();
        double perSecond = completed / elapsed;
        double wireMb = (after.bytesOut() - before.bytesOut()) / elapsed / 1e6;
        System.out.printf("%-32s %12.0f msg/s %8.2f payload MB/s %8.2f wire MB/s (leader out; %d messages, "
                + "dropped %d)%n", name, perSecond, perSecond * PAYLOAD_BYTES / 1e6, wireMb, completed,
                after.dropped() - before.dropped());
    }

    private void close() {
        leader.close();
        follower.close();
    }

    /**
     * Runs both cases.
     *
     * @param args seconds per case (default 5), request/response window (default 64)
     * @throws IOException if a transport cannot listen on loopback
     */
    public static void main(String[] args) throws IOException {
        double seconds = args.length > 0 ? Double.parseDouble(args[0]) : 5;
        int rrWindow = args.length > 1 ? Integer.parseInt(args[1]) : 64;
        TransportBenchmark bench = new TransportBenchmark();
        try {
            System.out.printf("AppendEntries with one %d-byte entry, loopback, %s s per case, Java %s%n",
                    PAYLOAD_BYTES, seconds, System.getProperty("java.version"));
            bench.measure("one-way (window " + ONE_WAY_WINDOW + ")", seconds, ONE_WAY_WINDOW, false);
            bench.measure("request/response (window " + rrWindow + ")", seconds, rrWindow, true);
            bench.measure("request/response (window 1)", seconds, 1, true);
        } finally {
            bench.close();
        }
    }
}
