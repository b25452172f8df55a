package org.raftlib.transport.netty;

import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.NotSslRecordException;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import java.nio.channels.ClosedChannelException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Objects;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.TrustManagerFactory;

/**
 * How a {@link NettyTransport} uses TLS, in JDK types only (the transport's Netty is relocated inside its jar, so an
 * application never handles Netty classes): this node's key and certificate, the certificates it trusts, whether
 * peers must present certificates (mutual TLS, the default) and the protocol versions.
 *
 * <p>Host names are not checked against certificates: peers are addressed by {@code host:port} and may be IP
 * addresses, and with mutual TLS the transport checks instead that each certificate names the node id its holder
 * claims ({@link PeerIdentityVerifier}), which is what tells members apart.
 *
 * <p>The files or factories are read when a transport or admin endpoint is built with the configuration: then
 * {@link NettyTransport.Builder#tls} throws {@link IllegalArgumentException} if a key or certificate cannot be loaded,
 * or if this node's private key is not the one of its certificate (checked by signing a few bytes with the key and
 * verifying them with the certificate's public key, for RSA, EC, EdDSA and DSA keys), instead of the node failing every
 * handshake later.
 *
 * <p>Immutable and thread-safe.
 */
public final class TlsConfig {

    private final Source source;
    private final boolean clientAuth;
    private final List<String> protocols;

    /** Where the keys come from: PEM files or key and trust manager factories. */
    private record Source(Path certificateChain, Path privateKey, Path trusted, KeyManagerFactory keys,
            TrustManagerFactory trust) {
    }

    private TlsConfig(Source source, boolean clientAuth, List<String> protocols) {
        this.source = source;
        this.clientAuth = clientAuth;
        this.protocols = protocols;
    }

    /**
     * Mutual TLS from PEM files, as {@code openssl} writes them (see the module README).
     *
     * @param certificateChain this node's certificate, then any intermediate CA certificates
     * @param privateKey this node's unencrypted PKCS#8 private key
     * @param trustedCertificates the CA certificates a peer's certificate must chain to
     * @return the configuration
     * @throws NullPointerException if an argument is null
     * @throws IllegalArgumentException if a file does not exist or cannot be read
     */
    public static TlsConfig fromPem(Path certificateChain, Path privateKey, Path trustedCertificates) {
        for (Path p : List.of(certificateChain, privateKey, trustedCertificates)) {
            if (!Files.isReadable(p)) {
                throw new IllegalArgumentException("cannot read " + p);
            }
        }
        return new TlsConfig(new Source(certificateChain, privateKey, trustedCertificates, null, null), true,
                List.of("TLSv1.3"));
    }

    /**
     * Mutual TLS from initialised factories, for example over PKCS#12 key stores made with {@code keytool}.
     *
     * @param keys the key manager factory holding this node's key and certificate
     * @param trust the trust manager factory holding the CA certificates peers must chain to
     * @return the configuration
     * @throws NullPointerException if an argument is null
     */
    public static TlsConfig of(KeyManagerFactory keys, TrustManagerFactory trust) {
        return new TlsConfig(new Source(null, null, null, Objects.requireNonNull(keys, "keys"),
                Objects.requireNonNull(trust, "trust")), true, List.of("TLSv1.3"));
    }

    /**
     * Returns a copy in which the listening side does not ask peers for certificates: encryption and server
     * authentication only. Anyone who can reach the port may then connect claiming any node id; prefer mutual TLS.
     *
     * @return the configuration without client authentication
     */
    public TlsConfig withoutClientAuthentication() {
        return new TlsConfig(source, false, protocols);
    }

    /**
     * Returns a copy that allows these protocol versions (default {@code TLSv1.3}).
     *
     * @param versions protocol names such as {@code "TLSv1.3"} and {@code "TLSv1.2"}
     * @return the configuration
     * @throws IllegalArgumentException if no version is given
     * @throws NullPointerException if a version is null
     */
    public TlsConfig withProtocols(String... versions) {
        if (versions.length == 0) {
            throw new IllegalArgumentException("at least one protocol version");
        }
        return new TlsConfig(source, clientAuth, List.of(versions));
    }

    /** Returns whether peers must present a certificate (mutual TLS). */
    public boolean requiresClientCertificates() {
        return clientAuth;
    }

    /** Returns the allowed protocol versions. */
    public List<String> protocols() {
        return protocols;
    }

    /**
     * Whether a failed TLS handshake failed because the connection closed first: the peer gave up (a client that
     * timed out while this node was paused, say) or closed without a word. Nothing was refused then.
     */
    static boolean closedBeforeHandshake(Throwable cause) {
        return cause instanceof ClosedChannelException;
    }

    /**
     * Returns why a TLS connection failed, for a log line: {@code cause} as it is, except that bytes which are not TLS
     * (a plain TCP peer, an HTTP request, a port scanner) are named in a few words, without the hex dump of up to
     * 2 KB of the peer's bytes that Netty's exception carries.
     */
    static String failure(Throwable cause) {
        for (Throwable t = cause; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof NotSslRecordException) {
                return "not a TLS record: the peer does not speak TLS (plain TCP or another protocol)";
            }
            if (t instanceof SSLHandshakeException && "Empty client certificate chain".equals(t.getMessage())) {
                return "the peer sent no client certificate: it has none, or none issued by a CA this node trusts"
                        + " (a certificate of another cluster's CA?)";
            }
        }
        return String.valueOf(cause);
    }

    /** This side's own certificates (the first of each chain), for the start-up identity check; may be empty. */
    List<X509Certificate> ownCertificates() {
        return TlsKeys.own(source.certificateChain(), source.keys());
    }

    /** Checks that this node's private key is its certificate's ({@link TlsKeys}). */
    private void checkKeys() {
        if (source.keys() != null) {
            TlsKeys.checkKeyManagers(source.keys());
        } else {
            TlsKeys.checkPem(source.certificateChain(), source.privateKey());
        }
    }

    /** The listening side's context. */
    SslContext serverContext() {
        try {
            checkKeys();
            SslContextBuilder b = source.keys() != null ? SslContextBuilder.forServer(source.keys())
                    : SslContextBuilder.forServer(source.certificateChain().toFile(), source.privateKey().toFile());
            b = source.trust() != null ? b.trustManager(source.trust()) : b.trustManager(source.trusted().toFile());
            return b.clientAuth(clientAuth ? ClientAuth.REQUIRE : ClientAuth.NONE)
                    .protocols(protocols)
                    .build();
        } catch (SSLException | RuntimeException e) {
            throw new IllegalArgumentException("cannot build the TLS server context: " + e.getMessage(), e);
        }
    }

    /** The context of connections to peers. */
    SslContext clientContext() {
        try {
            checkKeys();
            SslContextBuilder b = SslContextBuilder.forClient();
            b = source.keys() != null ? b.keyManager(source.keys())
                    : b.keyManager(source.certificateChain().toFile(), source.privateKey().toFile());
            b = source.trust() != null ? b.trustManager(source.trust()) : b.trustManager(source.trusted().toFile());
            return b.endpointIdentificationAlgorithm(null)           // node ids are checked, not host names
                    .protocols(protocols)
                    .build();
        } catch (SSLException | RuntimeException e) {
            throw new IllegalArgumentException("cannot build the TLS client context: " + e.getMessage(), e);
        }
    }
}
