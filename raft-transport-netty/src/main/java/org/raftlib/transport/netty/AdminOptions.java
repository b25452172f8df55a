package org.raftlib.transport.netty;

import java.time.Duration;
import java.util.Objects;
import java.util.Set;

/**
 * How an {@link AdminServer} listens: its own address, the mutual-TLS configuration its clients must satisfy, the
 * admin names it accepts, and its bounds. Immutable: each {@code with*} method checks its argument and returns a
 * copy.
 *
 * <pre>{@code
 * AdminOptions options = AdminOptions.of("127.0.0.1:7101", TlsConfig.fromPem(nodeCrt, nodeKey, adminCa))
 *         .withAllowedAdmins("alice", "ops-robot");
 * }</pre>
 *
 * <p>The TLS configuration must require client certificates (the default of {@link TlsConfig}); its trusted
 * certificates decide which CA may issue admin certificates, and may differ from the transport's.
 *
 * <p>Thread-safe: instances never change.
 */
public final class AdminOptions {

    /** Default largest request, without its 4-byte length prefix: 64 KiB. */
    public static final int DEFAULT_MAX_REQUEST_BYTES = 64 << 10;
    /** Default time a client has, from connecting, to complete TLS and send its whole request: 10 s. */
    public static final Duration DEFAULT_READ_TIMEOUT = Duration.ofSeconds(10);
    /** Default longest wait for an operation's outcome before answering {@code TIMEOUT}: 30 s. */
    public static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofSeconds(30);
    /** Default number of admin connections open at once; more are closed at once: 16. */
    public static final int DEFAULT_MAX_CONNECTIONS = 16;

    private final String address;
    private final TlsConfig tls;
    private final Set<String> allowedAdmins;
    private final int maxRequestBytes;
    private final Duration readTimeout;
    private final Duration requestTimeout;
    private final int maxConnections;

    private AdminOptions(String address, TlsConfig tls, Set<String> allowedAdmins, int maxRequestBytes,
            Duration readTimeout, Duration requestTimeout, int maxConnections) {
        this.address = address;
        this.tls = tls;
        this.allowedAdmins = allowedAdmins;
        this.maxRequestBytes = maxRequestBytes;
        this.readTimeout = readTimeout;
        this.requestTimeout = requestTimeout;
        this.maxConnections = maxConnections;
    }

    /**
     * Returns options with the defaults, listening on {@code address} with mutual TLS {@code tls}, accepting every
     * admin certificate the TLS configuration trusts.
     *
     * @param address {@code host:port} to listen on (an IPv6 host in brackets); port 0 picks a free port
     * @param tls the server's key and certificate and the CA certificates admin certificates must chain to
     * @return the options
     * @throws IllegalArgumentException if {@code address} is not {@code host:port}, or {@code tls} does not
     *     require client certificates
     * @throws NullPointerException if an argument is null
     */
    public static AdminOptions of(String address, TlsConfig tls) {
        NettyTransport.parse(address, 0, false);
        if (!Objects.requireNonNull(tls, "tls").requiresClientCertificates()) {
            throw new IllegalArgumentException("the admin endpoint requires mutual TLS: the TLS configuration must "
                    + "require client certificates");
        }
        return new AdminOptions(address, tls, Set.of(), DEFAULT_MAX_REQUEST_BYTES, DEFAULT_READ_TIMEOUT,
                DEFAULT_REQUEST_TIMEOUT, DEFAULT_MAX_CONNECTIONS);
    }

    /**
     * Returns a copy that accepts only admin certificates naming one of {@code names}
     * ({@code urn:raftlib:admin:<name>}); none accepts every admin name.
     *
     * @param names the admin names allowed
     * @return the options
     * @throws IllegalArgumentException if a name is blank
     * @throws NullPointerException if a name is null
     */
    public AdminOptions withAllowedAdmins(String... names) {
        for (String n : names) {
            if (Objects.requireNonNull(n, "name").isBlank()) {
                throw new IllegalArgumentException("admin names must not be blank");
            }
        }
        return new AdminOptions(address, tls, Set.of(names), maxRequestBytes, readTimeout, requestTimeout,
                maxConnections);
    }

    /**
     * Returns a copy with the largest request accepted; a longer one closes the connection.
     *
     * @param bytes from 256 to 16 MiB
     * @return the options
     * @throws IllegalArgumentException if {@code bytes} is out of range
     */
    public AdminOptions withMaxRequestBytes(int bytes) {
        if (bytes < 256 || bytes > NettyTransportOptions.DEFAULT_MAX_FRAME_BYTES) {
            throw new IllegalArgumentException("maxRequestBytes must be from 256 to 16 MiB: " + bytes);
        }
        return new AdminOptions(address, tls, allowedAdmins, bytes, readTimeout, requestTimeout, maxConnections);
    }

    /**
     * Returns a copy with the time a client has to complete TLS and send its request.
     *
     * @param timeout positive
     * @return the options
     * @throws IllegalArgumentException if {@code timeout} is not positive
     * @throws NullPointerException if {@code timeout} is null
     */
    public AdminOptions withReadTimeout(Duration timeout) {
        return new AdminOptions(address, tls, allowedAdmins, maxRequestBytes, positive(timeout, "readTimeout"),
                requestTimeout, maxConnections);
    }

    /**
     * Returns a copy with the longest wait for an operation's outcome; after it the client is told {@code TIMEOUT}
     * (the operation may still complete).
     *
     * @param timeout positive
     * @return the options
     * @throws IllegalArgumentException if {@code timeout} is not positive
     * @throws NullPointerException if {@code timeout} is null
     */
    public AdminOptions withRequestTimeout(Duration timeout) {
        return new AdminOptions(address, tls, allowedAdmins, maxRequestBytes, readTimeout,
                positive(timeout, "requestTimeout"), maxConnections);
    }

    /**
     * Returns a copy with the number of admin connections allowed open at once.
     *
     * @param connections at least 1
     * @return the options
     * @throws IllegalArgumentException if {@code connections} is below 1
     */
    public AdminOptions withMaxConnections(int connections) {
        if (connections < 1) {
            throw new IllegalArgumentException("maxConnections must be at least 1: " + connections);
        }
        return new AdminOptions(address, tls, allowedAdmins, maxRequestBytes, readTimeout, requestTimeout,
                connections);
    }

    /** Returns the {@code host:port} the endpoint listens on. */
    public String address() {
        return address;
    }

    /** Returns the mutual-TLS configuration. */
    public TlsConfig tls() {
        return tls;
    }

    /** Returns the admin names accepted; empty: every admin name. */
    public Set<String> allowedAdmins() {
        return allowedAdmins;
    }

    /** Returns the largest request accepted, in bytes, without the length prefix. */
    public int maxRequestBytes() {
        return maxRequestBytes;
    }

    /** Returns the time a client has, from connecting, to complete TLS and send its request. */
    public Duration readTimeout() {
        return readTimeout;
    }

    /** Returns the longest wait for an operation's outcome. */
    public Duration requestTimeout() {
        return requestTimeout;
    }

    /** Returns the number of admin connections allowed open at once. */
    public int maxConnections() {
        return maxConnections;
    }

    private static Duration positive(Duration d, String name) {
        Objects.requireNonNull(d, name);
        if (d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException(name + " must be positive: " + d);
        }
        return d;
    }
}
