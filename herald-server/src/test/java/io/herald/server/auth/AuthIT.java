package io.herald.server.auth;

import static io.herald.server.TestClients.channel;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.PlainJWT;
import com.nimbusds.jwt.SignedJWT;
import io.herald.server.HeraldServer;
import io.herald.server.LeakDetection;
import io.herald.server.ServerConfig;
import io.herald.server.TestClients;
import io.herald.server.auth.NamespacePolicy.PublishAccess;
import io.herald.server.auth.NamespacePolicy.SubscribeAccess;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * PROTOCOL.md section 10 over real sockets: every credential case on every subscribe transport and
 * both publish paths, live expiry and refresh on WebSocket and SSE, origins, and the always-public
 * endpoints. The server takes HS256 tokens with an issuer and an audience, one API key, a public
 * namespace {@code open}, a read-public namespace {@code news} that only API keys publish to, and
 * every other namespace needs a token.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
@ExtendWith(LeakDetection.class)
class AuthIT {
  static final String SECRET = "an-hmac-secret-of-at-least-32-bytes-for-tests";
  static final String API_KEY = "backend-key-0123456789";
  static final String ISSUER = "https://issuer.test";
  static final String AUDIENCE = "herald-test";
  static HeraldServer server;
  static String base;
  static String host;

