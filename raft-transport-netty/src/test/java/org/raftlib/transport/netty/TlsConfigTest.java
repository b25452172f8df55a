package org.raftlib.transport.netty;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
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
}
