package io.herald.server.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.herald.redis.RedisServerProcess;
import io.herald.server.HeraldServer;
import io.herald.server.LeakDetection;
import io.herald.server.ServerConfig;
import io.herald.server.TestClients;
import io.herald.server.TestClients.Ws;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Publication outcomes over HTTP and WebSocket with two nodes on a real Redis that is frozen
 * (SIGSTOP) and thawed (SIGCONT): {@code 503 unavailable} only for publications never sent, never
 * delivered afterwards; {@code 504 publish_outcome_unknown} for the others, each delivered exactly
 * once after a retry with its {@code Idempotency-Key}; {@code /health} 503 while frozen, 200 after;
 * an idempotency key seen on one node answers the same publication on the other.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
@ExtendWith(LeakDetection.class)
class PublishOutcomeIT {
  private static final Duration WAIT = Duration.ofSeconds(30);

  private final List<HeraldServer> nodes = new ArrayList<>();
  private RedisServerProcess redis;
  private ScheduledExecutorService publisher;

  @AfterEach
  void stop() {
    if (publisher != null) {
      publisher.shutdownNow();
    }
    nodes.forEach(HeraldServer::close);
    if (redis != null) {
      redis.close();
    }
  }

  private HeraldServer node() {
    return node(Duration.ofMillis(300));
  }

  private HeraldServer node(Duration commandTimeout) {
    HeraldServer node =
        HeraldServer.start(
            ServerConfig.builder()
                .port(0)
                .broker(redis.uri())
                .redisCommandTimeout(commandTimeout)
                .shutdownTimeout(Duration.ofSeconds(2))
                .build());
    nodes.add(node);
    await().atMost(WAIT).until(() -> node.hub().broker().isAvailable());
    return node;
  }

