package io.herald.server;

import static io.herald.server.TestClients.channel;
import static io.herald.server.TestClients.publish;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.herald.redis.RedisServerProcess;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The broker metrics with a real Redis and two nodes: Pub/Sub lag is recorded once per live message
 * a node receives, the publish round trip once per publication, a Redis restart counts reconnects
 * on every node, and the new epoch it brings counts one {@code epoch} gap per subscriber.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
@ExtendWith(LeakDetection.class)
class MetricsRedisIT {
  private static final Duration WAIT = Duration.ofSeconds(30);

  @Test
  void lagRoundTripReconnectsAndEpochGapsAreCountedPerNode() throws Exception {
    List<HeraldServer> nodes = new ArrayList<>();
    try (RedisServerProcess redis = RedisServerProcess.start()) {
      for (int i = 0; i < 2; i++) {
        HeraldServer node =
            HeraldServer.start(
                ServerConfig.builder()
                    .port(0)
                    .broker(redis.uri())
                    .shutdownTimeout(Duration.ofSeconds(2))
                    .build());
        nodes.add(node);
        await().atMost(WAIT).until(() -> node.hub().broker().isAvailable());
      }
      HeraldServer a = nodes.get(0);
      HeraldServer b = nodes.get(1);
      String ch = channel("metrics-redis");
      try (TestClients.Ws sub =
          new TestClients.Ws(b.baseUrl().replace("http", "ws") + "/channels/" + ch)) {
        assertThat(sub.next().get("type").asText()).isEqualTo("subscribed");
        MetricsIT.Scrape beforeA = MetricsIT.Scrape.of(a.baseUrl());
        MetricsIT.Scrape beforeB = MetricsIT.Scrape.of(b.baseUrl());
        int n = 4;
        for (int i = 1; i <= n; i++) {
          publish(a.baseUrl(), ch, Integer.toString(i));
        }
        for (int i = 1; i <= n; i++) {
          assertThat(sub.next().get("type").asText()).isEqualTo("message");
        }
        MetricsIT.Scrape afterA = MetricsIT.Scrape.of(a.baseUrl());
        MetricsIT.Scrape afterB = MetricsIT.Scrape.of(b.baseUrl());
        assertThat(
                afterA.value("herald_broker_publish_seconds_count")
                    - beforeA.value("herald_broker_publish_seconds_count"))
            .isEqualTo(n);
        assertThat(
                afterB.value("herald_pubsub_lag_seconds_count")
                    - beforeB.value("herald_pubsub_lag_seconds_count"))
            .isEqualTo(n);
        assertThat(
                afterB.value("herald_deliveries_total", "transport", "websocket")
                    - beforeB.value("herald_deliveries_total", "transport", "websocket"))
            .isEqualTo(n);
        assertThat(afterB.value("herald_redis_reconnects_total")).isZero();

        redis.stop();
        redis.restart(); // same port, empty: the channel gets a new epoch
        for (HeraldServer node : nodes) {
          await()
              .atMost(WAIT)
              .untilAsserted(
                  () ->
                      assertThat(
                              MetricsIT.Scrape.of(node.baseUrl())
                                  .value("herald_redis_reconnects_total"))
                          .isGreaterThanOrEqualTo(1));
          await().atMost(WAIT).until(() -> node.hub().broker().isAvailable());
        }
        await()
            .atMost(WAIT)
            .until(() -> TestClients.get(a.baseUrl() + "/health").statusCode() == 200);
        publish(a.baseUrl(), ch, "\"new epoch\"");
        JsonNode next = sub.next();
        while (!next.get("type").asText().equals("message")) {
          assertThat(next.get("type").asText()).isEqualTo("gap");
          next = sub.next();
        }
        MetricsIT.Scrape end = MetricsIT.Scrape.of(b.baseUrl());
        assertThat(
                end.value("herald_gaps_total", "cause", "epoch")
                    - beforeB.value("herald_gaps_total", "cause", "epoch"))
            .isEqualTo(1);
      } finally {
        nodes.forEach(HeraldServer::close);
      }
    }
  }
}
