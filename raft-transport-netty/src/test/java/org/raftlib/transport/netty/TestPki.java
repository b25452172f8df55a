package org.raftlib.transport.netty;

import java.io.IOException;
import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.TrustManagerFactory;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * A cluster CA made at test time (never committed) that issues node certificates with chosen subjects and
 * subject alternative names, and the mutual-TLS configuration of a node holding one of them. Public for the tests of
 * raft-admin (through this module's test jar).
 */
public final class TestPki {

    private static final AtomicLong SERIAL = new AtomicLong(1);

    private final KeyPair caKeys;
    private final X509Certificate ca;

    /** A node's key and its certificate, signed by the CA. */
    public record Issued(PrivateKey key, X509Certificate cert) {
    }

    /** Makes a new CA. */
    public TestPki() throws Exception {
        caKeys = newKeyPair();
        X500Name name = new X500Name("CN=raftlib test CA");
        Instant now = Instant.now();
        X509v3CertificateBuilder b = builder(name, name, caKeys, now.minus(Duration.ofDays(1)),
                now.plus(Duration.ofDays(1)));
        b.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
        ca = sign(b);
    }

    /** Returns the CA's certificate. */
    public X509Certificate ca() {
        return ca;
    }

    /**
     * Issues a certificate with subject {@code subject} (for example {@code "CN=n1"}) and the given subject
     * alternative names; none gives a certificate without the extension.
     */
    public Issued issue(String subject, GeneralName... altNames) throws Exception {
        Instant now = Instant.now();
        return issue(subject, now.minus(Duration.ofHours(1)), now.plus(Duration.ofDays(1)), altNames);
    }

    /** Issues a certificate, valid from {@code notBefore} to {@code notAfter}. */
    public Issued issue(String subject, Instant notBefore, Instant notAfter, GeneralName... altNames)
            throws Exception {
        KeyPair keys = newKeyPair();
        X509v3CertificateBuilder b = builder(new X500Name(ca.getSubjectX500Principal().getName()),
                new X500Name(subject), keys, notBefore, notAfter);
        if (altNames.length > 0) {
            b.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(altNames));
        }
        return new Issued(keys.getPrivate(), sign(b));
    }

    /** Issues the standard certificate of node {@code id}: CN and the node URI, plus 127.0.0.1. */
    public Issued node(String id) throws Exception {
        return issue("CN=" + id, uri("urn:raftlib:node:" + id), new GeneralName(GeneralName.iPAddress, "127.0.0.1"));
    }

    /** Returns a subject-alternative-name URI. */
    public static GeneralName uri(String uri) {
        return new GeneralName(GeneralName.uniformResourceIdentifier, uri);
    }

    static GeneralName dns(String name) {
        return new GeneralName(GeneralName.dNSName, name);
    }

    /** Returns the mutual-TLS configuration of a node presenting {@code own} and trusting this CA. */
    public TlsConfig tls(Issued own) throws GeneralSecurityException, IOException {
        char[] password = "test".toCharArray();
        KeyStore keyStore = KeyStore.getInstance("PKCS12");
        keyStore.load(null, null);
        keyStore.setKeyEntry("node", own.key(), password, new X509Certificate[] {own.cert()});
        KeyManagerFactory keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        keys.init(keyStore, password);
        KeyStore trustStore = KeyStore.getInstance("PKCS12");
        trustStore.load(null, null);
        trustStore.setCertificateEntry("ca", ca);
        TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        trust.init(trustStore);
        return TlsConfig.of(keys, trust);
    }

    private static KeyPair newKeyPair() throws GeneralSecurityException {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(256);
        return g.generateKeyPair();
    }

    private static X509v3CertificateBuilder builder(X500Name issuer, X500Name subject, KeyPair keys,
            Instant notBefore, Instant notAfter) throws CertIOException {
        return new JcaX509v3CertificateBuilder(issuer, BigInteger.valueOf(SERIAL.getAndIncrement()),
                Date.from(notBefore), Date.from(notAfter), subject, keys.getPublic());
    }

    private X509Certificate sign(X509v3CertificateBuilder b) throws OperatorCreationException,
            GeneralSecurityException {
        return new JcaX509CertificateConverter().getCertificate(b.build(
                new JcaContentSignerBuilder("SHA256withECDSA").build(caKeys.getPrivate())));
    }
}
