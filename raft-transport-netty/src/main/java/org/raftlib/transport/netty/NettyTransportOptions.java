package org.raftlib.transport.netty;

import java.time.Duration;
import java.util.Objects;

/**
 * Tuning of a {@link NettyTransport}. Immutable: each {@code with*} method checks its argument and returns a copy.
 *
 * <pre>{@code
 * NettyTransportOptions options = NettyTransportOptions.defaults()
 *         .withMaxFrameBytes(4 << 20)
 *         .withReconnectBackoff(Duration.ofMillis(20), Duration.ofSeconds(1));
 * }</pre>
 *
 * <p>{@link #defaults()} holds the {@code DEFAULT_*} values below. {@link #maxFrameBytes()} bounds the frames of the
 * wire format described in {@link NettyTransport}: a 4-byte big-endian length, then at most that many bytes of one
 * protobuf frame. The cluster id (default {@code "raftlib"}), the group id (default {@code "default"}), TLS and the
 * peer identity check are set on {@link NettyTransport.Builder}.
 *
 * <p>Thread-safe: instances never change.
 */
public final class NettyTransportOptions {

    /** Default largest frame, sent or accepted: 16 MiB. */
    public static final int DEFAULT_MAX_FRAME_BYTES = 16 << 20;
    /** Default number of messages queued per peer before new ones are dropped: 8192. */
    public static final int DEFAULT_OUTBOUND_QUEUE_LIMIT = 8192;
    /** Default time allowed to open a TCP connection: 1 s (TCP's own first SYN retransmission timeout). */
    public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(1);
    /** Default time an inbound connection has to complete its handshake: 5 s. */
    public static final Duration DEFAULT_HANDSHAKE_TIMEOUT = Duration.ofSeconds(5);
    /** Default first delay before reconnecting to a peer: 50 ms. */
    public static final Duration DEFAULT_RECONNECT_BACKOFF_MIN = Duration.ofMillis(50);
    /** Default longest delay between reconnection attempts: 1 s. */
    public static final Duration DEFAULT_RECONNECT_BACKOFF_MAX = Duration.ofSeconds(1);
    /** Default time an inbound connection may stay silent before it is closed: 60 s. */
    public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofSeconds(60);
    /**
     * Default time an outbound connection may hold data the peer has not acknowledged without any acknowledgement
     * arriving before it is closed and redialed: 2 s, twice the longest election timeout of {@code RaftOptions}'
     * defaults (timeouts fall in [T, 2T) with T = 500 ms), so a live but busy peer (a GC pause, a starved CPU) is not
     * cut off before its followers would have campaigned twice.
     */
    public static final Duration DEFAULT_STALL_TIMEOUT = Duration.ofSeconds(2);
    /** Default number of event-loop threads: 1 (one Raft group needs no more; raise it for many groups). */
    public static final int DEFAULT_IO_THREADS = 1;

    private static final NettyTransportOptions DEFAULTS = new NettyTransportOptions(DEFAULT_MAX_FRAME_BYTES,
            DEFAULT_OUTBOUND_QUEUE_LIMIT, new Timeouts(DEFAULT_CONNECT_TIMEOUT, DEFAULT_HANDSHAKE_TIMEOUT,
            DEFAULT_IDLE_TIMEOUT, DEFAULT_STALL_TIMEOUT), DEFAULT_RECONNECT_BACKOFF_MIN, DEFAULT_RECONNECT_BACKOFF_MAX,
            DEFAULT_IO_THREADS);

    private final int maxFrameBytes;
    private final int outboundQueueLimit;
    private final Timeouts timeouts;
    private final Duration reconnectBackoffMin;
    private final Duration reconnectBackoffMax;
    private final int ioThreads;

    private record Timeouts(Duration connect, Duration handshake, Duration idle, Duration stall) {
    }

    private NettyTransportOptions(int maxFrameBytes, int outboundQueueLimit, Timeouts timeouts,
            Duration reconnectBackoffMin, Duration reconnectBackoffMax, int ioThreads) {
        this.maxFrameBytes = maxFrameBytes;
        this.outboundQueueLimit = outboundQueueLimit;
        this.timeouts = timeouts;
        this.reconnectBackoffMin = reconnectBackoffMin;
        this.reconnectBackoffMax = reconnectBackoffMax;
        this.ioThreads = ioThreads;
    }

