package io.herald.server.internal;

import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.codec.http2.Http2SecurityUtil;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslProvider;
import io.netty.handler.ssl.SupportedCipherSuiteFilter;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The server's TLS certificate and key (PEM files) as a Netty {@link SslContext} with the JDK's TLS
 * provider, offering {@code h2} and {@code http/1.1} by ALPN (RFC 7301), TLS 1.3 and 1.2 with the
 * cipher suites RFC 9113 section 9.2.2 allows. {@link #reloadIfChanged()} reads both files again
 * and, when their bytes changed and they form a valid pair (the key signs what the certificate's
 * public key verifies), swaps the context: connections opened from then on get the new certificate,
 * open ones keep theirs. A pair that does not load (half written, mismatched) leaves the current
 * one in place and is logged once.
 *
 * <p>Thread-safe: {@link #newHandler} reads a volatile; {@link #reloadIfChanged()} is called from
 * one thread at a time (a timer).
 */
public final class TlsCertificates {
  private static final Logger LOG = LoggerFactory.getLogger(TlsCertificates.class);

  private final Path certFile;
  private final Path keyFile;
  private volatile SslContext context;
  private volatile String subject;
  private byte[] certBytes;
  private byte[] keyBytes;
  private String lastFailure;

  private TlsCertificates(Path certFile, Path keyFile) {
    this.certFile = certFile;
    this.keyFile = keyFile;
  }

  /**
   * Loads the pair.
   *
   * @throws IllegalArgumentException when a file cannot be read or the pair is not a valid PEM
   *     certificate chain and matching PKCS#8 private key; the message says which and why
   */
  public static TlsCertificates load(Path certFile, Path keyFile) {
    if (certFile == null || keyFile == null) {
      throw new IllegalArgumentException(
          "TLS needs both --tls-cert-file and --tls-key-file (PEM), got only the "
              + (certFile == null ? "key" : "certificate"));
    }
    TlsCertificates tls = new TlsCertificates(certFile, keyFile);
    byte[] cert = read(certFile, "--tls-cert-file");
    byte[] key = read(keyFile, "--tls-key-file");
    tls.install(cert, key);
    return tls;
  }

  /** A new TLS handler for one connection, with the current certificate. */
  public SslHandler newHandler(ByteBufAllocator alloc) {
    return context.newHandler(alloc);
  }

  /** The subject of the current certificate, for logs and tests. */
  public String subject() {
    return subject;
  }

  /**
   * Reads both files again and installs them when their bytes changed and they load; returns
   * whether a new certificate was installed. Blocks on file reads (two small files). Never throws:
   * a failure is logged (once per distinct failure) and the current certificate stays.
   */
  public synchronized boolean reloadIfChanged() {
    byte[] cert;
    byte[] key;
    try {
      cert = Files.readAllBytes(certFile);
      key = Files.readAllBytes(keyFile);
    } catch (IOException e) {
      failed("cannot read the TLS files: " + e);
      return false;
    }
    if (Arrays.equals(cert, certBytes) && Arrays.equals(key, keyBytes)) {
      return false;
    }
    try {
      install(cert, key);
      lastFailure = null;
      LOG.info("TLS certificate reloaded from {}: {}", certFile, subject);
      return true;
    } catch (IllegalArgumentException e) {
      failed(e.getMessage() + "; still serving " + subject);
      return false;
    }
  }

  private void failed(String message) {
    if (!message.equals(lastFailure)) {
      lastFailure = message;
      LOG.warn("TLS certificate not reloaded: {}", message);
    }
  }

  private synchronized void install(byte[] cert, byte[] key) {
    List<X509Certificate> chain = certificates(cert);
    checkPair(chain.get(0), key);
    try {
      SslContext ctx =
          SslContextBuilder.forServer(new ByteArrayInputStream(cert), new ByteArrayInputStream(key))
              .sslProvider(SslProvider.JDK)
              .protocols("TLSv1.3", "TLSv1.2")
              .ciphers(Http2SecurityUtil.CIPHERS, SupportedCipherSuiteFilter.INSTANCE)
              .applicationProtocolConfig(
                  new ApplicationProtocolConfig(
                      ApplicationProtocolConfig.Protocol.ALPN,
                      ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
                      ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT,
                      ApplicationProtocolNames.HTTP_2,
                      ApplicationProtocolNames.HTTP_1_1))
              .build();
      this.context = ctx;
      this.subject = chain.get(0).getSubjectX500Principal().getName();
      this.certBytes = cert;
      this.keyBytes = key;
    } catch (IOException | RuntimeException e) {
      throw new IllegalArgumentException(
          "the TLS certificate or key cannot be used: " + e.getMessage(), e);
    }
  }

  private static byte[] read(Path file, String option) {
    try {
      return Files.readAllBytes(file);
    } catch (IOException e) {
      throw new IllegalArgumentException(option + " " + file + " cannot be read: " + e, e);
    }
  }

  private List<X509Certificate> certificates(byte[] pem) {
    try {
      List<X509Certificate> chain =
          CertificateFactory.getInstance("X.509")
              .generateCertificates(new ByteArrayInputStream(pem))
              .stream()
              .map(X509Certificate.class::cast)
              .toList();
      if (chain.isEmpty()) {
        throw new IllegalArgumentException(
            "--tls-cert-file " + certFile + " holds no PEM certificate (BEGIN CERTIFICATE)");
      }
      return chain;
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException(
          "--tls-cert-file " + certFile + " is not a PEM certificate chain: " + e.getMessage(), e);
    }
  }

  /**
   * Fails unless {@code keyPem} is a PKCS#8 private key that signs what the certificate's public
   * key verifies (a renewal caught between writing the certificate and the key, say).
   */
  private void checkPair(X509Certificate cert, byte[] keyPem) {
    String text = new String(keyPem, StandardCharsets.US_ASCII);
    int begin = text.indexOf("-----BEGIN PRIVATE KEY-----");
    int end = text.indexOf("-----END PRIVATE KEY-----");
    if (begin < 0 || end < begin) {
      throw new IllegalArgumentException(
          "--tls-key-file "
              + keyFile
              + " is not a PEM PKCS#8 private key (BEGIN PRIVATE KEY); convert one with: openssl"
              + " pkcs8 -topk8 -nocrypt -in OLD.pem -out key.pem");
    }
    PublicKey pub = cert.getPublicKey();
    String algorithm =
        switch (pub.getAlgorithm()) {
          case "RSA" -> "SHA256withRSA";
          case "EC" -> "SHA256withECDSA";
          case "Ed25519", "EdDSA" -> "Ed25519";
          default -> null;
        };
    if (algorithm == null) {
      return; // the TLS engine will tell
    }
    try {
      byte[] der =
          Base64.getMimeDecoder()
              .decode(text.substring(begin + "-----BEGIN PRIVATE KEY-----".length(), end));
      PrivateKey key =
          KeyFactory.getInstance(pub.getAlgorithm()).generatePrivate(new PKCS8EncodedKeySpec(der));
      byte[] probe = new byte[32];
      new SecureRandom().nextBytes(probe);
      Signature sign = Signature.getInstance(algorithm);
      sign.initSign(key);
      sign.update(probe);
      byte[] signature = sign.sign();
      Signature verify = Signature.getInstance(algorithm);
      verify.initVerify(pub);
      verify.update(probe);
      if (!verify.verify(signature)) {
        throw new IllegalArgumentException(
            "--tls-key-file " + keyFile + " is not the key of the certificate in " + certFile);
      }
    } catch (GeneralSecurityException | IllegalArgumentException e) {
      if (e instanceof IllegalArgumentException && e.getMessage().startsWith("--tls-key-file")) {
        throw (IllegalArgumentException) e;
      }
      throw new IllegalArgumentException(
          "--tls-key-file "
              + keyFile
              + " is not a "
              + pub.getAlgorithm()
              + " private key matching the certificate in "
              + certFile
              + ": "
              + e.getMessage(),
          e);
    }
  }
}
