package io.herald.server.h2;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.herald.server.internal.TlsCertificates;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Loading and reloading the PEM pair: what is refused, and what a half-done renewal leaves. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class TlsCertificatesTest {
  @TempDir Path dir;

  @Test
  void aHalfWrittenRenewalKeepsTheCurrentCertificateUntilThePairIsWhole() throws Exception {
    Path cert = dir.resolve("cert.pem");
    Path key = dir.resolve("key.pem");
    TestCertificates.generate(cert, key, "first");
    TlsCertificates tls = TlsCertificates.load(cert, key);
    assertThat(tls.subject()).isEqualTo("CN=first");
    assertThat(tls.reloadIfChanged()).isFalse(); // nothing changed

    Path nextCert = dir.resolve("next-cert.pem");
    Path nextKey = dir.resolve("next-key.pem");
    TestCertificates.generate(nextCert, nextKey, "second");
    Files.copy(nextCert, cert, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    // the certificate is new, the key still the old one: not a pair
    assertThat(tls.reloadIfChanged()).isFalse();
    assertThat(tls.subject()).isEqualTo("CN=first");
    Files.writeString(key, "-----BEGIN PRIVATE KEY-----\nAAAA"); // half written
    assertThat(tls.reloadIfChanged()).isFalse();
    assertThat(tls.subject()).isEqualTo("CN=first");
    Files.copy(nextKey, key, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    assertThat(tls.reloadIfChanged()).isTrue();
    assertThat(tls.subject()).isEqualTo("CN=second");
  }

  @Test
  void aMissingFileOrAKeyOfTheWrongFormIsRefusedWithTheOptionNamed() throws Exception {
    Path cert = dir.resolve("cert.pem");
    Path key = dir.resolve("key.pem");
    TestCertificates.generate(cert, key, "x");
    assertThatThrownBy(() -> TlsCertificates.load(dir.resolve("none.pem"), key))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("--tls-cert-file");
    assertThatThrownBy(() -> TlsCertificates.load(cert, null))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("--tls-key-file");
    Path sec1 = dir.resolve("ec.pem");
    Files.writeString(sec1, "-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----\n");
    assertThatThrownBy(() -> TlsCertificates.load(cert, sec1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("PKCS#8")
        .hasMessageContaining("openssl pkcs8 -topk8");
  }
}