  private static CompletableFuture<HttpResponse<String>> publish(
      HeraldServer node, String channel, int n) {
    return TestClients.HTTP.sendAsync(
        HttpRequest.newBuilder(URI.create(node.baseUrl() + "/channels/" + channel))
            .timeout(WAIT)
            .header("Content-Type", "application/json")
            .header("Idempotency-Key", "pub-" + n)
            .POST(HttpRequest.BodyPublishers.ofString("{\"n\":" + n + "}"))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static int health(HeraldServer node) {
    return TestClients.get(node.baseUrl() + "/health").statusCode();
  }

  @Test
  void aPublicationSentToAFrozenRedisIs504OnHttpAndWebSocketAndItsKeySettlesIt() throws Exception {
    redis = RedisServerProcess.start();
    // a timeout long enough that both publications below are sent before the freeze is noticed
    HeraldServer a = node(Duration.ofSeconds(3));
    String ch = TestClients.channel("unknown");
    JsonNode first = TestClients.json(publish(a, ch, 1).get().body());
    try (Ws ws = new Ws(a.baseUrl().replace("http", "ws") + "/ws")) {
      redis.freeze();
      CompletableFuture<HttpResponse<String>> http = publish(a, ch, 2);
      ws.send(
          "{\"type\":\"publish\",\"id\":7,\"channel\":\""
              + ch
              + "\",\"data\":{\"n\":3},\"idempotencyKey\":\"pub-3\"}");
      JsonNode error = ws.next();
      assertThat(error.get("type").asText()).isEqualTo("error");
      assertThat(error.get("id").asInt()).isEqualTo(7);
      assertThat(error.at("/error/code").asText()).isEqualTo("publish_outcome_unknown");
      assertThat(error.at("/error/message").asText()).contains("same Idempotency-Key");
      HttpResponse<String> r = http.get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
      assertThat(r.statusCode()).as(r.body()).isEqualTo(504);
      assertThat(TestClients.json(r.body()).at("/error/code").asText())
          .isEqualTo("publish_outcome_unknown");
      redis.thaw();
      await().atMost(WAIT).until(() -> health(a) == 200);
      // Redis ran both when it woke; the retries with their keys answer them and publish nothing
      HttpResponse<String> again = publish(a, ch, 2).get();
      assertThat(again.statusCode()).isEqualTo(201);
      long httpOffset = TestClients.json(again.body()).get("offset").asLong();
      ws.send(
          "{\"type\":\"publish\",\"id\":8,\"channel\":\""
              + ch
              + "\",\"data\":{\"n\":3},\"idempotencyKey\":\"pub-3\"}");
      JsonNode published = ws.next();
      assertThat(published.get("type").asText()).isEqualTo("published");
      // Redis ran them in the order they reached it
      assertThat(List.of(httpOffset, published.get("offset").asLong()))
          .containsExactlyInAnyOrder(2L, 3L);
    }
    JsonNode poll =
        TestClients.json(
            TestClients.get(
                    a.baseUrl()
                        + "/channels/"
                        + ch
                        + "?since="
                        + first.get("epoch").asText()
                        + ":0")
                .body());
    assertThat(poll.get("messages"))
        .extracting(m -> m.at("/data/n").asInt())
        .containsExactlyInAnyOrder(1, 2, 3);
  }

  @Test
  void aFrozenRedisAnswers503OnlyForWhatWasNeverPublishedAnd504sRetriedLandOnce() throws Exception {
    redis = RedisServerProcess.start();
    HeraldServer a = node();
    HeraldServer b = node();
    String ch = TestClients.channel("frozen");

    // the same key on the other node answers the same publication
    JsonNode first = TestClients.json(publish(a, ch, 0).get().body());
    HttpResponse<String> onB = publish(b, ch, 0).get();
    assertThat(onB.statusCode()).isEqualTo(201);
    assertThat(TestClients.json(onB.body())).isEqualTo(first);

    List<CompletableFuture<HttpResponse<String>>> sent = new ArrayList<>();
    AtomicInteger next = new AtomicInteger(1);
    publisher = Executors.newSingleThreadScheduledExecutor();
    ScheduledFuture<?> ticking =
        publisher.scheduleAtFixedRate(
            () -> {
              int n = next.getAndIncrement();
              CompletableFuture<HttpResponse<String>> f = publish(n % 2 == 0 ? a : b, ch, n);
              synchronized (sent) {
                sent.add(f);
              }
            },
            0,
            10,
            TimeUnit.MILLISECONDS);
    await().atMost(WAIT).until(() -> next.get() > 50);
    assertThat(health(a)).isEqualTo(200);
    redis.freeze();
    await().atMost(WAIT).until(() -> health(a) == 503 && health(b) == 503);
    JsonNode body = TestClients.json(TestClients.get(a.baseUrl() + "/health").body());
    assertThat(body.get("broker").asText()).isEqualTo("down");
    try (Ws ws = new Ws(b.baseUrl().replace("http", "ws") + "/ws")) {
      ws.send(
          "{\"type\":\"publish\",\"id\":1,\"channel\":\""
              + ch
              + "\",\"data\":{\"n\":-2},\"idempotencyKey\":\"ws-frozen\"}");
      JsonNode error = ws.next();
      assertThat(error.get("type").asText()).isEqualTo("error");
      assertThat(error.at("/error/code").asText()).isEqualTo("unavailable");
      assertThat(error.at("/error/message").asText()).contains("nothing was published");
    }
    int atDetection = next.get();
    await().atMost(WAIT).until(() -> next.get() > atDetection + 50);
    redis.thaw();
    await().atMost(WAIT).until(() -> health(a) == 200 && health(b) == 200);
    int atThaw = next.get();
    await().atMost(WAIT).until(() -> next.get() > atThaw + 30);
    ticking.cancel(false);
    publisher.submit(() -> {}).get();

    List<CompletableFuture<HttpResponse<String>>> all;
    synchronized (sent) {
      all = List.copyOf(sent);
    }
    List<Integer> unavailable = new ArrayList<>();
    List<Integer> unknown = new ArrayList<>();
    List<Integer> published = new ArrayList<>();
    for (int i = 0; i < all.size(); i++) {
      int n = i + 1;
      HttpResponse<String> r = all.get(i).get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
      switch (r.statusCode()) {
        case 201 -> published.add(n);
        case 503 -> {
          assertThat(TestClients.json(r.body()).at("/error/code").asText())
              .isEqualTo("unavailable");
          unavailable.add(n);
        }
        case 504 -> {
          JsonNode error = TestClients.json(r.body()).get("error");
          assertThat(error.get("code").asText()).isEqualTo("publish_outcome_unknown");
          assertThat(error.get("message").asText()).contains("same Idempotency-Key");
          unknown.add(n);
        }
        default -> throw new AssertionError("publication " + n + " answered " + r.statusCode());
      }
    }
    assertThat(unavailable).isNotEmpty();
    assertThat(unknown).isNotEmpty();
    for (int n : unknown) {
      HttpResponse<String> retry = publish(n % 2 == 0 ? b : a, ch, n).get(); // the other node
      assertThat(retry.statusCode()).as(retry.body()).isEqualTo(201);
    }
    // a last publication: once it is in the history, everything sent before it has run
    long last = TestClients.json(publish(a, ch, 1_000_000).get().body()).get("offset").asLong();
    Map<Integer, Integer> times = new HashMap<>();
    String cursor = null;
    long seen = 0;
    while (seen < last) {
      JsonNode poll =
          TestClients.json(
              TestClients.get(
                      a.baseUrl()
                          + "/channels/"
                          + ch
                          + "?limit=1000&since="
                          + (cursor == null ? first.get("epoch").asText() + ":0" : cursor))
                  .body());
      for (JsonNode m : poll.get("messages")) {
        times.merge(m.at("/data/n").asInt(), 1, Integer::sum);
        seen = m.get("offset").asLong();
      }
      cursor = poll.get("cursor").asText();
    }
    assertThat(seen).isEqualTo(last);
    for (int n : unavailable) {
      assertThat(times).as("publication %d answered 503", n).doesNotContainKey(n);
    }
    for (int n : unknown) {
      assertThat(times.get(n)).as("publication %d answered 504, retried", n).isEqualTo(1);
    }
    for (int n : published) {
      assertThat(times.get(n)).as("publication %d answered 201", n).isEqualTo(1);
    }
    assertThat(times.keySet()).doesNotContain(-2);
    assertThat(Set.copyOf(times.values())).containsOnly(1);
  }
}
