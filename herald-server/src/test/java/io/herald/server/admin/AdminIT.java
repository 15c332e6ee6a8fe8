package io.herald.server.admin;

import static io.herald.server.TestClients.channel;
import static io.herald.server.TestClients.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.herald.server.HeraldServer;
import io.herald.server.LeakDetection;
import io.herald.server.ServerConfig;
import io.herald.server.TestClients;
import io.herald.server.auth.NamespacePolicy;
import io.herald.server.auth.NamespacePolicy.PublishAccess;
import io.herald.server.auth.NamespacePolicy.SubscribeAccess;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The admin page and its API over real sockets: off (404) unless configured, every API path but the
 * sign-in refused (401) without a valid credential, the inspector's figures after known
 * publications, publishing from the API, live counters per transport and the busiest channels.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
@ExtendWith(LeakDetection.class)
class AdminIT {
  static final String PASSWORD = "correct horse battery";
  static final String API_KEY = "admin-it-api-key-0123456789";
  static HeraldServer server;
  static String base;

  @BeforeAll
  static void start() {
    server =
        HeraldServer.start(
            ServerConfig.builder()
                .port(0)
                .apiKeys(List.of(API_KEY))
                .adminPassword(PASSWORD)
                .namespaces(
                    List.of(
                        NamespacePolicy.of("open", SubscribeAccess.PUBLIC, PublishAccess.PUBLIC)))
                .build());
    base = server.baseUrl();
  }

  @AfterAll
  static void stop() {
    if (server != null) {
      server.close();
    }
  }