    /** Returns the options with every documented default. */
    public static NettyTransportOptions defaults() {
        return DEFAULTS;
    }

    /** Returns the largest frame, in bytes, this transport sends or accepts (without the 4-byte length prefix). */
    public int maxFrameBytes() {
        return maxFrameBytes;
    }

    /** Returns how many messages may wait for one peer before new ones are dropped. */
    public int outboundQueueLimit() {
        return outboundQueueLimit;
    }

    /** Returns the time allowed to open a TCP connection to a peer. */
    public Duration connectTimeout() {
        return timeouts.connect();
    }

    /** Returns the time an inbound connection has to complete its TLS and raftlib handshakes. */
    public Duration handshakeTimeout() {
        return timeouts.handshake();
    }

    /**
     * Returns the first delay before reconnecting to a peer; it doubles per failure, with jitter, and counts from the
     * start of the failed attempt, so a dial that timed out is followed by the next at once.
     */
    public Duration reconnectBackoffMin() {
        return reconnectBackoffMin;
    }

    /** Returns the longest delay between reconnection attempts. */
    public Duration reconnectBackoffMax() {
        return reconnectBackoffMax;
    }

    /** Returns the number of event-loop threads, shared by the server and every peer connection. */
    public int ioThreads() {
        return ioThreads;
    }

    /**
     * Returns a copy with another largest frame size.
     *
     * @param bytes at least 1024
     * @return the new options
     * @throws IllegalArgumentException if {@code bytes} is less than 1024
     */
    public NettyTransportOptions withMaxFrameBytes(int bytes) {
        if (bytes < 1024) {
            throw new IllegalArgumentException("maxFrameBytes must be at least 1024: " + bytes);
        }
        return new NettyTransportOptions(bytes, outboundQueueLimit, timeouts, reconnectBackoffMin,
                reconnectBackoffMax, ioThreads);
    }

    /**
     * Returns a copy with another per-peer outbound queue limit.
     *
     * @param messages at least 1
     * @return the new options
     * @throws IllegalArgumentException if {@code messages} is less than 1
     */
    public NettyTransportOptions withOutboundQueueLimit(int messages) {
        if (messages < 1) {
            throw new IllegalArgumentException("outboundQueueLimit must be at least 1: " + messages);
        }
        return new NettyTransportOptions(maxFrameBytes, messages, timeouts, reconnectBackoffMin,
                reconnectBackoffMax, ioThreads);
    }

    /**
     * Returns a copy with another connect timeout.
     *
     * @param timeout between 1 ms and {@link Integer#MAX_VALUE} ms
     * @return the new options
     * @throws IllegalArgumentException if {@code timeout} is out of range
     * @throws NullPointerException if {@code timeout} is null
     */
    public NettyTransportOptions withConnectTimeout(Duration timeout) {
        return new NettyTransportOptions(maxFrameBytes, outboundQueueLimit, new Timeouts(millis(timeout,
                "connectTimeout"), timeouts.handshake(), timeouts.idle(), timeouts.stall()), reconnectBackoffMin,
                reconnectBackoffMax, ioThreads);
    }

    /**
     * Returns a copy with another handshake timeout.
     *
     * @param timeout between 1 ms and {@link Integer#MAX_VALUE} ms
     * @return the new options
     * @throws IllegalArgumentException if {@code timeout} is out of range
     * @throws NullPointerException if {@code timeout} is null
     */
    public NettyTransportOptions withHandshakeTimeout(Duration timeout) {
        return new NettyTransportOptions(maxFrameBytes, outboundQueueLimit, new Timeouts(timeouts.connect(),
                millis(timeout, "handshakeTimeout"), timeouts.idle(), timeouts.stall()), reconnectBackoffMin,
                reconnectBackoffMax, ioThreads);
    }

    /**
     * Returns a copy with another idle timeout: an inbound connection on which no byte arrives for this long is
     * closed, so a peer that stalls (for example in the middle of a frame) cannot hold a connection and its buffer
     * forever. A healthy cluster is never idle that long (heartbeats); a peer reconnects when it next sends.
     *
     * @param timeout between 1 ms and {@link Integer#MAX_VALUE} ms
     * @return the new options
     * @throws IllegalArgumentException if {@code timeout} is out of range
     * @throws NullPointerException if {@code timeout} is null
     */
    public NettyTransportOptions withIdleTimeout(Duration timeout) {
        return new NettyTransportOptions(maxFrameBytes, outboundQueueLimit, new Timeouts(timeouts.connect(),
                timeouts.handshake(), millis(timeout, "idleTimeout"), timeouts.stall()), reconnectBackoffMin,
                reconnectBackoffMax, ioThreads);
    }

