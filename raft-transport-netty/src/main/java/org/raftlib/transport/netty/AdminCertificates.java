package org.raftlib.transport.netty;

import io.netty.channel.Channel;
import io.netty.handler.ssl.SslHandler;
import java.security.cert.Certificate;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import javax.net.ssl.SSLPeerUnverifiedException;

/**
 * The admin identity of a TLS client: its certificate must carry a subject-alternative-name URI
 * {@code urn:raftlib:admin:<name>} and no {@code urn:raftlib:node:} URI, so that a node's certificate never counts
 * as an admin's (there is no common-name fallback), and the name must be allowed.
 *
 * <p>Stateless and thread-safe.
 */
final class AdminCertificates {

    /** The start of the subject-alternative-name URI that names an admin. */
    static final String ADMIN_URI_PREFIX = "urn:raftlib:admin:";

    private static final int SAN_URI = 6;           // GeneralName tag of a uniformResourceIdentifier (RFC 5280)

    /** The outcome: the admin's name, or why the certificate is refused. */
    record Verdict(String admin, String refusal) {
    }

    private AdminCertificates() {
    }

    /** Judges the client certificate of {@code ch}'s TLS session. */
    static Verdict check(Channel ch, Set<String> allowed) {
        SslHandler tls = ch.pipeline().get(SslHandler.class);
        Certificate[] chain;
        try {
            chain = tls == null ? new Certificate[0] : tls.engine().getSession().getPeerCertificates();
        } catch (SSLPeerUnverifiedException e) {
            chain = new Certificate[0];
        }
        if (chain.length == 0 || !(chain[0] instanceof X509Certificate own)) {
            return new Verdict(null, "no client certificate");
        }
        return check(own, allowed);
    }

    /** Judges {@code cert}: see the class comment. */
    static Verdict check(X509Certificate cert, Set<String> allowed) {
        List<String> admins = new ArrayList<>();
        boolean node = false;
        Collection<List<?>> names;
        try {
            names = cert.getSubjectAlternativeNames();
        } catch (CertificateParsingException e) {
            return new Verdict(null, "unreadable subject alternative names: " + e.getMessage());
        }
        for (List<?> name : names == null ? List.<List<?>>of() : names) {
            if (name.size() < 2 || !Integer.valueOf(SAN_URI).equals(name.get(0))
                    || !(name.get(1) instanceof String uri)) {
                continue;
            }
            if (uri.regionMatches(true, 0, ADMIN_URI_PREFIX, 0, ADMIN_URI_PREFIX.length())) {
                String admin = NodeCertificates.percentDecode(uri.substring(ADMIN_URI_PREFIX.length()));
                if (admin != null && !admin.isBlank()) {
                    admins.add(admin);
                }
            }
            node |= uri.regionMatches(true, 0, PeerIdentityVerifier.NODE_URI_PREFIX, 0,
                    PeerIdentityVerifier.NODE_URI_PREFIX.length());
        }
        String who = NodeCertificates.describe(cert);
        if (node) {
            return new Verdict(null, "certificate " + who + " is a node certificate, not an admin certificate");
        }
        if (admins.isEmpty()) {
            return new Verdict(null, "certificate " + who + " has no " + ADMIN_URI_PREFIX + "<name> URI");
        }
        for (String a : admins) {
            if (allowed.isEmpty() || allowed.contains(a)) {
                return new Verdict(a, null);
            }
        }
        return new Verdict(null, "admin " + admins + " of certificate " + who + " is not allowed");
    }
}