  static HttpResponse<String> call(String method, String path, String body, String... headers) {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(base + path))
            .timeout(Duration.ofSeconds(30))
            .method(
                method,
                body == null
                    ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofString(body));
    if (body != null) {
      b.header("Content-Type", "application/json");
    }
    if (headers.length > 0) {
      b.headers(headers);
    }
    return TestClients.send(b.build());
  }

  static String signIn(String secret) {
    HttpResponse<String> r =
        call("POST", "/admin/api/session", "{\"password\":" + quote(secret) + "}");
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    JsonNode j = json(r.body());
    assertThat(j.path("expiresInSeconds").asLong()).isEqualTo(900);
    return j.path("token").asText();
  }

  static String quote(String s) {
    return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
  }

  static JsonNode getJson(String path, String token) {
    HttpResponse<String> r = call("GET", path, null, "Authorization", "Bearer " + token);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    assertThat(r.headers().firstValue("Cache-Control")).hasValue("no-store");
    return json(r.body());
  }

  @Test
  void adminPageIsNotFoundWhenNeitherPasswordNorApiKeyIsSet() {
    try (HeraldServer off = HeraldServer.start(ServerConfig.builder().port(0).build())) {
      for (String path : List.of("/admin", "/admin/", "/admin/admin.js", "/admin/api/overview")) {
        HttpResponse<String> r = TestClients.get(off.baseUrl() + path);
        assertThat(r.statusCode()).as(path).isEqualTo(404);
        assertThat(json(r.body()).path("error").path("code").asText()).isEqualTo("not_found");
      }
      HttpResponse<String> r =
          TestClients.post(
              off.baseUrl() + "/admin/api/session",
              "application/json",
              ("{\"password\":\"" + PASSWORD + "\"}").getBytes());
      assertThat(r.statusCode()).isEqualTo(404);
    }
  }

  @Test
  void pageIsServedWithFramingRefusedAndApiRefusesWithoutCredentials() {
    HttpResponse<String> page = TestClients.get(base + "/admin");
    assertThat(page.statusCode()).isEqualTo(200);
    assertThat(page.body()).contains("<script src=\"/admin/admin.js\">");
    assertThat(page.headers().firstValue("X-Frame-Options")).hasValue("DENY");
    assertThat(page.headers().firstValue("Content-Security-Policy").orElse(""))
        .contains("frame-ancestors 'none'");
    assertThat(TestClients.get(base + "/admin/admin.js").statusCode()).isEqualTo(200);

    for (String path :
        List.of("/admin/api/overview", "/admin/api/nodes", "/admin/api/channels", "/admin/api/x")) {
      HttpResponse<String> none = TestClients.get(base + path);
      assertThat(none.statusCode()).as(path).isEqualTo(401);
      assertThat(none.headers().firstValue("WWW-Authenticate")).isPresent();
      HttpResponse<String> forged =
          TestClients.get(base + path, "Authorization", "Bearer v1.99999999999999.forged");
      assertThat(forged.statusCode()).as(path).isEqualTo(401);
      HttpResponse<String> badKey = TestClients.get(base + path, "X-Api-Key", "not-the-key-000000");
      assertThat(badKey.statusCode()).as(path).isEqualTo(401);
      HttpResponse<String> password = TestClients.get(base + path, "X-Api-Key", PASSWORD);
      assertThat(password.statusCode()).as("the password is no API key").isEqualTo(401);
    }
    HttpResponse<String> publish =
        call("POST", "/admin/api/channels/" + channel("admin"), "{\"json\":\"1\"}");
    assertThat(publish.statusCode()).isEqualTo(401);
  }

  @Test
  void signInTakesThePasswordOrAnApiKeyAndRefusesAnythingElse() {
    HttpResponse<String> wrong =
        call("POST", "/admin/api/session", "{\"password\":\"wrong password!\"}");
    assertThat(wrong.statusCode()).isEqualTo(401);
    assertThat(json(wrong.body()).path("error").path("code").asText()).isEqualTo("unauthorized");
    HttpResponse<String> form =
        TestClients.post(
            base + "/admin/api/session",
            "application/x-www-form-urlencoded",
            ("password=" + PASSWORD).getBytes());
    assertThat(form.statusCode()).as("a cross-site form cannot sign in").isEqualTo(415);

    getJson("/admin/api/overview", signIn(PASSWORD));
    getJson("/admin/api/overview", signIn(API_KEY));
    HttpResponse<String> byKey = call("GET", "/admin/api/overview", null, "X-Api-Key", API_KEY);
    assertThat(byKey.statusCode()).isEqualTo(200);
  }

  @Test
  void inspectorShowsHeadHistoryAndRecentMessagesAfterKnownPublications() throws Exception {
    String token = signIn(PASSWORD);
    String ch = channel("open:inspect");
    JsonNode last = null;
    for (int i = 1; i <= 5; i++) {
      last = TestClients.publish(base, ch, "{\"n\":" + i + "}");
    }
    try (TestClients.Sse sse = new TestClients.Sse(base + "/channels/" + ch)) {
      await()
          .atMost(Duration.ofSeconds(20))
          .untilAsserted(
              () ->
                  assertThat(
                          getJson("/admin/api/channels/" + ch, token)
                              .path("subscribersHere")
                              .asInt())
                      .isEqualTo(1));
      JsonNode j = getJson("/admin/api/channels/" + ch + "?recent=3", token);
      assertThat(j.path("head").asLong()).isEqualTo(5);
      assertThat(j.path("epoch").asText()).isEqualTo(last.path("epoch").asText());
      assertThat(j.path("position").asText()).isEqualTo(last.path("epoch").asText() + ":5");
      assertThat(j.path("historyMessages").asInt()).isEqualTo(5);
      // each retained message costs its envelope plus the fixed overhead
      assertThat(j.path("historyBytes").asLong()).isGreaterThan(5 * 96L);
      assertThat(j.path("activeHere").asBoolean()).isTrue();
      assertThat(j.path("local").path("head").asLong()).isEqualTo(5);
      assertThat(j.path("recent")).hasSize(3);
      assertThat(j.path("recent").get(0).path("offset").asLong()).isEqualTo(3);
      assertThat(j.path("recent").get(2).path("json").asText()).isEqualTo("{\"n\":5}");
      assertThat(j.path("recent").get(2).path("event").asText()).isEqualTo("message");

      HttpResponse<String> binary =
          TestClients.post(base + "/channels/" + ch, "image/png", new byte[] {1, 2, 3});
      assertThat(binary.statusCode()).as(binary.body()).isEqualTo(201);
      JsonNode b = getJson("/admin/api/channels/" + ch + "?recent=1", token);
      assertThat(b.path("head").asLong()).isEqualTo(6);
      JsonNode m = b.path("recent").get(0);
      assertThat(m.path("contentType").asText()).isEqualTo("image/png");
      assertThat(m.path("base64").asText()).isEqualTo("AQID");
      assertThat(m.path("bytes").asInt()).isEqualTo(3);
      assertThat(m.has("json")).isFalse();
    }
  }

  @Test
  void publishFromTheApiReachesSubscribersAndCountsAsHttp() throws Exception {
    String token = signIn(PASSWORD);
    String ch = channel("open:adminpub");
    try (TestClients.Sse sse = new TestClients.Sse(base + "/channels/" + ch)) {
      await()
          .atMost(Duration.ofSeconds(20))
          .until(
              () ->
                  getJson("/admin/api/channels/" + ch, token).path("subscribersHere").asInt() == 1);
      HttpResponse<String> r =
          call(
              "POST",
              "/admin/api/channels/" + ch,
              "{\"event\":\"note\",\"json\":\"{\\\"text\\\":\\\"from admin\\\"}\"}",
              "Authorization",
              "Bearer " + token);
      assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
      assertThat(json(r.body()).path("offset").asLong()).isEqualTo(1);
      assertThat(sse.nextEvent()).contains("event: herald.subscribed");
      String event = sse.nextEvent();
      assertThat(event).contains("event: note").contains("{\"text\":\"from admin\"}");

      HttpResponse<String> bad =
          call("POST", "/admin/api/channels/" + ch, "{\"json\":\"{nope\"}", "X-Api-Key", API_KEY);
      assertThat(bad.statusCode()).isEqualTo(400);
      assertThat(json(bad.body()).path("error").path("code").asText()).isEqualTo("invalid_json");
      HttpResponse<String> badChannel =
          call("POST", "/admin/api/channels/a%20b", "{\"json\":\"1\"}", "X-Api-Key", API_KEY);
      assertThat(badChannel.statusCode()).isEqualTo(400);
      assertThat(getJson("/admin/api/channels/" + ch, token).path("head").asLong()).isEqualTo(1);
      assertThat(row(getJson("/admin/api/overview", token), "http").path("messagesIn").asLong())
          .as("the admin page's publications count as HTTP publications")
          .isGreaterThanOrEqualTo(1);
    }
  }

  @Test
  void countersMoveWithTrafficPerTransportAndBusiestChannelsRankIt() throws Exception {
    String token = signIn(PASSWORD);
    String ch = channel("open:busy");
    JsonNode before = row(getJson("/admin/api/overview", token), "sse");
    JsonNode httpBefore = row(getJson("/admin/api/overview", token), "http");
    try (TestClients.Sse sse = new TestClients.Sse(base + "/channels/" + ch)) {
      await()
          .atMost(Duration.ofSeconds(20))
          .until(
              () ->
                  row(getJson("/admin/api/overview", token), "sse").path("connections").asLong()
                      > before.path("connections").asLong());
      for (int i = 0; i < 7; i++) {
        TestClients.publish(base, ch, "\"m" + i + "\"");
      }
      assertThat(sse.nextEvent()).contains("event: herald.subscribed");
      for (int i = 0; i < 7; i++) {
        assertThat(sse.nextEvent()).contains("\"m" + i + "\"");
      }
      JsonNode after = row(getJson("/admin/api/overview", token), "sse");
      assertThat(after.path("messagesOut").asLong() - before.path("messagesOut").asLong())
          .isGreaterThanOrEqualTo(7);
      assertThat(after.path("subscriptions").asLong()).isGreaterThanOrEqualTo(1);
      JsonNode http = row(getJson("/admin/api/overview", token), "http");
      assertThat(http.path("messagesIn").asLong() - httpBefore.path("messagesIn").asLong())
          .isGreaterThanOrEqualTo(7);
      await()
          .atMost(Duration.ofSeconds(20))
          .untilAsserted(
              () ->
                  assertThat(
                          row(getJson("/admin/api/overview", token), "sse")
                              .path("outPerSecond")
                              .asDouble())
                      .isGreaterThan(0));
      JsonNode top = getJson("/admin/api/channels?top=100", token).path("channels");
      JsonNode mine = null;
      for (JsonNode c : top) {
        if (c.path("channel").asText().equals(ch)) {
          mine = c;
        }
      }
      assertThat(mine).as("%s among the busiest: %s", ch, top).isNotNull();
      assertThat(mine.path("publications").asLong()).isEqualTo(7);
      assertThat(mine.path("deliveries").asLong()).isEqualTo(7);
    }
    HttpResponse<String> tooMany =
        call("GET", "/admin/api/channels?top=101", null, "X-Api-Key", API_KEY);
    assertThat(tooMany.statusCode()).isEqualTo(400);
    assertThat(tooMany.body()).contains("1 to 100");
  }

  @Test
  void nodesListsThisNodeOnTheMemoryBroker() {
    JsonNode nodes = getJson("/admin/api/nodes", signIn(API_KEY)).path("nodes");
    assertThat(nodes).hasSize(1);
    assertThat(nodes.get(0).path("self").asBoolean()).isTrue();
    assertThat(nodes.get(0).path("id").asText()).endsWith(":" + server.port());
  }

  @Test
  void methodsOutsideTheApiAreRefusedWithAllow() {
    HttpResponse<String> r = call("DELETE", "/admin/api/overview", null, "X-Api-Key", API_KEY);
    assertThat(r.statusCode()).isEqualTo(405);
    assertThat(r.headers().firstValue("Allow")).hasValue("GET, HEAD");
    HttpResponse<String> s = call("GET", "/admin/api/session", null);
    assertThat(s.statusCode()).isEqualTo(405);
  }

  static JsonNode row(JsonNode overview, String name) {
    for (JsonNode r : overview.path("transports")) {
      if (r.path("name").asText().equals(name)) {
        return r;
      }
    }
    throw new AssertionError("no row " + name + " in " + overview);
  }
}
