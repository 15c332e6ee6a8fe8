package io.herald.browser;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.herald.redis.LoopbackRelay;
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
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Resume in a real browser, on each transport: after cut connections nothing is lost or repeated;
 * after a restart of an in-memory server (a new epoch: the old history is gone) the page reports
 * the reset as a gap and then gets every message of the new server, once, in order.
 */
@Timeout(180)
@ExtendWith(LeakDetection.class)
class ResumeIT {
  private static Browser browser;

  @BeforeAll
  static void start() {
    browser = Browser.start();
  }

  @AfterAll
  static void stop() {
    Servers.closeAll(browser);
  }

  private static List<String> texts(String prefix, int from, int to) {
    return IntStream.rangeClosed(from, to).mapToObj(i -> prefix + i).toList();
  }

  private static void publishAll(String base, String channel, List<String> texts) {
    for (String t : texts) {
      Http.publish(base, channel, t);
    }
  }

  private static void awaitReceived(List<String> expected) {
    await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> TransportDeliveryIT.receivedData(browser).size() >= expected.size());
    assertThat(TransportDeliveryIT.receivedData(browser)).containsExactlyElementsOf(expected);
  }

  private static List<Map<String, Object>> events(String type) {
    return browser.jsMaps("return window.events.filter(e => e.type === arguments[0])", type);
  }

  @ParameterizedTest
  @ValueSource(strings = {"websocket", "sse", "long-poll", "short-poll"})
  void cutConnectionsLoseNothingAndRepeatNothing(String transport) {
    String channel = Http.channel("cut-" + transport);
    try (HeraldServer server = Servers.start(Servers.config());
        LoopbackRelay proxy = LoopbackRelay.to(server.port()).resetOnCut().start()) {
      String base = server.baseUrl();
      TransportDeliveryIT.openHarness(browser, proxy.baseUrl(), channel, transport);
      List<String> expected = new ArrayList<>(texts("m", 1, 10));
      publishAll(base, channel, expected.subList(0, 10));
      awaitReceived(expected);
      for (int round = 1; round <= 2; round++) {
        proxy.cutAll();
        // published while the page is cut off: it must fetch them when it resumes
        List<String> more = texts("m", round * 10 + 1, round * 10 + 10);
        publishAll(base, channel, more);
        expected.addAll(more);
        awaitReceived(expected);
      }
      assertThat(browser.jsList("return window.received.map(m => m.offset)"))
          .containsExactlyElementsOf(
              IntStream.rangeClosed(1, 30).mapToObj(i -> (Object) (long) i).toList());
      assertThat(events("gap")).isEmpty();
      assertThat(browser.jsString("return window.herald.transport")).isEqualTo(transport);
      if (transport.equals("websocket") || transport.equals("sse")) {
        // (a poll cut in flight on a reused connection is retried by the browser itself, unseen)
        assertThat(events("disconnected")).as("the cut was noticed").isNotEmpty();
      }
      browser.open("about:blank");
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"websocket", "sse", "long-poll", "short-poll"})
  void restartedServerIsReportedAsAGapAndEveryNewMessageArrivesOnce(String transport) {
    String channel = Http.channel("restart-" + transport);
    List<String> expected = new ArrayList<>(texts("old ", 1, 10));
    int port;
    String oldEpoch;
    try (HeraldServer first = Servers.start(Servers.config())) {
      port = first.port();
      TransportDeliveryIT.openHarness(browser, first.baseUrl(), channel, transport);
      publishAll(first.baseUrl(), channel, expected);
      awaitReceived(expected);
      oldEpoch = browser.jsString("return window.received[0].epoch");
    }
    try (HeraldServer second = Servers.startOn(port, Servers.config())) {
      // published on the new server before the page is back: it must still get them
      List<String> early = texts("new ", 1, 5);
      publishAll(second.baseUrl(), channel, early);
      expected.addAll(early);
      await().atMost(Duration.ofSeconds(30)).until(() -> !events("gap").isEmpty());
      List<String> late = texts("new ", 6, 10);
      publishAll(second.baseUrl(), channel, late);
      expected.addAll(late);
      awaitReceived(expected);
      JsonNode head = Http.poll(second.baseUrl(), channel, "");
      String newEpoch = head.get("cursor").asText().split(":")[0];
      assertThat(newEpoch).isNotEqualTo(oldEpoch);
      List<Map<String, Object>> gaps = events("gap");
      assertThat(gaps).hasSize(1);
      assertThat(gaps.get(0))
          .containsEntry("reason", "not-recovered")
          .containsEntry("previous", oldEpoch + ":10")
          .containsEntry("position", newEpoch + ":0");
      assertThat(browser.jsString("return window.herald.position(arguments[0])", channel))
          .isEqualTo(newEpoch + ":10");
      assertThat(browser.jsString("return window.herald.transport")).isEqualTo(transport);
      browser.open("about:blank");
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"websocket", "sse"})
  void goingOfflineAndOnlineAgainResumesWithNothingLost(String transport) {
    String channel = Http.channel("offline-" + transport);
    try (HeraldServer server = Servers.start(Servers.config())) {
      String base = server.baseUrl();
      TransportDeliveryIT.openHarness(browser, base, channel, transport);
      List<String> expected = new ArrayList<>(texts("m", 1, 5));
      publishAll(base, channel, expected);
      awaitReceived(expected);
      browser.offline(true);
      await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> "offline".equals(browser.jsString("return window.herald.state")));
      List<String> more = texts("m", 6, 10);
      publishAll(base, channel, more);
      expected.addAll(more);
      browser.offline(false);
      awaitReceived(expected);
      assertThat(browser.jsString("return window.herald.state")).isEqualTo("connected");
      assertThat(events("disconnected")).extracting(e -> e.get("reason")).contains("offline");
      assertThat(events("gap")).isEmpty();
      browser.open("about:blank");
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"websocket", "sse", "long-poll", "short-poll"})
  void historyDroppedWhileAwayIsReportedAsAGapNeverAsAHole(String transport) {
    String channel = Http.channel("trimmed-" + transport);
    try (HeraldServer server = Servers.start(Servers.config().historySize(5))) {
      String base = server.baseUrl();
      TransportDeliveryIT.openHarness(browser, base, channel, transport);
      List<String> expected = new ArrayList<>(texts("m", 1, 5));
      publishAll(base, channel, expected);
      awaitReceived(expected);
      String epoch = browser.jsString("return window.received[0].epoch");
      browser.offline(true);
      await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> "offline".equals(browser.jsString("return window.herald.state")));
      publishAll(
          base, channel, texts("m", 6, 15)); // the history keeps 11 to 15 only: 6 to 10 are gone
      browser.offline(false);
      await().atMost(Duration.ofSeconds(20)).until(() -> !events("gap").isEmpty());
      List<String> later = texts("m", 16, 20);
      publishAll(base, channel, later);
      expected.addAll(later);
      awaitReceived(expected);
      List<Map<String, Object>> gaps = events("gap");
      assertThat(gaps).hasSize(1);
      assertThat(gaps.get(0))
          .containsEntry("reason", "not-recovered")
          .containsEntry("previous", epoch + ":5")
          .containsEntry("position", epoch + ":15");
      browser.open("about:blank");
    }
  }
}
