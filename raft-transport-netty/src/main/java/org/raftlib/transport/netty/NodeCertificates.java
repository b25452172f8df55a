package org.raftlib.transport.netty;

import io.netty.channel.Channel;
import io.netty.handler.ssl.SslHandler;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.security.cert.Certificate;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import javax.naming.NamingEnumeration;
import javax.naming.NamingException;
import javax.naming.directory.Attribute;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.security.auth.x500.X500Principal;
import org.raftlib.NodeId;

/**
 * The standard convention of {@link PeerIdentityVerifier} (a subject-alternative-name URI
 * {@code urn:raftlib:node:<id>}, else a single common name equal to the id), and asking a verifier about the peer of
 * a TLS channel.
 *
 * <p>Stateless and thread-safe.
 */
final class NodeCertificates {

    static final PeerIdentityVerifier STANDARD = NodeCertificates::namesNode;
    static final PeerIdentityVerifier ACCEPT_ANY = (nodeId, chain) -> true;

    private static final String SAN_OID = "2.5.29.17";
    private static final int SAN_URI = 6;           // GeneralName tag of a uniformResourceIdentifier (RFC 5280)
    private static final String UNRESERVED = "-._~";
    private static final char[] HEX = "0123456789ABCDEF".toCharArray();

    private NodeCertificates() {
    }

    /**
     * Asks {@code verifier} whether the peer of {@code ch}'s TLS session may speak for {@code nodeId}.
     *
     * @return null when it may, or when the channel has no TLS or the peer presented no certificate; otherwise why not
     */
    static String mismatch(PeerIdentityVerifier verifier, NodeId nodeId, Channel ch) {
        SslHandler tls = ch.pipeline().get(SslHandler.class);
        if (tls == null) {
            return null;
        }
        List<X509Certificate> chain = peerChain(tls);
        if (chain.isEmpty()) {
            return null;
        }
        try {
            if (verifier.verify(nodeId, chain)) {
                return null;
            }
            return "certificate " + describe(chain.get(0)) + " does not name node " + nodeId;
        } catch (RuntimeException e) {
            return "the peer identity verifier threw on certificate " + describe(chain.get(0)) + " for node " + nodeId
                    + ": " + e;
        }
    }

    private static List<X509Certificate> peerChain(SslHandler tls) {
        Certificate[] presented;
        try {
            presented = tls.engine().getSession().getPeerCertificates();
        } catch (SSLPeerUnverifiedException e) {
            return List.of();                                   // no client authentication: nothing to bind
        }
        List<X509Certificate> chain = new ArrayList<>(presented.length);
        for (Certificate c : presented) {
            if (c instanceof X509Certificate x) {
                chain.add(x);
            }
        }
        return List.copyOf(chain);
    }

    /** The start of every URI of raftlib's certificate conventions: node ({@code node:}), admin ({@code admin:}). */
    private static final String RAFTLIB_URI_PREFIX = "urn:raftlib:";

    /** The standard convention; see {@link PeerIdentityVerifier#standard()}. */
    static boolean namesNode(NodeId nodeId, List<X509Certificate> chain) {
        X509Certificate own = chain.get(0);
        List<String> ids = nodeUriIds(own);
        if (!ids.isEmpty()) {
            return ids.contains(nodeId.value());
        }
        if (!uriSuffixes(own, RAFTLIB_URI_PREFIX).isEmpty()) {
            return false;                      // an admin's certificate (urn:raftlib:admin:) never stands for a node
        }
        List<String> commonNames = commonNames(own);
        return commonNames.size() == 1 && commonNames.get(0).equals(nodeId.value());
    }

    /**
     * Returns the decoded ids of every {@code urn:raftlib:node:} URI of {@code cert}, an undecodable one as "". A
     * subject-alternative-name extension the JDK cannot read (it then reports none) counts as one undecodable URI, so
     * that it cannot make the common name count instead.
     */
    private static List<String> nodeUriIds(X509Certificate cert) {
        List<String> ids = new ArrayList<>();
        for (String suffix : uriSuffixes(cert, PeerIdentityVerifier.NODE_URI_PREFIX)) {
            String id = percentDecode(suffix);
            ids.add(id == null ? "" : id);
        }
        return ids;
    }

