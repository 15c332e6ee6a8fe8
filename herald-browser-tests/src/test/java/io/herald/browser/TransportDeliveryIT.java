package io.herald.browser;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.herald.server.HeraldServer;
import io.herald.server.LeakDetection;
import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * herald.js on each transport, forced with its {@code transports} option: what is published over
 * HTTP shows up in the page, in order and once; what the page publishes reaches an HTTP subscriber.
 */
@Timeout(120)
@ExtendWith(LeakDetection.class)
class TransportDeliveryIT {
  private static HeraldServer server;
  private static Browser browser;
  private static String base;

  @BeforeAll
  static void start() {
    server = Servers.start(Servers.config());
    base = server.baseUrl();
    browser = Browser.start();
  }

  @AfterAll
  static void stop() {
    Servers.closeAll(browser, server);
  }

  /**
   * Opens the harness on {@code channel} with only {@code transport} allowed and waits until the
   * subscription stands.
   */
  static void openHarness(Browser browser, String base, String channel, String transports) {
    browser.openHarness(
        base + "/test/harness.html?channel=" + channel + "&transports=" + transports, channel);
  }

  static List<String> receivedData(Browser browser) {
    return browser.jsList("return window.received.map(m => m.data)").stream()
        .map(String::valueOf)
        .collect(Collectors.toList());
  }

  @ParameterizedTest
  @ValueSource(strings = {"websocket", "sse", "long-poll", "short-poll"})
  void messagesPublishedOverHttpShowUpInThePageInOrderOnce(String transport) {
    String channel = Http.channel("to-page-" + transport);
    openHarness(browser, base, channel, transport);
    List<String> sent =
        IntStream.rangeClosed(1, 20).mapToObj(i -> transport + " message " + i).toList();
    for (String text : sent) {
      Http.publish(base, channel, text);
    }
    await().atMost(Duration.ofSeconds(15)).until(() -> receivedData(browser).size() >= sent.size());
    assertThat(receivedData(browser)).containsExactlyElementsOf(sent);
    assertThat(browser.jsList("return window.received.map(m => m.offset)"))
        .containsExactlyElementsOf(
            IntStream.rangeClosed(1, 20).mapToObj(i -> (Object) (long) i).toList());
    assertThat(browser.jsString("return window.herald.transport")).isEqualTo(transport);
    assertThat(browser.jsList("return [...new Set(window.received.map(m => m.transport))]"))
        .containsExactly(transport);
    assertThat(browser.gapsAndErrors()).isEmpty();
  }

  @ParameterizedTest
  @ValueSource(strings = {"websocket", "sse", "long-poll", "short-poll"})
  void aMessagePublishedFromThePageReachesAnHttpSubscriber(String transport) {
    String channel = Http.channel("from-page-" + transport);
    openHarness(browser, base, channel, transport);
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> "connected".equals(browser.jsString("return window.herald.state")));
    String cursor = Http.poll(base, channel, "").get("cursor").asText();
    Object answer =
        browser.jsAsync(
            "const done = arguments[arguments.length - 1];"
                + "window.herald.publish(arguments[0], {text: 'from the page over ' + arguments[1]})"
                + ".then(r => done(JSON.stringify(r)), e => done('failed: ' + e.message));",
            channel,
            transport);
    JsonNode published = Http.parse(String.valueOf(answer));
    assertThat(published.get("channel").asText()).isEqualTo(channel);
    assertThat(published.get("offset").asLong()).isEqualTo(1);
    JsonNode poll = Http.poll(base, channel, cursor);
    assertThat(Http.data(poll))
        .containsExactly("{\"text\":\"from the page over " + transport + "\"}");
    assertThat(poll.get("messages").get(0).get("epoch").asText())
        .isEqualTo(published.get("epoch").asText());
    // and the page gets its own message back, once
    await().atMost(Duration.ofSeconds(10)).until(() -> receivedData(browser).size() == 1);
    assertThat(receivedData(browser))
        .containsExactly("{\"text\":\"from the page over " + transport + "\"}");
  }

  @ParameterizedTest
  @ValueSource(strings = {"websocket", "sse"})
  void manySubscriptionsShareOneConnectionAndUnsubscribeStopsDelivery(String transport) {
    String a = Http.channel("share-a-" + transport);
    String b = Http.channel("share-b-" + transport);
    String c = Http.channel("share-c-" + transport);
    openHarness(browser, base, a, transport);
    browser.js("window.subscribe(arguments[0]); window.subscribe(arguments[1]);", b, c);
    await()
        .atMost(Duration.ofSeconds(15))
        .until(
            () ->
                browser.js(
                        "return window.herald.position(arguments[0]) && window.herald.position(arguments[1])",
                        b,
                        c)
                    != null);
    Http.publish(base, a, "to a");
    Http.publish(base, b, "to b");
    Http.publish(base, c, "to c");
    await().atMost(Duration.ofSeconds(15)).until(() -> receivedData(browser).size() >= 3);
    assertThat(receivedData(browser)).containsExactlyInAnyOrder("to a", "to b", "to c");
    List<Object> live = browser.jsList("return window.liveSockets()");
    assertThat(live).as("open connections").hasSize(1);
    if (transport.equals("sse")) {
      assertThat(String.valueOf(live.get(0))).contains("/channels/" + a + "," + b + "," + c);
    } else {
      assertThat(String.valueOf(live.get(0))).endsWith("/ws?binary=1");
    }
    browser.js("window.subs[arguments[0]].unsubscribe()", b);
    if (transport.equals("sse")) {
      await()
          .atMost(Duration.ofSeconds(15))
          .until(
              () -> {
                List<Object> now = browser.jsList("return window.liveSockets()");
                return now.size() == 1
                    && String.valueOf(now.get(0)).contains("/channels/" + a + "," + c + "?since=");
              });
      await()
          .atMost(Duration.ofSeconds(15))
          .until(() -> "connected".equals(browser.jsString("return window.herald.state")));
    }
    Http.publish(base, b, "to b after unsubscribe");
    Http.publish(base, a, "to a again");
    Http.publish(base, c, "to c again");
    await().atMost(Duration.ofSeconds(15)).until(() -> receivedData(browser).size() >= 5);
    assertThat(receivedData(browser))
        .containsExactlyInAnyOrder("to a", "to b", "to c", "to a again", "to c again");
    assertThat(browser.jsList("return window.liveSockets()")).hasSize(1);
  }
}
