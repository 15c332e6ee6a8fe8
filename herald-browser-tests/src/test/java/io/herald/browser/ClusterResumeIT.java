package io.herald.browser;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.herald.redis.LoopbackRelay;
import io.herald.redis.RedisExtension;
import io.herald.server.HeraldServer;
import io.herald.server.LeakDetection;
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
 * herald.js behind a round-robin balancer over two nodes on one real Redis (issue 9): while
 * messages are published on both nodes, every connection is cut again and again, so the page
 * resumes each time on the other node with a position the first one has just handed it. It gets
 * every message once, in order, and reports no gap: nothing was lost.
 */
@Timeout(240)
@ExtendWith(LeakDetection.class)
class ClusterResumeIT {
  private static final int MESSAGES = 60;
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
    return Servers.startAndAwaitBroker(Servers.config().broker(redis.uri()));
  }

  @ParameterizedTest
  @ValueSource(strings = {"websocket", "sse", "long-poll", "short-poll"})
  void alternatingNodesDeliverEveryMessageOnceInOrderWithoutAGap(String transport) {
    String channel = Http.channel("balanced-" + transport);
    try (HeraldServer a = node();
        HeraldServer b = node();
        LoopbackRelay balancer = LoopbackRelay.to(a.port(), b.port()).resetOnCut().start()) {
      browser.openHarness(
          balancer.baseUrl()
              + "/test/harness.html?channel="
              + channel
              + "&transports="
              + transport
              + "&shortPollIntervalMs=20&wait=2",
          channel);
      List<String> sent = new ArrayList<>();
      for (int i = 1; i <= MESSAGES; i++) {
        String text = "m" + i;
        Http.publish((i % 2 == 0 ? a : b).baseUrl(), channel, text);
        sent.add(text);
        if (i % 3 == 0) {
          balancer.cutAll(); // the page comes back through the balancer: on the other node
        }
      }
      await()
          .atMost(Duration.ofSeconds(60))
          .until(() -> TransportDeliveryIT.receivedData(browser).size() >= MESSAGES);
      assertThat(TransportDeliveryIT.receivedData(browser)).containsExactlyElementsOf(sent);
      assertThat(browser.jsList("return window.received.map(m => m.offset)"))
          .containsExactlyElementsOf(
              IntStream.rangeClosed(1, MESSAGES).mapToObj(i -> (Object) (long) i).toList());
      List<Map<String, Object>> gaps =
          browser.jsMaps("return window.events.filter(e => e.type === 'gap')");
      assertThat(gaps).as("no gap: nothing was lost").isEmpty();
      browser.open("about:blank");
    }
  }
}