    /**
     * Returns what follows {@code prefix} (case-insensitive) in each subject-alternative-name URI of {@code cert}
     * that starts with it; an extension the JDK cannot read counts as one such URI, "".
     */
    private static List<String> uriSuffixes(X509Certificate cert, String prefix) {
        Collection<List<?>> names;
        try {
            names = cert.getSubjectAlternativeNames();
        } catch (CertificateParsingException e) {
            names = null;
        }
        if (names == null) {
            return cert.getExtensionValue(SAN_OID) == null ? List.of() : List.of("");
        }
        List<String> out = new ArrayList<>();
        for (List<?> name : names) {
            if (name.size() >= 2 && Integer.valueOf(SAN_URI).equals(name.get(0)) && name.get(1) instanceof String uri
                    && uri.regionMatches(true, 0, prefix, 0, prefix.length())) {
                out.add(uri.substring(prefix.length()));
            }
        }
        return out;
    }

    private static List<String> commonNames(X509Certificate cert) {
        List<String> out = new ArrayList<>();
        try {
            for (Rdn rdn : new LdapName(cert.getSubjectX500Principal().getName(X500Principal.RFC2253)).getRdns()) {
                Attribute cn = rdn.toAttributes().get("CN");
                if (cn != null) {
                    NamingEnumeration<?> values = cn.getAll();
                    while (values.hasMore()) {
                        out.add(String.valueOf(values.next()));
                    }
                }
            }
        } catch (NamingException e) {
            return List.of();                                   // not an RFC 2253 name: no common name to match
        }
        return out;
    }

    /**
     * Returns why {@code cert} is not valid at {@code now} ("expired at ...", "is not valid before ..."), or empty if
     * it is: a node presenting it starts, but its peers' TLS refuses every connection it makes or accepts.
     */
    static Optional<String> validityProblem(X509Certificate cert, Instant now) {
        Instant notAfter = cert.getNotAfter().toInstant();
        Instant notBefore = cert.getNotBefore().toInstant();
        if (now.isAfter(notAfter)) {
            return Optional.of("expired at " + notAfter);
        }
        if (now.isBefore(notBefore)) {
            return Optional.of("is not valid before " + notBefore + " (is this machine's clock right?)");
        }
        return Optional.empty();
    }

    /** Returns the subject and the subject-alternative-name URIs of {@code cert}, for log lines. */
    static String describe(X509Certificate cert) {
        List<String> uris = new ArrayList<>();
        try {
            Collection<List<?>> names = cert.getSubjectAlternativeNames();
            for (List<?> name : names == null ? List.<List<?>>of() : names) {
                if (name.size() >= 2 && Integer.valueOf(SAN_URI).equals(name.get(0))) {
                    uris.add(String.valueOf(name.get(1)));
                }
            }
        } catch (CertificateParsingException e) {
            uris.add("unreadable: " + e.getMessage());
        }
        return "'" + cert.getSubjectX500Principal().getName() + "' (URIs " + uris + ")";
    }

    /** Percent-encodes every UTF-8 byte of {@code s} except ASCII letters, digits and {@code - . _ ~}. */
    static String percentEncode(String s) {
        StringBuilder out = new StringBuilder(s.length());
        for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
            char c = (char) (b & 0xff);
            if (c < 0x80 && (Character.isLetterOrDigit(c) || UNRESERVED.indexOf(c) >= 0)) {
                out.append(c);
            } else {
                out.append('%').append(HEX[(b >> 4) & 0xf]).append(HEX[b & 0xf]);
            }
        }
        return out.toString();
    }

    /**
     * Decodes {@code %XX} sequences as UTF-8; returns null for a malformed escape, a non-ASCII character (a URI in a
     * certificate is ASCII) or invalid UTF-8.
     */
    static String percentDecode(String s) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c >= 0x80) {
                return null;
            }
            if (c != '%') {
                bytes.write(c);
                continue;
            }
            int hi = i + 2 < s.length() ? Character.digit(s.charAt(i + 1), 16) : -1;
            int lo = hi >= 0 ? Character.digit(s.charAt(i + 2), 16) : -1;
            if (lo < 0) {
                return null;
            }
            bytes.write(hi << 4 | lo);
            i += 2;
        }
        try {
            return StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(bytes.toByteArray())).toString();
        } catch (CharacterCodingException e) {
            return null;
        }
    }
}
