package io.herald.browser;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.herald.redis.LoopbackRelay;
import io.herald.redis.RedisExtension;
import io.herald.server.HeraldServer;
import io.herald.server.LeakDetection;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * herald.js through a rolling restart (issue 12): two nodes on one real Redis behind a balancer;
 * node A drains (what SIGTERM does), the balancer takes it out once its {@code /ready} answers 503,
 * and A's WebSocket closes with {@code 1001} and a hint, or its SSE stream ends with {@code
 * herald.end}. The page comes back after the hint on node B and gets every message once, in order,
 * without a gap, and sees the end as a clean one.
 */
@Timeout(240)
@ExtendWith(LeakDetection.class)
class DrainIT {
  private static final HttpClient HTTP = HttpClient.newHttpClient();
  private static Browser browser;
  @RegisterExtension static final RedisExtension redis = new RedisExtension();

  @BeforeAll
  static void start() {
    browser = Browser.start();
  }

  @AfterAll
  static void stop() {
    Servers.closeAll(browser);
  }

  private static HeraldServer node() {
    return Servers.startAndAwaitBroker(
        Servers.config()
            .broker(redis.uri())
            .drainDelay(Duration.ofSeconds(1))
            .drainWindow(Duration.ofSeconds(2)));
  }

  private static int status(String url) throws Exception {
    return HTTP.send(
            HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.discarding())
        .statusCode();
  }

  private static List<String> texts(int from, int to) {
    return IntStream.rangeClosed(from, to).mapToObj(i -> "m" + i).toList();
  }

  private static void awaitReceived(List<String> expected) {
    await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> TransportDeliveryIT.receivedData(browser).size() >= expected.size());
    assertThat(TransportDeliveryIT.receivedData(browser)).containsExactlyElementsOf(expected);
  }

  @ParameterizedTest
  @ValueSource(strings = {"websocket", "sse"})
  void aDrainedNodesPageResumesOnTheOtherNodeWithNothingLostAndACleanEnd(String transport)
      throws Exception {
    String channel = Http.channel("drain-" + transport);
    try (HeraldServer a = node();
        HeraldServer b = node();
        LoopbackRelay balancer = LoopbackRelay.to(a.port()).resetOnCut().start()) {
      TransportDeliveryIT.openHarness(browser, balancer.baseUrl(), channel, transport);
      List<String> expected = new ArrayList<>(texts(1, 10));
      expected.forEach(t -> Http.publish(b.baseUrl(), channel, t));
      awaitReceived(expected);

      Thread drainer = new Thread(a::drain, "browser-drain");
      drainer.start();
      await()
          .atMost(Duration.ofSeconds(10))
          .pollInterval(Duration.ofMillis(20))
          .until(() -> status(a.baseUrl() + "/ready") == 503);
      balancer.targets(b.port());
      List<String> during = texts(11, 20);
      during.forEach(t -> Http.publish(b.baseUrl(), channel, t));
      expected.addAll(during);
      drainer.join(60_000);
      assertThat(drainer.isAlive()).isFalse();
      List<String> after = texts(21, 30);
      after.forEach(t -> Http.publish(b.baseUrl(), channel, t));
      expected.addAll(after);
      awaitReceived(expected);

      assertThat(browser.jsList("return window.received.map(m => m.offset)"))
          .containsExactlyElementsOf(
              IntStream.rangeClosed(1, 30).mapToObj(i -> (Object) (long) i).toList());
      List<Map<String, Object>> gaps =
          browser.jsMaps("return window.events.filter(e => e.type === 'gap')");
      assertThat(gaps).isEmpty();
      List<Object> reasons =
          browser.jsList(
              "return window.events.filter(e => e.type === 'disconnected').map(e => e.reason)");
      assertThat(reasons)
          .as("the end is a clean one: a 1001 with the hint, or herald.end")
          .anySatisfy(
              r ->
                  assertThat(String.valueOf(r))
                      .containsAnyOf(
                          "1001 ({\"reason\":\"draining\"", "ended the stream (draining)"));
      assertThat(browser.jsString("return window.herald.transport")).isEqualTo(transport);
      browser.open("about:blank");
    }
  }
}
