package org.raftlib.transport.netty;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import org.raftlib.Member;
import org.raftlib.testkit.Ports;

/** Loopback addresses and options for the transport's tests. */
final class TestNet {

    private TestNet() {
    }

    /** Returns a member on 127.0.0.1 and a port that was free a moment ago. */
    static Member loopbackMember(String id) throws IOException {
        return Member.of(id, "127.0.0.1:" + Ports.freeLoopbackPort());
    }

    /** Returns {@code body} behind its 4-byte big-endian length prefix, as the transport frames it. */
    static byte[] framed(byte[] body) {
        return ByteBuffer.allocate(Integer.BYTES + body.length).putInt(body.length).put(body).array();
    }

    /** Options with short backoffs, so tests that restart peers do not wait. */
    static NettyTransportOptions fastOptions() {
        return NettyTransportOptions.defaults()
                .withIoThreads(1)
                .withReconnectBackoff(Duration.ofMillis(5), Duration.ofMillis(100))
                .withConnectTimeout(Duration.ofSeconds(2));
    }
}
