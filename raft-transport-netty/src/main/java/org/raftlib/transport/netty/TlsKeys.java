package org.raftlib.transport.netty;

import io.netty.handler.ssl.SslContext;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.InvalidKeyException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.SignatureException;
import java.security.cert.X509Certificate;
import java.security.spec.InvalidKeySpecException;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.X509KeyManager;

/**
 * Checks, when a TLS context is built, that this node's private key belongs to its certificate: it signs a few bytes
 * with the key and verifies them with the certificate's public key. A node whose key and certificate do not match
 * starts, but then fails every TLS handshake (its peers log "Invalid CertificateVerify signature").
 *
 * <p>Knows certificates with RSA, EC, EdDSA and DSA keys; others are left to the handshake. Stateless and thread-safe.
 */
final class TlsKeys {

    private static final byte[] PROBE = "raftlib: does this key sign for this certificate?"
            .getBytes(StandardCharsets.US_ASCII);
    /** The key types asked of a key manager for its entries; others' entries are not checked. */
    private static final List<String> KEY_TYPES = List.of("RSA", "EC", "EdDSA", "Ed25519", "Ed448", "DSA");

    private TlsKeys() {
    }

    /**
     * Checks the key and certificate of PEM files, read as the TLS context reads them.
     *
     * @throws IllegalArgumentException if a file holds no key or certificate, or the key is not the certificate's
     */
    static void checkPem(Path certificateChain, Path privateKey) {
        X509Certificate[] chain;
        PrivateKey key;
        try {
            chain = Pem.certificates(certificateChain.toFile());
            key = Pem.privateKey(privateKey.toFile());
        } catch (GeneralSecurityException | IOException | RuntimeException e) {
            throw new IllegalArgumentException("cannot read the key " + privateKey + " or the certificate "
                    + certificateChain + ": " + e + keyFormatAdvice(privateKey), e);
        }
        if (chain.length == 0) {
            throw new IllegalArgumentException("no certificate in " + certificateChain);
        }
        check(key, chain[0], "the private key " + privateKey + " does not match the certificate " + certificateChain);
    }

    /**
     * Says what to do with a key file in a PEM format other than unencrypted PKCS#8 (which is what is read), or "" if
     * it is not one of those (an outside probe got only "Neither RSA, DSA nor EC worked" for a PKCS#1 key).
     */
    static String keyFormatAdvice(Path privateKey) {
        String text;
        try {
            text = Files.readString(privateKey, StandardCharsets.US_ASCII);
        } catch (IOException | RuntimeException e) {
            return "";
        }
        String convert = ": convert it with openssl pkcs8 -topk8 -nocrypt -in " + privateKey + " -out <new file>";
        if (text.contains("BEGIN RSA PRIVATE KEY") || text.contains("BEGIN EC PRIVATE KEY")
                || text.contains("BEGIN DSA PRIVATE KEY")) {
            return "; the key is in the traditional (PKCS#1 or SEC 1) format, and raftlib reads unencrypted PKCS#8"
                    + " (-----BEGIN PRIVATE KEY-----)" + convert;
        }
        if (text.contains("BEGIN ENCRYPTED PRIVATE KEY")) {
            return "; the key is encrypted, and raftlib reads unencrypted PKCS#8 keys" + convert
                    + " (or pass a KeyManagerFactory)";
        }
        return "";
    }

    /**
     * Checks every entry of {@code keys} that has a key of a type this class knows and a certificate.
     *
     * @throws IllegalArgumentException if an entry's key is not its certificate's
     */
    static void checkKeyManagers(KeyManagerFactory keys) {
        for (KeyManager manager : keys.getKeyManagers()) {
            if (manager instanceof X509KeyManager x) {
                for (String alias : aliases(x)) {
                    X509Certificate[] chain = x.getCertificateChain(alias);
                    PrivateKey key = x.getPrivateKey(alias);
                    if (key != null && chain != null && chain.length > 0) {
                        check(key, chain[0], "the private key of key entry '" + alias
                                + "' does not match its certificate");
                    }
                }
            }
        }
    }

