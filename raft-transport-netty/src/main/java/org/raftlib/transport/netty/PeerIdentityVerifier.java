package org.raftlib.transport.netty;

import java.security.cert.X509Certificate;
import java.util.List;
import org.raftlib.NodeId;

/**
 * Decides whether a peer's TLS certificate may speak for a node id, so that a node holding one member's valid
 * certificate cannot connect as another member. With TLS on, a {@link NettyTransport} asks it about every
 * certificate a peer presents once the TLS handshake succeeded: on an inbound connection about the client's
 * certificate and the node id of the peer's raftlib handshake, on an outbound connection about the server's
 * certificate and the id of the peer dialled. A refusal closes the connection and is counted as
 * {@link NettyTransportMetrics.RejectReason#IDENTITY_MISMATCH}. A peer that presents no certificate (the server
 * context does not require client authentication) is not asked about: mutual TLS is what binds an inbound
 * connection to a node.
 *
 * <p>The default, {@link #standard()}, checks raftlib's convention: the certificate names the node in a
 * subject-alternative-name URI {@code urn:raftlib:node:<id>} ({@link #nodeUri}). Set another with
 * {@link NettyTransport.Builder#peerIdentityVerifier}. Implementations are called on the transport's event-loop
 * threads, concurrently for several connections: they must be thread-safe and must not block; one that throws
 * refuses the connection.
 */
@FunctionalInterface
public interface PeerIdentityVerifier {

    /** The start of the subject-alternative-name URI that names a node in the standard convention. */
    String NODE_URI_PREFIX = "urn:raftlib:node:";

    /**
     * Returns whether {@code chain} may speak for {@code nodeId}.
     *
     * @param nodeId the node the peer claims to be (inbound) or is expected to be (outbound)
     * @param chain the peer's certificates as TLS verified them, the peer's own first; never empty
     * @return true to accept the connection, false to refuse it
     */
    boolean verify(NodeId nodeId, List<X509Certificate> chain);

    /**
     * Returns the standard check: the peer's own certificate carries {@link #nodeUri nodeUri(nodeId)} among its
     * subject-alternative-name URIs. A certificate with no {@code urn:raftlib:} URI at all is accepted instead if its
     * subject has exactly one common name (CN) and that equals the node id, so certificates made by earlier versions
     * of the module README's commands keep working; a certificate that has a node URI is judged by its URIs only, and
     * one that names an admin ({@code urn:raftlib:admin:}) never stands for a node, whatever its CN.
     *
     * @return the standard verifier
     */
    static PeerIdentityVerifier standard() {
        return NodeCertificates.STANDARD;
    }

    /**
     * Returns a verifier that accepts every certificate the TLS handshake accepted: any holder of a certificate the
     * cluster trusts can then connect as any member. Insecure; only for clusters whose certificates cannot name
     * their node and whose trust store admits nothing but cluster members that trust each other fully.
     *
     * @return the verifier that turns the binding of certificates to node ids off
     */
    static PeerIdentityVerifier insecureAcceptAny() {
        return NodeCertificates.ACCEPT_ANY;
    }

    /**
     * Returns the subject-alternative-name URI that names {@code nodeId} in the standard convention:
     * {@code urn:raftlib:node:} followed by the id, with every character other than ASCII letters, digits and
     * {@code - . _ ~} percent-encoded in UTF-8 (so {@code n1} gives {@code urn:raftlib:node:n1}).
     *
     * @param nodeId the node
     * @return the URI, as it is written into a certificate
     * @throws NullPointerException if {@code nodeId} is null
     */
    static String nodeUri(NodeId nodeId) {
        return NODE_URI_PREFIX + NodeCertificates.percentEncode(nodeId.value());
    }
}
