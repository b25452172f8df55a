package org.raftlib.transport.netty;

import org.raftlib.transport.netty.NettyTransportMetrics.RejectReason;

/**
 * A frame from a peer that cannot be accepted. Raised while decoding on an event loop; the inbound handler counts it
 * by {@link #reason()}, logs it rate-limited and closes that one connection.
 */
final class FrameException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final RejectReason reason;
    private final String detail;

    FrameException(RejectReason reason, String detail) {
        super(reason + ": " + detail, null, false, false);
        this.reason = reason;
        this.detail = detail;
    }

    RejectReason reason() {
        return reason;
    }

    /** Returns what was wrong, without the reason. */
    String detail() {
        return detail;
    }
}