    /** Returns how long an inbound connection may stay silent before it is closed. */
    public Duration idleTimeout() {
        return timeouts.idle();
    }

    /**
     * Returns a copy with another stall timeout. The listening side of each connection acknowledges the bytes it
     * has read (a receipt at least every quarter of this time while bytes arrive); an outbound connection that holds
     * unacknowledged data and receives no receipt for this long is stalled: it is closed, counted in
     * {@link NettyTransportMetrics#stalledConnections()}, logged at WARN and redialed. On Linux with epoll it is also
     * the connections' {@code TCP_USER_TIMEOUT}. Choose about two of the node's election timeouts: long enough for
     * a healthy peer's pauses (GC, a slow disk on its I/O thread) and a round trip, short enough that a link that
     * broke is replaced before the followers behind it time out twice.
     *
     * @param timeout between 1 ms and {@link Integer#MAX_VALUE} ms
     * @return the new options
     * @throws IllegalArgumentException if {@code timeout} is out of range
     * @throws NullPointerException if {@code timeout} is null
     */
    public NettyTransportOptions withStallTimeout(Duration timeout) {
        return new NettyTransportOptions(maxFrameBytes, outboundQueueLimit, new Timeouts(timeouts.connect(),
                timeouts.handshake(), timeouts.idle(), millis(timeout, "stallTimeout")), reconnectBackoffMin,
                reconnectBackoffMax, ioThreads);
    }

    /** Returns how long an outbound connection may hold unacknowledged data without progress before it is redialed. */
    public Duration stallTimeout() {
        return timeouts.stall();
    }

    /**
     * Returns a copy with another reconnection backoff.
     *
     * @param min the first delay; at least 1 ms
     * @param max the longest delay; at least {@code min}
     * @return the new options
     * @throws IllegalArgumentException if a delay is out of range or {@code max < min}
     * @throws NullPointerException if a delay is null
     */
    public NettyTransportOptions withReconnectBackoff(Duration min, Duration max) {
        millis(min, "reconnectBackoffMin");
        millis(max, "reconnectBackoffMax");
        if (max.compareTo(min) < 0) {
            throw new IllegalArgumentException("reconnectBackoffMax (" + max
                    + ") must be at least reconnectBackoffMin (" + min + ")");
        }
        return new NettyTransportOptions(maxFrameBytes, outboundQueueLimit, timeouts, min, max, ioThreads);
    }

    /**
     * Returns a copy with another number of event-loop threads. With 1 (the default) the node's protocol loop runs on
     * that thread ({@link NettyTransport#loopExecutor()}); with more, the node keeps a loop thread of its own.
     *
     * @param threads between 1 and 64
     * @return the new options
     * @throws IllegalArgumentException if {@code threads} is out of range
     */
    public NettyTransportOptions withIoThreads(int threads) {
        if (threads < 1 || threads > 64) {
            throw new IllegalArgumentException("ioThreads must be between 1 and 64: " + threads);
        }
        return new NettyTransportOptions(maxFrameBytes, outboundQueueLimit, timeouts, reconnectBackoffMin,
                reconnectBackoffMax, threads);
    }

    private static Duration millis(Duration d, String name) {
        Objects.requireNonNull(d, name);
        if (d.compareTo(Duration.ofMillis(1)) < 0 || d.compareTo(Duration.ofMillis(Integer.MAX_VALUE)) > 0) {
            throw new IllegalArgumentException(name + " must be between 1 ms and " + Integer.MAX_VALUE + " ms: " + d);
        }
        return d;
    }

    @Override
    public String toString() {
        return "NettyTransportOptions[maxFrameBytes=" + maxFrameBytes + ", outboundQueueLimit=" + outboundQueueLimit
                + ", connectTimeout=" + timeouts.connect() + ", handshakeTimeout=" + timeouts.handshake()
                + ", idleTimeout=" + timeouts.idle() + ", stallTimeout=" + timeouts.stall()
                + ", reconnectBackoff=" + reconnectBackoffMin + ".." + reconnectBackoffMax + ", ioThreads=" + ioThreads
                + "]";
    }
}
