package io.herald.server.admin;

import static io.herald.server.TestClients.channel;
import static io.herald.server.TestClients.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.herald.redis.RedisExtension;
import io.herald.server.HeraldServer;
import io.herald.server.LeakDetection;
import io.herald.server.ServerConfig;
import io.herald.server.TestClients;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The admin API of two nodes on one real Redis: each node announces itself on the broker, so either
 * lists both (and a node that stops is gone at once); the inspector reads the channel's head and
 * history from Redis on any node, and counts the subscribers of its own node only.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
@ExtendWith(LeakDetection.class)
class AdminRedisIT {
  static final String API_KEY = "admin-redis-it-key-0123456789";
  static final Duration WAIT = Duration.ofSeconds(20);
  @RegisterExtension static final RedisExtension redis = new RedisExtension();

  static HeraldServer node() {
    HeraldServer node =
        HeraldServer.start(
            ServerConfig.builder()
                .port(0)
                .broker(redis.uri())
                .adminPassword("admin-redis-it-password")
                .apiKeys(List.of(API_KEY))
                .shutdownTimeout(Duration.ofSeconds(2))
                .build());
    await().atMost(WAIT).until(() -> node.hub().broker().isAvailable());
    return node;
  }

  static JsonNode get(HeraldServer node, String path) {
    HttpResponse<String> r = TestClients.get(node.baseUrl() + path, "X-Api-Key", API_KEY);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return json(r.body());
  }

  static List<String> ids(JsonNode nodes) {
    List<String> ids = new ArrayList<>();
    nodes.path("nodes").forEach(n -> ids.add(n.path("id").asText()));
    return ids;
  }

  static String id(JsonNode nodes, boolean self) {
    for (JsonNode n : nodes.path("nodes")) {
      if (n.path("self").asBoolean() == self) {
        return n.path("id").asText();
      }
    }
    return null;
  }

  @Test
  void eachNodeListsBothNodesAndForgetsOneThatStops() {
    try (HeraldServer a = node()) {
      HeraldServer b = node();
      try {
        await()
            .atMost(WAIT)
            .untilAsserted(
                () -> {
                  JsonNode fromA = get(a, "/admin/api/nodes");
                  assertThat(ids(fromA)).hasSize(2);
                  assertThat(id(fromA, true)).endsWith(":" + a.port());
                  assertThat(id(fromA, false)).endsWith(":" + b.port());
                  JsonNode fromB = get(b, "/admin/api/nodes");
                  assertThat(ids(fromB)).isEqualTo(ids(fromA));
                  assertThat(id(fromB, true)).endsWith(":" + b.port());
                });
        JsonNode other = get(a, "/admin/api/nodes").path("nodes");
        for (JsonNode n : other) {
          assertThat(n.path("details").path("startedAt").asLong()).isPositive();
          assertThat(n.path("details").has("connections")).isTrue();
          assertThat(n.path("seenMillisAgo").asLong()).isBetween(0L, 15_000L);
        }
      } finally {
        b.close();
      }
      JsonNode after = get(a, "/admin/api/nodes");
      assertThat(ids(after)).as("a node that stops removes itself").hasSize(1);
      assertThat(id(after, true)).endsWith(":" + a.port());
    }
  }

  @Test
  void aNodeSilentPastTheTtlIsForgottenAndItsDetailsRemoved() throws Exception {
    try (HeraldServer a = node()) {
      await().atMost(WAIT).until(() -> ids(get(a, "/admin/api/nodes")).size() == 1);
      // a node that crashed long ago: its last announcement is at time 1 (ms), far past the TTL
      redis.command("ZADD", "herald:{nodes}:seen", "1", "ghost:1");
      redis.command("HSET", "herald:{nodes}:info", "ghost:1", "{}");
      JsonNode nodes = get(a, "/admin/api/nodes");
      assertThat(ids(nodes)).hasSize(1).noneMatch(id -> id.startsWith("ghost"));
      assertThat(redis.command("HEXISTS", "herald:{nodes}:info", "ghost:1")).isEqualTo(":0");
      assertThat(redis.command("ZSCORE", "herald:{nodes}:seen", "ghost:1")).isEqualTo("$-1");
    }
  }

  @Test
  void inspectorReadsRedisOnAnyNodeAndCountsSubscribersOfItsOwnNode() throws Exception {
    try (HeraldServer a = node();
        HeraldServer b = node()) {
      String ch = channel("inspect-redis");
      try (TestClients.Sse sse =
          new TestClients.Sse(b.baseUrl() + "/channels/" + ch, "X-Api-Key", API_KEY)) {
        assertThat(sse.nextEvent()).contains("herald.subscribed");
        for (int i = 1; i <= 4; i++) {
          HttpResponse<String> r =
              TestClients.send(
                  HttpRequest.newBuilder(URI.create(a.baseUrl() + "/channels/" + ch))
                      .header("Content-Type", "application/json")
                      .header("X-Api-Key", API_KEY)
                      .POST(HttpRequest.BodyPublishers.ofString("" + i))
                      .build());
          assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
        }
        for (int i = 1; i <= 4; i++) {
          assertThat(sse.nextEvent()).contains("\"offset\":" + i + ",");
        }
        JsonNode onA = get(a, "/admin/api/channels/" + ch);
        JsonNode onB = get(b, "/admin/api/channels/" + ch);
        for (JsonNode j : List.of(onA, onB)) {
          assertThat(j.path("head").asLong()).isEqualTo(4);
          assertThat(j.path("historyMessages").asInt()).isEqualTo(4);
          assertThat(j.path("recent")).hasSize(4);
          assertThat(j.path("recent").get(3).path("json").asText()).isEqualTo("4");
        }
        assertThat(onA.path("historyBytes").asLong()).isEqualTo(onB.path("historyBytes").asLong());
        assertThat(onA.path("subscribersHere").asInt()).isZero();
        assertThat(onB.path("subscribersHere").asInt()).isEqualTo(1);
      }
    }
  }
}
