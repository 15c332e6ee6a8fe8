package io.herald.server.auth;

import static io.herald.server.TestClients.channel;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import com.sun.net.httpserver.HttpServer;
import io.herald.server.HeraldServer;
import io.herald.server.LeakDetection;
import io.herald.server.Main;
import io.herald.server.ServerConfig;
import io.herald.server.TestClients;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Public-key tokens over real sockets: a JWKS server on loopback (the JDK's HttpServer) that
 * rotates its key while Herald runs, a PEM public key file, algorithms that do not fit the key, and
 * tokens minted by {@code herald token}.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
@ExtendWith(LeakDetection.class)
class KeysIT {
  @TempDir Path dir;

  static String sign(JWSAlgorithm alg, String kid, JWSSigner signer) {
    try {
      SignedJWT jwt =
          new SignedJWT(
              new JWSHeader.Builder(alg).keyID(kid).build(),
              new JWTClaimsSet.Builder()
                  .subject("7")
                  .expirationTime(Date.from(Instant.now().plusSeconds(300)))
                  .claim("herald", Map.of("subscribe", List.of("chat:*")))
                  .build());
      jwt.sign(signer);
      return jwt.serialize();
    } catch (JOSEException e) {
      throw new IllegalStateException(e);
    }
  }

  static HttpResponse<String> poll(HeraldServer server, String token) {
    return TestClients.send(
        HttpRequest.newBuilder(URI.create(server.baseUrl() + "/channels/" + channel("chat:k")))
            .header("Authorization", "Bearer " + token)
            .build());
  }

  @Test
  void jwksKeysAreCachedAndARotatedKeyIsFetchedWithoutRestart() throws Exception {
    RSAKey k1 = new RSAKeyGenerator(2048).keyID("k1").generate();
    RSAKey k2 = new RSAKeyGenerator(2048).keyID("k2").generate();
    AtomicReference<JWKSet> published = new AtomicReference<>(new JWKSet(k1.toPublicJWK()));
    AtomicInteger fetches = new AtomicInteger();
    HttpServer jwks = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    jwks.createContext(
        "/jwks.json",
        exchange -> {
          fetches.incrementAndGet();
          byte[] body = published.get().toString().getBytes(StandardCharsets.UTF_8);
          exchange.getResponseHeaders().set("Content-Type", "application/json");
          exchange.sendResponseHeaders(200, body.length);
          exchange.getResponseBody().write(body);
          exchange.close();
        });
    jwks.start();
    try (HeraldServer server =
        HeraldServer.start(
            ServerConfig.builder()
                .port(0)
                .authJwksUrl(
                    URI.create("http://127.0.0.1:" + jwks.getAddress().getPort() + "/jwks.json"))
                .build())) {
      String byK1 = sign(JWSAlgorithm.RS256, "k1", new RSASSASigner(k1));
      for (int i = 0; i < 5; i++) {
        assertThat(poll(server, byK1).statusCode()).isEqualTo(200);
      }
      assertThat(fetches.get()).as("keys are cached").isEqualTo(1);

      published.set(new JWKSet(k2.toPublicJWK())); // the issuer rotates its key
      String byK2 = sign(JWSAlgorithm.RS256, "k2", new RSASSASigner(k2));
      await()
          .atMost(Duration.ofSeconds(10))
          .pollInterval(Duration.ofMillis(300))
          .until(() -> poll(server, byK2).statusCode() == 200);
      assertThat(fetches.get()).isGreaterThanOrEqualTo(2);
      await()
          .atMost(Duration.ofSeconds(10))
          .pollInterval(Duration.ofMillis(300))
          .until(() -> poll(server, byK1).statusCode() == 401);

      String hs256 =
          sign(
              JWSAlgorithm.HS256,
              "k2",
              new MACSigner(
                  "a-secret-that-is-at-least-32-bytes-long".getBytes(StandardCharsets.UTF_8)));
      HttpResponse<String> confused = poll(server, hs256);
      assertThat(confused.statusCode()).isEqualTo(401);
      assertThat(confused.body()).contains("does not fit the configured key");
    } finally {
      jwks.stop(0);
    }
  }

  @Test
  void aPemPublicKeyAcceptsItsAlgorithmAndRefusesOthers() throws Exception {
    ECKey ec = new ECKeyGenerator(Curve.P_256).generate();
    Path pem = dir.resolve("key.pem");
    Files.writeString(
        pem,
        "-----BEGIN PUBLIC KEY-----\n"
            + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                .encodeToString(ec.toECPublicKey().getEncoded())
            + "\n-----END PUBLIC KEY-----\n");
    try (HeraldServer server =
        HeraldServer.start(ServerConfig.builder().port(0).authPublicKeyFile(pem).build())) {
      assertThat(poll(server, sign(JWSAlgorithm.ES256, null, new ECDSASigner(ec))).statusCode())
          .isEqualTo(200);
      ECKey other = new ECKeyGenerator(Curve.P_256).generate();
      HttpResponse<String> bad =
          poll(server, sign(JWSAlgorithm.ES256, null, new ECDSASigner(other)));
      assertThat(bad.statusCode()).isEqualTo(401);
      assertThat(bad.body()).contains("bad signature");
      RSAKey rsa = new RSAKeyGenerator(2048).generate();
      HttpResponse<String> rs256 =
          poll(server, sign(JWSAlgorithm.RS256, null, new RSASSASigner(rsa)));
      assertThat(rs256.statusCode()).isEqualTo(401);
      assertThat(rs256.body()).contains("RS256 does not fit the configured key", "ES256");
    }
  }

  @Test
  void aFileThatHoldsNoPublicKeyStopsTheStartNamingIt() throws Exception {
    Path junk = dir.resolve("junk.pem");
    Files.writeString(junk, "not a key");
    ServerConfig config = ServerConfig.builder().port(0).authPublicKeyFile(junk).build();
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> HeraldServer.start(config))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(junk.toString())
        .hasMessageContaining("BEGIN PUBLIC KEY");
  }

  @Test
  void heraldTokenMintsATokenTheServerAccepts() {
    String secret = "the-secret-shared-by-server-and-herald-token";
    StringWriter out = new StringWriter();
    int code =
        Main.commandLine()
            .setOut(new PrintWriter(out, true))
            .execute(
                "token",
                "--sub",
                "42",
                "--subscribe",
                "chat:*",
                "--publish",
                "chat:*",
                "--ttl",
                "1h",
                "--info",
                "{\"name\":\"Ann\"}",
                "--auth-hmac-secret",
                secret);
    assertThat(code).isZero();
    String token = out.toString().trim();
    try (HeraldServer server =
        HeraldServer.start(ServerConfig.builder().port(0).authHmacSecret(secret).build())) {
      assertThat(poll(server, token).statusCode()).isEqualTo(200);
      HttpResponse<String> published =
          TestClients.send(
              HttpRequest.newBuilder(
                      URI.create(server.baseUrl() + "/channels/" + channel("chat:t")))
                  .header("Authorization", "Bearer " + token)
                  .POST(HttpRequest.BodyPublishers.ofString("hi"))
                  .build());
      assertThat(published.statusCode()).isEqualTo(201);
      HttpResponse<String> elsewhere =
          TestClients.send(
              HttpRequest.newBuilder(
                      URI.create(server.baseUrl() + "/channels/" + channel("news:t")))
                  .header("Authorization", "Bearer " + token)
                  .build());
      assertThat(elsewhere.statusCode()).isEqualTo(403);
    }
  }

  @Test
  void heraldServeOnANonLoopbackHostWithoutCredentialsExitsWithStatus2() {
    assertThat(Main.commandLine().execute("serve", "--host", "0.0.0.0", "--port", "0"))
        .isEqualTo(2);
  }

  @Test
  void heraldTokenWithoutASecretExplainsWhereToSetIt() {
    StringWriter err = new StringWriter();
    int code =
        Main.commandLine()
            .setErr(new PrintWriter(err, true))
            .execute("token", "--sub", "42", "--auth-hmac-secret", "");
    assertThat(code).isEqualTo(2);
    assertThat(err.toString()).contains("HERALD_AUTH_HMAC_SECRET");
  }
}
