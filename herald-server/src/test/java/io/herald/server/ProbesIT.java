package io.herald.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.herald.redis.RedisServerProcess;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * {@code /live} and {@code /ready} (issue 12): live while the event loops run; ready while the
 * broker answers within its timeout and the node is not draining, 503 with a JSON reason otherwise;
 * GET and HEAD only; {@code /health} keeps its meaning.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
@ExtendWith(LeakDetection.class)
class ProbesIT {
  private static HttpResponse<String> send(String method, String url) {
    return TestClients.send(
        HttpRequest.newBuilder(URI.create(url))
            .method(method, HttpRequest.BodyPublishers.noBody())
            .build());
  }

  @Test
  void liveAndReadyAnswer200OnAServingNodeForGetAndHeadAnd405OtherMethods() {
    try (HeraldServer server =
        HeraldServer.start(ServerConfig.builder().host("127.0.0.1").port(0).build())) {
      HttpResponse<String> live = TestClients.get(server.baseUrl() + "/live");
      assertThat(live.statusCode()).isEqualTo(200);
      assertThat(TestClients.json(live.body()).path("status").asText()).isEqualTo("live");
      HttpResponse<String> ready = TestClients.get(server.baseUrl() + "/ready");
      assertThat(ready.statusCode()).isEqualTo(200);
      assertThat(TestClients.json(ready.body()).path("status").asText()).isEqualTo("ready");
      for (String path : new String[] {"/live", "/ready"}) {
        HttpResponse<String> head = send("HEAD", server.baseUrl() + path);
        assertThat(head.statusCode()).as(path).isEqualTo(200);
        assertThat(head.body()).as(path).isEmpty();
        HttpResponse<String> post = send("POST", server.baseUrl() + path);
        assertThat(post.statusCode()).as(path).isEqualTo(405);
        assertThat(post.headers().firstValue("allow")).as(path).hasValue("GET, HEAD");
      }
    }
  }

  @Test
  void readyAnswers503WithTheReasonWhileTheBrokerDoesNotAnswerAndLiveStays200() {
    try (RedisServerProcess redis = RedisServerProcess.start();
        HeraldServer server =
            HeraldServer.start(
                ServerConfig.builder()
                    .host("127.0.0.1")
                    .port(0)
                    .broker(redis.uri())
                    .redisCommandTimeout(Duration.ofMillis(500))
                    .build())) {
      String base = server.baseUrl();
      await()
          .atMost(Duration.ofSeconds(20))
          .until(() -> TestClients.get(base + "/ready").statusCode() == 200);
      redis.freeze();
      try {
        await()
            .atMost(Duration.ofSeconds(30))
            .until(() -> TestClients.get(base + "/ready").statusCode() == 503);
        JsonNode body = TestClients.json(TestClients.get(base + "/ready").body());
        assertThat(body.path("status").asText()).isEqualTo("not_ready");
        assertThat(body.path("reason").asText()).isEqualTo("broker_unavailable");
        assertThat(TestClients.get(base + "/live").statusCode()).isEqualTo(200);
        assertThat(TestClients.get(base + "/health").statusCode()).isEqualTo(503);
      } finally {
        redis.thaw();
      }
      await()
          .atMost(Duration.ofSeconds(30))
          .until(() -> TestClients.get(base + "/ready").statusCode() == 200);
    }
  }

  @Test
  void readyAnswers503DrainingAtOnceWhenTheNodeDrainsWhileHealthAndLiveStay200() throws Exception {
    HeraldServer server =
        HeraldServer.start(
            ServerConfig.builder()
                .host("127.0.0.1")
                .port(0)
                .drainDelay(Duration.ofSeconds(30))
                .drainWindow(Duration.ZERO)
                .shutdownTimeout(Duration.ofSeconds(1))
                .build());
    String base = server.baseUrl();
    Thread drainer = new Thread(server::drain, "probes-drain");
    try {
      drainer.start();
      await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> TestClients.get(base + "/ready").statusCode() == 503);
      assertThat(TestClients.json(TestClients.get(base + "/ready").body()).path("reason").asText())
          .isEqualTo("draining");
      assertThat(server.draining()).isTrue();
      assertThat(TestClients.get(base + "/live").statusCode()).isEqualTo(200);
      assertThat(TestClients.get(base + "/health").statusCode()).isEqualTo(200);
      // still serving during the delay: a publication is taken
      assertThat(
              TestClients.post(
                      base + "/channels/" + TestClients.channel("probes"),
                      "text/plain",
                      "x".getBytes(java.nio.charset.StandardCharsets.UTF_8))
                  .statusCode())
          .isEqualTo(201);
    } finally {
      drainer.interrupt(); // ends the delay early: the drain closes what is left and returns
      drainer.join(TimeUnit.SECONDS.toMillis(30));
      server.close();
    }
    assertThat(drainer.isAlive()).isFalse();
  }
}
