package org.raftlib.transport.netty;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.handler.ssl.util.SelfSignedCertificate;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TlsConfigTest {

    @Test
    void missingPemFileIsRefusedByName(@TempDir Path dir) {
        Path missing = dir.resolve("n1.key");
        assertThatThrownBy(() -> TlsConfig.fromPem(dir, missing, dir))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("n1.key");
    }

    @Test
    void unreadableKeysFailAtTheBuilderWithAClearMessage(@TempDir Path dir) throws Exception {
        Path junk = Files.writeString(dir.resolve("junk.pem"), "not a certificate");
        TlsConfig config = TlsConfig.fromPem(junk, junk, junk);
        assertThatThrownBy(() -> NettyTransport.builder().tls(config))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("TLS server context");
    }

    /**
     * A key in the traditional PKCS#1 format, or encrypted, is refused saying to convert it to unencrypted PKCS#8, and
     * how; an outside probe got only "Neither RSA, DSA nor EC worked".
     */
    @Test
    void aKeyInAnotherPemFormatIsRefusedSayingHowToConvertIt(@TempDir Path dir) throws Exception {
        Path junk = Files.writeString(dir.resolve("junk.pem"), "not a certificate");
        Path pkcs1 = Files.writeString(dir.resolve("pkcs1.pem"),
                "-----BEGIN RSA PRIVATE KEY-----\nMIIBOgIBAAJBAKj34GkxFhD90vcNLYLInFEX6Ppy1tPf9Cnzj4p4WGeKLs1Pt8Qu\n"
                        + "-----END RSA PRIVATE KEY-----\n");
        assertThatThrownBy(() -> NettyTransport.builder().tls(TlsConfig.fromPem(junk, pkcs1, junk)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("traditional (PKCS#1 or SEC 1) format")
                .hasMessageContaining("openssl pkcs8 -topk8 -nocrypt -in " + pkcs1);
        Path encrypted = Files.writeString(dir.resolve("enc.pem"),
                "-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIBOgIBAAJBAKj3\n-----END ENCRYPTED PRIVATE KEY-----\n");
        assertThatThrownBy(() -> NettyTransport.builder().tls(TlsConfig.fromPem(junk, encrypted, junk)))
                .hasMessageContaining("the key is encrypted");
    }

    @Test
    void defaultsAreMutualTls13AndCopiesChangeOnlyWhatTheySay() throws Exception {
        TlsConfig config = new TestPki().tls(new TestPki().node("n1"));
        assertThat(config.requiresClientCertificates()).isTrue();
        assertThat(config.protocols()).containsExactly("TLSv1.3");
        TlsConfig plain = config.withoutClientAuthentication().withProtocols("TLSv1.3", "TLSv1.2");
        assertThat(plain.requiresClientCertificates()).isFalse();
        assertThat(plain.protocols()).containsExactly("TLSv1.3", "TLSv1.2");
        assertThat(config.requiresClientCertificates()).isTrue();
        assertThatThrownBy(config::withProtocols).isInstanceOf(IllegalArgumentException.class);
    }

    // A node given another node's key started, then failed every handshake ("Invalid CertificateVerify signature").

    @Test
    void rsaPemKeyOfAnotherCertificateIsRefusedAtTheBuilder() throws Exception {
        SelfSignedCertificate n2 = new SelfSignedCertificate("n2");
        SelfSignedCertificate n3 = new SelfSignedCertificate("n3");
        try {
            assertThatCode(() -> NettyTransport.builder().tls(TlsConfig.fromPem(n3.certificate().toPath(),
                    n3.privateKey().toPath(), n3.certificate().toPath()))).doesNotThrowAnyException();
            TlsConfig swapped = TlsConfig.fromPem(n3.certificate().toPath(), n2.privateKey().toPath(),
                    n3.certificate().toPath());

            assertThatThrownBy(() -> NettyTransport.builder().tls(swapped)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("the private key " + n2.privateKey())
                    .hasMessageContaining("does not match the certificate " + n3.certificate())
                    .hasMessageContaining("CN=n3").hasMessageContaining("peers would refuse every TLS handshake");
        } finally {
            n2.delete();
            n3.delete();
        }
    }

    @Test
    void ecPemKeyOfAnotherCertificateIsRefusedAtTheBuilder(@TempDir Path dir) throws Exception {
        TestPki pki = new TestPki();
        TestPki.Issued n2 = pki.node("n2");
        TestPki.Issued n3 = pki.node("n3");
        Path ca = pem(dir.resolve("ca.crt"), "CERTIFICATE", pki.ca().getEncoded());
        Path n3Crt = pem(dir.resolve("n3.crt"), "CERTIFICATE", n3.cert().getEncoded());
        Path n3Key = pem(dir.resolve("n3.key"), "PRIVATE KEY", n3.key().getEncoded());
        Path n2Key = pem(dir.resolve("n2.key"), "PRIVATE KEY", n2.key().getEncoded());
        assertThatCode(() -> NettyTransport.builder().tls(TlsConfig.fromPem(n3Crt, n3Key, ca)))
                .doesNotThrowAnyException();

        assertThatThrownBy(() -> NettyTransport.builder().tls(TlsConfig.fromPem(n3Crt, n2Key, ca)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("n2.key does not match")
                .hasMessageContaining("CN=n3");
    }

    @Test
    void rsaKeyForAnEcCertificateIsRefusedAtTheBuilder(@TempDir Path dir) throws Exception {
        TestPki pki = new TestPki();
        SelfSignedCertificate rsa = new SelfSignedCertificate("n2");
        try {
            Path n3Crt = pem(dir.resolve("n3.crt"), "CERTIFICATE", pki.node("n3").cert().getEncoded());
            Path ca = pem(dir.resolve("ca.crt"), "CERTIFICATE", pki.ca().getEncoded());

            assertThatThrownBy(() -> NettyTransport.builder().tls(TlsConfig.fromPem(n3Crt, rsa.privateKey().toPath(),
                    ca))).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("does not match")
                    .hasMessageContaining("EC public key").hasMessageContaining("RSA private key");
        } finally {
            rsa.delete();
        }
    }

    @Test
    void keyManagerEntryWithAKeyOfAnotherCertificateIsRefusedAtTheBuilder() throws Exception {
        TestPki pki = new TestPki();
        TestPki.Issued n2 = pki.node("n2");
        TestPki.Issued n3 = pki.node("n3");
        TlsConfig swapped = pki.tls(new TestPki.Issued(n2.key(), n3.cert()));

        assertThatThrownBy(() -> NettyTransport.builder().tls(swapped)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("does not match its certificate").hasMessageContaining("CN=n3");
    }

    private static Path pem(Path file, String type, byte[] der) throws Exception {
        String base64 = Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der);
        return Files.writeString(file, "-----BEGIN " + type + "-----\n" + base64 + "\n-----END " + type + "-----\n",
                StandardCharsets.US_ASCII);
    }
}
