package io.herald.server.auth;

import static io.herald.server.TestClients.channel;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.herald.redis.RedisServerProcess;
import io.herald.server.HeraldServer;
import io.herald.server.LeakDetection;
import io.herald.server.ServerConfig;
import io.herald.server.TestClients;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Authorization with Redis: two nodes share one secret and one real Redis. A token read on one node
 * and a publication on the other obey the same rules; an SSE stream whose token expires ends with
 * {@code herald.expired}, and reconnecting with a new token and the stream's cursor on the other
 * node delivers what was published meanwhile, once.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
@ExtendWith(LeakDetection.class)
class AuthRedisIT {
  static final String SECRET = "a-secret-shared-by-both-nodes-0123456789";
  static final String KEY = "backend-key-0123456789";
  static RedisServerProcess redis;
  static HeraldServer a;
  static HeraldServer b;

  @BeforeAll
  static void start() {
    redis = RedisServerProcess.start();
    a = node();
    b = node();
  }

  static HeraldServer node() {
    HeraldServer n =
        HeraldServer.start(
            ServerConfig.builder()
                .port(0)
                .broker(redis.uri())
                .authHmacSecret(SECRET)
                .apiKeys(List.of(KEY))
                .shutdownTimeout(Duration.ofSeconds(2))
                .build());
    await().atMost(Duration.ofSeconds(10)).until(() -> n.hub().broker().isAvailable());
    return n;
  }

  @AfterAll
  static void stop() {
    if (a != null) {
      a.close();
    }
    if (b != null) {
      b.close();
    }
    if (redis != null) {
      redis.close();
    }
  }

  static String token(Duration ttl) {
    return new TokenMinter(SECRET).mint("42", List.of("chat:*"), List.of("chat:*"), ttl, null);
  }

  static int publish(HeraldServer node, String ch, String text) {
    return TestClients.send(
            HttpRequest.newBuilder(URI.create(node.baseUrl() + "/channels/" + ch))
                .header("X-Api-Key", KEY)
                .POST(HttpRequest.BodyPublishers.ofString(text))
                .build())
        .statusCode();
  }

  @Test
  void anExpiredSseStreamResumesOnAnotherNodeWithANewTokenWithoutLoss() {
    String ch = channel("chat:redis");
    String cursor;
    try (TestClients.Sse sse =
        new TestClients.Sse(
            a.baseUrl()
                + "/channels/"
                + ch
                + "?token="
                + URLEncoder.encode(token(Duration.ofSeconds(2)), StandardCharsets.UTF_8))) {
      assertThat(sse.nextEvent()).contains("herald.subscribed");
      assertThat(publish(b, ch, "one")).isEqualTo(201);
      String one = sse.nextEvent();
      assertThat(one).contains("\"data\":\"one\"");
      cursor = one.lines().filter(l -> l.startsWith("id: ")).findFirst().orElseThrow().substring(4);
      assertThat(sse.nextEvent()).contains("event: herald.expired");
      assertThat(sse.nextEvent()).contains("event: herald.end").contains("\"reason\":\"expired\"");
      assertThat(sse.nextEvent()).isEqualTo("<eof>");
    }
    assertThat(publish(b, ch, "two")).isEqualTo(201); // while the client gets a new token

    HttpResponse<String> anonymous =
        TestClients.get(b.baseUrl() + "/channels/" + ch + "?since=" + cursor);
    assertThat(anonymous.statusCode()).isEqualTo(401);
    try (TestClients.Sse again =
        new TestClients.Sse(
            b.baseUrl() + "/channels/" + ch,
            "Authorization",
            "Bearer " + token(Duration.ofMinutes(5)),
            "Last-Event-ID",
            cursor)) {
      String subscribed = again.nextEvent();
      assertThat(subscribed).contains("\"recovered\":true");
      String two = again.nextEvent();
      assertThat(two).contains("\"data\":\"two\"").doesNotContain("\"data\":\"one\"");
    }
  }

  @Test
  void aTokenWebSocketOnOneNodeGetsPublicationsOfTheOther() {
    String ch = channel("chat:ws");
    try (AuthClients.Socket s =
        AuthClients.open(
            a.baseUrl().replace("http", "ws") + "/channels/" + ch,
            "Authorization",
            "Bearer " + token(Duration.ofMinutes(5)))) {
      assertThat(s.next().get("type").asText()).isEqualTo("subscribed");
      assertThat(publish(b, ch, "hello")).isEqualTo(201);
      JsonNode m = s.next();
      assertThat(m.get("data").asText()).isEqualTo("hello");
    }
  }
}
