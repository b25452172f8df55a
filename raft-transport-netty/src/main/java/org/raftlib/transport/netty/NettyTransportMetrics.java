package org.raftlib.transport.netty;

import java.util.Map;
import java.util.Objects;

/**
 * A snapshot of a {@link NettyTransport}'s counters since it was created, from {@link NettyTransport#metrics()}.
 * Immutable; later traffic does not change it.
 *
 * @param messagesIn messages decoded and handed to the inbound consumer
 * @param bytesIn bytes of those messages' frames, length prefixes included
 * @param messagesOut messages written to a connection
 * @param bytesOut bytes of those messages' frames, length prefixes included
 * @param dropped messages given to {@code send} that were not written: unknown peer, full outbound queue, failed
 *     connection, too large, or sent before start or after close
 * @param connectionFailures outbound connection attempts that failed, and outbound connections closed by an error
 * @param stalledConnections outbound connections closed because they held data the peer did not acknowledge for
 *     {@link NettyTransportOptions#stallTimeout()}
 * @param rejectedFrames connections refused, by reason; every reason is present. All are inbound connections closed
 *     for a bad frame or handshake, except that {@link RejectReason#IDENTITY_MISMATCH} also counts outbound
 *     connections whose server certificate does not name the peer dialled, and {@link RejectReason#LOCAL_FAILURE}
 *     inbound connections this node could not serve (out of memory, an unexpected error)
 */
public record NettyTransportMetrics(
        long messagesIn,
        long bytesIn,
        long messagesOut,
        long bytesOut,
        long dropped,
        long connectionFailures,
        long stalledConnections,
        Map<RejectReason, Long> rejectedFrames) {

    /**
     * Copies the map.
     *
     * @throws NullPointerException if {@code rejectedFrames} is null
     */
    public NettyTransportMetrics {
        rejectedFrames = Map.copyOf(Objects.requireNonNull(rejectedFrames, "rejectedFrames"));
    }

    /**
     * Returns how many connections were closed for {@code reason}.
     *
     * @param reason the reason
     * @return the count
     */
    public long rejected(RejectReason reason) {
        return rejectedFrames.getOrDefault(reason, 0L);
    }

    /** Returns how many connections were refused for any reason. */
    public long rejectedTotal() {
        return rejectedFrames.values().stream().mapToLong(Long::longValue).sum();
    }

    /** Why a connection was refused; the token in the WARN line logged for it. */
    public enum RejectReason {
        /**
         * The length prefix, read as unsigned, exceeds {@link NettyTransportOptions#maxFrameBytes()}, or, on the first
         * frame (the handshake), 64 KiB (more only if the cluster and group ids need it).
         */
        OVERSIZED_FRAME,
        /** The connection ended inside a frame. */
        TRUNCATED_FRAME,
        /** The bytes are not a protobuf frame of the expected kind. */
        MALFORMED_FRAME,
        /** The first frame is not a handshake, or names an invalid or our own node id. */
        BAD_HANDSHAKE,
        /** No handshake arrived within {@link NettyTransportOptions#handshakeTimeout()}. */
        HANDSHAKE_TIMEOUT,
        /** The peer speaks another protocol version. */
        UNSUPPORTED_VERSION,
        /** The handshake or a message names another cluster id. */
        WRONG_CLUSTER,
        /** The handshake or a message names another group id. */
        WRONG_GROUP,
        /** The handshake's node id is not (or no longer) in the address book given to {@code updatePeers}. */
        UNKNOWN_PEER,
        /** A message's {@code from} differs from the handshake's node id. */
        WRONG_SENDER,
        /** A message's {@code to} is not this node. */
        WRONG_ADDRESSEE,
        /** A message's fields are out of range or inconsistent (the message record's checks failed). */
        INVALID_MESSAGE,
        /** The TLS handshake failed, for example because the peer's certificate is not trusted. */
        TLS_FAILURE,
        /**
         * The peer's TLS certificate does not name the node it claims to be ({@link PeerIdentityVerifier}): inbound,
         * the client's certificate and the node id of its handshake; outbound, the server's certificate and the peer
         * dialled.
         */
        IDENTITY_MISMATCH,
        /**
         * 64 connections were waiting for their handshake already (an identified peer holds one connection; these are
         * anyone who can reach the port): the new one was closed at once, so a flood cannot use up the node's file
         * descriptors.
         */
        TOO_MANY_CONNECTIONS,
        /**
         * Not the peer's doing: this node could not serve the connection, because it ran out of memory (for example
         * direct buffer memory, with many connections each holding part of a frame) or a handler failed unexpectedly.
         * The WARN line says which.
         */
        LOCAL_FAILURE
    }
}