    /**
     * Returns this side's own certificates (the first of each chain): of the PEM file, or of every key entry of
     * {@code keys}; empty if they cannot be read (the TLS context reports that).
     */
    static List<X509Certificate> own(Path certificateChain, KeyManagerFactory keys) {
        List<X509Certificate> out = new ArrayList<>();
        try {
            if (keys == null) {
                X509Certificate[] chain = Pem.certificates(certificateChain.toFile());
                if (chain.length > 0) {
                    out.add(chain[0]);
                }
                return out;
            }
            for (KeyManager manager : keys.getKeyManagers()) {
                if (manager instanceof X509KeyManager x) {
                    for (String alias : aliases(x)) {
                        X509Certificate[] chain = x.getCertificateChain(alias);
                        if (chain != null && chain.length > 0) {
                            out.add(chain[0]);
                        }
                    }
                }
            }
        } catch (GeneralSecurityException | RuntimeException e) {
            return List.of();
        }
        return out;
    }

    private static Set<String> aliases(X509KeyManager manager) {
        Set<String> aliases = new LinkedHashSet<>();
        for (String type : KEY_TYPES) {
            for (String[] found : List.of(nonNull(manager.getServerAliases(type, null)),
                    nonNull(manager.getClientAliases(type, null)))) {
                aliases.addAll(List.of(found));
            }
        }
        return aliases;
    }

    private static String[] nonNull(String[] aliases) {
        return aliases == null ? new String[0] : aliases;
    }

    /**
     * Signs {@link #PROBE} with {@code key} and verifies the signature with {@code cert}'s public key.
     *
     * @throws IllegalArgumentException with {@code mismatch} and the certificate's subject if they do not match
     */
    static void check(PrivateKey key, X509Certificate cert, String mismatch) {
        PublicKey publicKey = cert.getPublicKey();
        String algorithm = signatureAlgorithm(publicKey.getAlgorithm());
        if (algorithm == null) {
            return;                                             // a key type not known here: the handshake tells
        }
        boolean matches;
        try {
            PrivateKey own = asJdkKey(key, publicKey.getAlgorithm());
            Signature signer = Signature.getInstance(algorithm);
            signer.initSign(own);
            signer.update(PROBE);
            Signature verifier = Signature.getInstance(algorithm);
            verifier.initVerify(publicKey);
            verifier.update(PROBE);
            matches = verifier.verify(signer.sign());
        } catch (InvalidKeySpecException | InvalidKeyException | SignatureException e) {
            matches = false;                 // a key of another type or size: its signature does not even parse
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("cannot check the private key (" + key.getAlgorithm() + ") against "
                    + "the certificate '" + cert.getSubjectX500Principal().getName() + "': " + e, e);
        }
        if (!matches) {
            throw new IllegalArgumentException(mismatch + " (certificate '" + cert.getSubjectX500Principal().getName()
                    + "', " + publicKey.getAlgorithm() + " public key; the " + key.getAlgorithm()
                    + " private key is not its pair): peers would refuse every TLS handshake");
        }
    }

    /**
     * Returns {@code key} as the JDK's provider reads its PKCS#8 encoding for {@code algorithm} (PEM files may be read
     * with BouncyCastle, whose EC keys the JDK's signatures refuse); a key that does not export its encoding, as in a
     * hardware token, as it is.
     *
     * @throws InvalidKeySpecException if the key is not an {@code algorithm} key
     */
    private static PrivateKey asJdkKey(PrivateKey key, String algorithm) throws GeneralSecurityException {
        byte[] encoded = key.getEncoded();
        if (encoded == null || !"PKCS#8".equalsIgnoreCase(key.getFormat())) {
            return key;
        }
        return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(encoded));
    }

    private static String signatureAlgorithm(String keyAlgorithm) {
        return switch (keyAlgorithm) {
            case "RSA" -> "SHA256withRSA";
            case "EC" -> "SHA256withECDSA";
            case "EdDSA", "Ed25519", "Ed448" -> keyAlgorithm;
            case "DSA" -> "SHA256withDSA";
            default -> null;
        };
    }

    /** Netty's own PEM readers, protected members of {@link SslContext}: the check reads what the context reads. */
    private abstract static class Pem extends SslContext {

        static X509Certificate[] certificates(File file) throws GeneralSecurityException {
            return toX509Certificates(file);
        }

        static PrivateKey privateKey(File file) throws GeneralSecurityException, IOException {
            return toPrivateKey(file, null);
        }
    }
}