  @BeforeAll
  static void start() {
    server =
        HeraldServer.start(
            ServerConfig.builder()
                .port(0)
                .authHmacSecret(SECRET)
                .authIssuer(ISSUER)
                .authAudience(AUDIENCE)
                .authClockSkew(Duration.ZERO)
                .apiKeys(List.of(API_KEY))
                .allowedOrigins(List.of("https://app.example"))
                .namespaces(
                    List.of(
                        NamespacePolicy.of("open", SubscribeAccess.PUBLIC, PublishAccess.PUBLIC),
                        NamespacePolicy.of("news", SubscribeAccess.PUBLIC, PublishAccess.API)))
                .build());
    base = server.baseUrl();
    host = base.substring("http://".length());
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  // ---- tokens ----

  static JWTClaimsSet.Builder claims(Instant exp, String... grants) {
    return new JWTClaimsSet.Builder()
        .subject("42")
        .issuer(ISSUER)
        .audience(AUDIENCE)
        .expirationTime(Date.from(exp))
        .claim("herald", Map.of("subscribe", List.of(grants), "publish", List.of(grants)));
  }

  static String hs256(String secret, JWTClaimsSet claims) {
    try {
      SignedJWT jwt = new SignedJWT(new JWSHeader(JWSAlgorithm.HS256), claims);
      jwt.sign(new MACSigner(secret.getBytes(StandardCharsets.UTF_8)));
      return jwt.serialize();
    } catch (JOSEException e) {
      throw new IllegalStateException(e);
    }
  }

  static String token(Duration ttl, String... grants) {
    return new TokenMinter(SECRET, ISSUER, AUDIENCE, Clock.systemUTC())
        .mint("42", List.of(grants), List.of(grants), ttl, Map.of("name", "Ann"));
  }

  /** The credential cases of the issue, each with what it must get on a {@code chat:} channel. */
  enum Cred {
    NONE("unauthorized"),
    BAD_SIGNATURE("unauthorized"),
    ALG_NONE("unauthorized"),
    EXPIRED("token_expired"),
    NOT_YET_VALID("unauthorized"),
    WRONG_AUDIENCE("unauthorized"),
    WITHOUT_CHANNEL("forbidden"),
    WITH_CHANNEL("ok"),
    API_KEY("ok"),
    PUBLIC_NAMESPACE("ok");

    final String expected;

    Cred(String expected) {
      this.expected = expected;
    }

    String credToken() {
      Instant now = Instant.now();
      return switch (this) {
        case NONE, API_KEY, PUBLIC_NAMESPACE -> null;
        case BAD_SIGNATURE ->
            hs256(
                "another-secret-of-at-least-32-bytes-long!",
                claims(now.plusSeconds(60), "chat:*").build());
        case ALG_NONE -> new PlainJWT(claims(now.plusSeconds(60), "chat:*").build()).serialize();
        case EXPIRED ->
            new TokenMinter(
                    SECRET, ISSUER, AUDIENCE, Clock.fixed(now.minusSeconds(120), ZoneOffset.UTC))
                .mint("42", List.of("chat:*"), List.of("chat:*"), Duration.ofSeconds(60), null);
        case NOT_YET_VALID ->
            hs256(
                SECRET,
                claims(now.plusSeconds(600), "chat:*")
                    .notBeforeTime(Date.from(now.plusSeconds(300)))
                    .build());
        case WRONG_AUDIENCE ->
            hs256(SECRET, claims(now.plusSeconds(60), "chat:*").audience("someone-else").build());
        case WITHOUT_CHANNEL -> token(Duration.ofMinutes(5), "other:*");
        case WITH_CHANNEL -> token(Duration.ofMinutes(5), "chat:*");
      };
    }

    String freshChannel() {
      return this == PUBLIC_NAMESPACE ? channel("open:c") : channel("chat:c");
    }
  }

  enum Sub {
    SSE,
    LONG_POLL,
    SHORT_POLL,
    WS_URL,
    WS_COMMAND
  }

  static List<Arguments> subscribeCases() {
    List<Arguments> out = new java.util.ArrayList<>();
    for (Sub t : Sub.values()) {
      for (Cred c : Cred.values()) {
        out.add(Arguments.of(t, c));
      }
    }
    return out;
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("subscribeCases")
  void everySubscribeTransportHonoursEveryCredentialCase(Sub transport, Cred cred) {
    assertThat(subscribe(transport, cred, cred.freshChannel())).isEqualTo(cred.expected);
  }

  static List<Arguments> publishCases() {
    List<Arguments> out = new java.util.ArrayList<>();
    for (String t : List.of("HTTP", "WS")) {
      for (Cred c : Cred.values()) {
        out.add(Arguments.of(t, c));
      }
    }
    return out;
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("publishCases")
  void everyPublishPathHonoursEveryCredentialCase(String transport, Cred cred) {
    String ch = cred.freshChannel();
    String result =
        transport.equals("HTTP")
            ? httpPublish(ch, cred.credToken(), cred == Cred.API_KEY ? API_KEY : null).code
            : wsPublish(ch, cred);
    assertThat(result).isEqualTo(cred.expected);
  }

  /** What a subscription with {@code cred} gets: "ok" or the error code. */
  static String subscribe(Sub transport, Cred cred, String ch) {
    String token = cred.credToken();
    String apiKey = cred == Cred.API_KEY ? API_KEY : null;
    switch (transport) {
      case SSE -> {
        // EventSource cannot set headers: the token travels in the query
        String url = base + "/channels/" + ch + (token == null ? "" : "?token=" + enc(token));
        HttpRequest.Builder b =
            HttpRequest.newBuilder(URI.create(url)).header("Accept", "text/event-stream");
        if (apiKey != null) {
          b.header("X-Api-Key", apiKey);
        }
        try {
          HttpResponse<InputStream> r =
              TestClients.HTTP.send(b.build(), HttpResponse.BodyHandlers.ofInputStream());
          try (InputStream in = r.body()) {
            if (r.statusCode() == 200) {
              return "ok";
            }
            checkChallenge(r.statusCode(), r.headers().firstValue("WWW-Authenticate"));
            return TestClients.json(new String(in.readAllBytes(), StandardCharsets.UTF_8))
                .at("/error/code")
                .asText();
          }
        } catch (IOException | InterruptedException e) {
          throw new IllegalStateException(e);
        }
      }
      case LONG_POLL, SHORT_POLL -> {
        Result r =
            httpGet(
                base + "/channels/" + ch + (transport == Sub.LONG_POLL ? "?wait=1" : ""),
                token,
                apiKey);
        return r.code;
      }
      case WS_URL -> {
        String url =
            base.replace("http", "ws")
                + "/channels/"
                + ch
                + (token == null ? "" : "?token=" + enc(token));
        try (AuthClients.Socket s =
            apiKey == null ? AuthClients.open(url) : AuthClients.open(url, "X-Api-Key", apiKey)) {
          JsonNode first = s.next();
          assertThat(first.get("type").asText()).isEqualTo("subscribed");
          return "ok";
        } catch (AuthClients.Refused e) {
          if (e.status == 401) {
            assertThat(e.challenge).startsWith("Bearer");
            return e.challenge.contains("expired") ? "token_expired" : "unauthorized";
          }
          return e.status == 403 ? "forbidden" : "status " + e.status;
        }
      }
      case WS_COMMAND -> {
        try (AuthClients.Socket s = ws(cred)) {
          String refused = connect(s, token);
          if (refused != null) {
            return refused;
          }
          s.send("{\"type\":\"subscribe\",\"id\":2,\"channel\":\"" + ch + "\"}");
          JsonNode r = s.nextReply();
          return r.get("type").asText().equals("subscribed") ? "ok" : r.at("/error/code").asText();
        }
      }
      default -> throw new IllegalArgumentException();
    }
  }

  static AuthClients.Socket ws(Cred cred) {
    String url = base.replace("http", "ws") + "/ws";
    return cred == Cred.API_KEY
        ? AuthClients.open(url, "X-Api-Key", API_KEY)
        : AuthClients.open(url);
  }

  /** Sends {@code connect} when there is a token; the error code when refused, else null. */
  static String connect(AuthClients.Socket s, String token) {
    if (token == null) {
      return null;
    }
    s.send("{\"type\":\"connect\",\"id\":1,\"token\":\"" + token + "\"}");
    JsonNode r = s.nextReply();
    assertThat(r.get("id").asInt()).isEqualTo(1);
    if (r.get("type").asText().equals("error")) {
      return r.at("/error/code").asText();
    }
    assertThat(r.get("type").asText()).isEqualTo("connected");
    assertThat(r.get("user").asText()).isEqualTo("42");
    assertThat(r.get("expires").asLong()).isGreaterThan(System.currentTimeMillis());
    return null;
  }

  static String wsPublish(String ch, Cred cred) {
    try (AuthClients.Socket s = ws(cred)) {
      String refused = connect(s, cred.credToken());
      if (refused != null) {
        return refused;
      }
      s.send("{\"type\":\"publish\",\"id\":3,\"channel\":\"" + ch + "\",\"data\":{\"n\":1}}");
      JsonNode r = s.nextReply();
      return r.get("type").asText().equals("published") ? "ok" : r.at("/error/code").asText();
    }
  }

  record Result(int status, String code, HttpResponse<String> response) {}

  static Result httpGet(String url, String token, String apiKey, String... headers) {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30));
    return result(authorize(b, token, apiKey, headers).GET().build());
  }

  static Result httpPublish(String ch, String token, String apiKey, String... headers) {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(base + "/channels/" + ch))
            .timeout(Duration.ofSeconds(30))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString("{\"n\":1}"));
    return result(authorize(b, token, apiKey, headers).build());
  }

  static HttpRequest.Builder authorize(
      HttpRequest.Builder b, String token, String apiKey, String... headers) {
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    if (apiKey != null) {
      b.header("X-Api-Key", apiKey);
    }
    if (headers.length > 0) {
      b.headers(headers);
    }
    return b;
  }

  static Result result(HttpRequest request) {
    HttpResponse<String> r = TestClients.send(request);
    if (r.statusCode() / 100 == 2) {
      return new Result(r.statusCode(), "ok", r);
    }
    checkChallenge(r.statusCode(), r.headers().firstValue("WWW-Authenticate"));
    return new Result(r.statusCode(), TestClients.json(r.body()).at("/error/code").asText(), r);
  }

  /** Every 401 carries a Bearer challenge (RFC 6750). */
  static void checkChallenge(int status, java.util.Optional<String> challenge) {
    if (status == 401) {
      assertThat(challenge)
          .as("WWW-Authenticate of a 401")
          .hasValueSatisfying(c -> assertThat(c).startsWith("Bearer realm=\"herald\""));
    }
  }

  static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

  // ---- messages say which check failed ----

  @Test
  void eachRefusalSaysWhichCheckFailed() {
    String ch = channel("chat:why");
    assertThat(httpGet(base + "/channels/" + ch, Cred.ALG_NONE.credToken(), null).response.body())
        .contains("alg: none");
    assertThat(
            httpGet(base + "/channels/" + ch, Cred.BAD_SIGNATURE.credToken(), null).response.body())
        .contains("bad signature");
    assertThat(httpGet(base + "/channels/" + ch, Cred.EXPIRED.credToken(), null).response.body())
        .contains("expired");
    assertThat(
            httpGet(base + "/channels/" + ch, Cred.NOT_YET_VALID.credToken(), null).response.body())
        .contains("not valid before");
    assertThat(
            httpGet(base + "/channels/" + ch, Cred.WRONG_AUDIENCE.credToken(), null)
                .response
                .body())
        .contains("audience");
    String wrongIssuer =
        hs256(
            SECRET, claims(Instant.now().plusSeconds(60), "chat:*").issuer("https://evil").build());
    assertThat(httpGet(base + "/channels/" + ch, wrongIssuer, null).response.body())
        .contains("issuer");
    String hs512 = signed(JWSAlgorithm.HS512, SECRET + SECRET);
    Result r = httpGet(base + "/channels/" + ch, hs512, null);
    assertThat(r.status).isEqualTo(401);
    assertThat(r.response.body()).contains("does not fit the configured key");
    assertThat(httpGet(base + "/channels/" + ch, null, "not-the-key-0123456789").response.body())
        .contains("X-Api-Key");
  }

  static String signed(JWSAlgorithm alg, String secret) {
    try {
      SignedJWT jwt =
          new SignedJWT(
              new JWSHeader(alg), claims(Instant.now().plusSeconds(60), "chat:*").build());
      jwt.sign(new MACSigner(secret.getBytes(StandardCharsets.UTF_8)));
      return jwt.serialize();
    } catch (JOSEException e) {
      throw new IllegalStateException(e);
    }
  }

  @Test
  void claimsQuotedInARefusalCannotInjectHeaders() {
    String token =
        hs256(
            SECRET,
            claims(Instant.now().plusSeconds(60), "chat:*")
                .issuer("evil\r\nX-Injected: yes \"\\ \u00e9")
                .build());
    Result r = httpGet(base + "/channels/" + channel("chat:inj"), token, null);
    assertThat(r.status).isEqualTo(401);
    assertThat(r.response.headers().firstValue("X-Injected")).isEmpty();
    assertThat(r.response.headers().firstValue("WWW-Authenticate").orElseThrow())
        .contains("error=\"invalid_token\"", "evil??X-Injected: yes '/ ?");
  }

  @Test
  void aMultiChannelSubscriptionNamingOneForbiddenChannelIsRefusedWholeNamingIt() {
    String allowed = channel("chat:a");
    String forbidden = channel("secret:b");
    String token = token(Duration.ofMinutes(5), "chat:*");
    Result r = httpGet(base + "/channels/" + allowed + "," + forbidden, token, null);
    assertThat(r.status).isEqualTo(403);
    assertThat(r.code).isEqualTo("forbidden");
    assertThat(r.response.body()).contains(forbidden);
    assertThat(r.response.headers().firstValue("WWW-Authenticate"))
        .hasValueSatisfying(c -> assertThat(c).contains("insufficient_scope"));
  }

  @Test
  void anApiKeyInTheQueryStringIsRefused() {
    Result r = httpGet(base + "/channels/" + channel("chat:q") + "?api_key=" + API_KEY, null, null);
    assertThat(r.status).isEqualTo(400);
    assertThat(r.response.body()).contains("X-Api-Key");
  }

  @Test
  void aPublicReadNamespaceTakesPublicationsFromApiKeysOnly() {
    String ch = channel("news:n");
    assertThat(httpGet(base + "/channels/" + ch, null, null).code).isEqualTo("ok");
    assertThat(httpPublish(ch, null, null).code).isEqualTo("unauthorized");
    assertThat(httpPublish(ch, token(Duration.ofMinutes(1), "news:*"), null).code)
        .isEqualTo("forbidden");
    assertThat(httpPublish(ch, null, API_KEY).code).isEqualTo("ok");
  }

  @Test
  void healthHeraldJsAndDemoPagesStayPublic() {
    assertThat(TestClients.get(base + "/health").statusCode()).isEqualTo(200);
    assertThat(TestClients.get(base + "/herald.js").statusCode()).isEqualTo(200);
    assertThat(TestClients.get(base + "/").statusCode()).isEqualTo(200);
  }

  // ---- live expiry ----

  @Test
  void aWebSocketRefreshKeepsTheConnectionAlivePastItsFirstTokensExp() {
    String ch = channel("chat:refresh");
    String first = token(Duration.ofSeconds(2), "chat:*");
    try (AuthClients.Socket s = AuthClients.open(base.replace("http", "ws") + "/ws")) {
      assertThat(connect(s, first)).isNull();
      s.send("{\"type\":\"subscribe\",\"id\":2,\"channel\":\"" + ch + "\"}");
      assertThat(s.nextReply().get("type").asText()).isEqualTo("subscribed");
      s.send(
          "{\"type\":\"refresh\",\"id\":5,\"token\":\""
              + token(Duration.ofMinutes(5), "chat:*")
              + "\"}");
      JsonNode refreshed = s.nextReply();
      assertThat(refreshed.get("type").asText()).isEqualTo("refreshed");
      assertThat(refreshed.get("id").asInt()).isEqualTo(5);
      long firstExp = System.currentTimeMillis() + 2000;
      assertThat(refreshed.get("expires").asLong()).isGreaterThan(firstExp + 60_000);
      await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> System.currentTimeMillis() > firstExp + 1500);
      assertThat(s.closed).isNotDone();
      httpPublish(ch, null, API_KEY);
      JsonNode m = s.next();
      assertThat(m.get("type").asText()).isEqualTo("message");
      assertThat(m.get("channel").asText()).isEqualTo(ch);
    }
  }

  @Test
  void aWebSocketWhoseTokenExpiresUnrefreshedIsClosedWith4001() {
    String ch = channel("chat:exp");
    String token = token(Duration.ofSeconds(2), "chat:*");
    try (AuthClients.Socket s =
        AuthClients.open(base.replace("http", "ws") + "/channels/" + ch + "?token=" + enc(token))) {
      assertThat(s.next().get("type").asText()).isEqualTo("subscribed");
      assertThat(s.closeCode()).isEqualTo(4001);
    }
  }

  @Test
  void aWsConnectionThatNeverAuthenticatesIsClosedWith4001() {
    try (AuthClients.Socket s = AuthClients.open(base.replace("http", "ws") + "/ws")) {
      assertThat(s.closeCode()).isEqualTo(4001);
      assertThat(s.closeReason.join()).contains("connect");
    }
  }

  @Test
  void aRefreshWhoseTokenNoLongerGrantsAnOpenSubscriptionClosesWith4003() {
    String ch = channel("chat:narrow");
    try (AuthClients.Socket s = AuthClients.open(base.replace("http", "ws") + "/ws")) {
      assertThat(connect(s, token(Duration.ofMinutes(5), "chat:*"))).isNull();
      s.send("{\"type\":\"subscribe\",\"id\":2,\"channel\":\"" + ch + "\"}");
      assertThat(s.nextReply().get("type").asText()).isEqualTo("subscribed");
      s.send(
          "{\"type\":\"refresh\",\"id\":5,\"token\":\""
              + token(Duration.ofMinutes(5), "other:*")
              + "\"}");
      JsonNode refused = s.nextReply();
      assertThat(refused.at("/error/code").asText()).isEqualTo("forbidden");
      assertThat(refused.at("/error/message").asText()).contains(ch);
      assertThat(s.closeCode()).isEqualTo(4003);
    }
  }

  @Test
  void aParkedLongPollAnswersNoLaterThanItsTokensExp() {
    String ch = channel("chat:lp");
    String token = token(Duration.ofSeconds(2), "chat:*");
    // asks to wait 60 s; the client gives up after 20 s, so only an answer at exp passes
    HttpResponse<String> r =
        TestClients.send(
            HttpRequest.newBuilder(URI.create(base + "/channels/" + ch + "?wait=60"))
                .timeout(Duration.ofSeconds(20))
                .header("Authorization", "Bearer " + token)
                .build());
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(TestClients.json(r.body()).get("messages")).isEmpty();
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> httpGet(base + "/channels/" + ch, token, null).code.equals("token_expired"));
  }

  @Test
  void anSseStreamWhoseTokenExpiresSendsHeraldExpiredAndEnds() {
    String ch = channel("chat:sse");
    String token = token(Duration.ofSeconds(2), "chat:*");
    try (TestClients.Sse sse =
        new TestClients.Sse(base + "/channels/" + ch + "?token=" + enc(token))) {
      assertThat(sse.response.statusCode()).isEqualTo(200);
      assertThat(sse.nextEvent()).contains("herald.subscribed");
      String expired = sse.nextEvent();
      assertThat(expired).contains("event: herald.expired").doesNotContain("id:");
      assertThat(sse.nextEvent())
          .isEqualTo(
              "event: herald.end\n" // a clean end, then the last chunk
                  + "data: {\"reason\":\"expired\",\"retryAfterMillis\":0}");
      assertThat(sse.nextEvent()).isEqualTo("<eof>");
    }
  }

  // ---- origins ----

  @Test
  void originsSameAllowedAndNoneMayUpgradeOthersGet403() {
    String url = base.replace("http", "ws") + "/channels/" + channel("open:o");
    for (String origin : List.of("http://" + host, "https://app.example")) {
      try (AuthClients.Socket s = AuthClients.open(url, "Origin", origin)) {
        assertThat(s.next().get("type").asText()).as(origin).isEqualTo("subscribed");
      }
    }
    try (AuthClients.Socket s = AuthClients.open(url)) {
      assertThat(s.next().get("type").asText()).isEqualTo("subscribed");
    }
    assertThatThrownBy(() -> AuthClients.open(url, "Origin", "http://evil.example"))
        .isInstanceOfSatisfying(
            AuthClients.Refused.class, e -> assertThat(e.status).isEqualTo(403));
    assertThatThrownBy(
            () ->
                AuthClients.open(
                    base.replace("http", "ws") + "/ws", "Origin", "http://evil.example"))
        .isInstanceOfSatisfying(
            AuthClients.Refused.class, e -> assertThat(e.status).isEqualTo(403));
  }

  @Test
  void corsAnswersNameTheAllowedOriginWithVaryAndRefuseOthers() {
    String url = base + "/channels/" + channel("open:cors");
    for (String origin : List.of("http://" + host, "https://app.example")) {
      Result r = httpGet(url, null, null, "Origin", origin);
      assertThat(r.status).isEqualTo(200);
      assertThat(r.response.headers().firstValue("Access-Control-Allow-Origin")).hasValue(origin);
      assertThat(r.response.headers().allValues("Vary")).contains("Origin");
    }
    Result none = httpGet(url, null, null);
    assertThat(none.status).isEqualTo(200);
    assertThat(none.response.headers().firstValue("Access-Control-Allow-Origin")).isEmpty();
    Result evil = httpGet(url, null, null, "Origin", "http://evil.example");
    assertThat(evil.status).isEqualTo(403);
    assertThat(evil.code).isEqualTo("origin_not_allowed");
    assertThat(evil.response.headers().firstValue("Access-Control-Allow-Origin")).isEmpty();
    Result evilPublish =
        httpPublish(channel("open:cors"), null, null, "Origin", "http://evil.example");
    assertThat(evilPublish.code).isEqualTo("origin_not_allowed");
  }

  @Test
  void aTooLargePublicationFromAnAllowedOriginIsAnswered413WithItsCorsHeaders() {
    HttpResponse<String> r =
        TestClients.send(
            HttpRequest.newBuilder(URI.create(base + "/channels/" + channel("open:big")))
                .header("Origin", "https://app.example")
                .header("Content-Type", "text/plain")
                .POST(HttpRequest.BodyPublishers.ofString("x".repeat(70_000)))
                .build());
    assertThat(r.statusCode()).isEqualTo(413);
    assertThat(r.headers().firstValue("Access-Control-Allow-Origin"))
        .hasValue("https://app.example");
  }

  @Test
  void preflightNamesTheOriginAndAllowsTheAuthorizationHeaders() {
    HttpResponse<String> r =
        TestClients.send(
            HttpRequest.newBuilder(URI.create(base + "/channels/" + channel("chat:pre")))
                .method("OPTIONS", HttpRequest.BodyPublishers.noBody())
                .header("Origin", "https://app.example")
                .header("Access-Control-Request-Method", "POST")
                .header("Access-Control-Request-Headers", "authorization, x-api-key")
                .build());
    assertThat(r.statusCode()).isEqualTo(204);
    assertThat(r.headers().firstValue("Access-Control-Allow-Origin"))
        .hasValue("https://app.example");
    assertThat(r.headers().firstValue("Access-Control-Allow-Headers").orElseThrow())
        .contains("Authorization", "X-Api-Key", "Idempotency-Key");
    assertThat(r.headers().allValues("Vary")).contains("Origin");
    HttpResponse<String> evil =
        TestClients.send(
            HttpRequest.newBuilder(URI.create(base + "/channels/" + channel("chat:pre")))
                .method("OPTIONS", HttpRequest.BodyPublishers.noBody())
                .header("Origin", "http://evil.example")
                .build());
    assertThat(evil.statusCode()).isEqualTo(403);
  }

  // ---- protected mode ----

  @Test
  void withoutCredentialsANonLoopbackHostRefusesToStartNamingBothWaysOut() {
    ServerConfig open = ServerConfig.builder().host("0.0.0.0").port(0).build();
    assertThatThrownBy(() -> HeraldServer.start(open))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("--insecure-no-auth")
        .hasMessageContaining("--auth-hmac-secret")
        .hasMessageContaining("--api-key");
    try (HeraldServer s =
        HeraldServer.start(
            ServerConfig.builder().host("0.0.0.0").port(0).insecureNoAuth(true).build())) {
      assertThat(s.port()).isPositive();
    }
    try (HeraldServer s =
        HeraldServer.start(
            ServerConfig.builder().host("0.0.0.0").port(0).apiKeys(List.of(API_KEY)).build())) {
      assertThat(s.port()).isPositive();
    }
  }
}
