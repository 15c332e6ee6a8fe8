package io.herald.browser;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.herald.core.Transport;
import io.herald.server.HeraldServer;
import io.herald.server.LeakDetection;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The ladder: with the full ladder allowed, herald.js uses the best rung the server serves. The
 * server refuses rungs by a test setting ({@code disabledTransports}); the client falls to the next
 * one, delivers there, and climbs back when the rung works again.
 */
@Timeout(150)
@ExtendWith(LeakDetection.class)
class LadderIT {
  private static Browser browser;

  @BeforeAll
  static void start() {
    browser = Browser.start();
  }

  @AfterAll
  static void stop() {
    Servers.closeAll(browser);
  }

  private static List<Object> transportEvents() {
    return browser.jsList(
        "return window.events.filter(e => e.type === 'transport').map(e => e.transport)");
  }

  private static void deliversOn(String base, String channel, String transport) {
    await()
        .atMost(Duration.ofSeconds(30))
        .until(
            () ->
                "connected".equals(browser.jsString("return window.herald.state"))
                    && transport.equals(browser.jsString("return window.herald.transport"))
                    && browser.js("return window.herald.position(arguments[0])", channel) != null);
    Http.publish(base, channel, "on " + transport);
    await()
        .atMost(Duration.ofSeconds(15))
        .until(() -> TransportDeliveryIT.receivedData(browser).contains("on " + transport));
    assertThat(browser.jsList("return window.received.map(m => m.transport)"))
        .containsOnly(transport);
  }

  private static void fallsTo(EnumSet<Transport> refused, String expected, List<String> path) {
    try (HeraldServer server = Servers.start(Servers.config().disabledTransports(refused))) {
      String channel = Http.channel("ladder-" + expected);
      browser.open(server.baseUrl() + "/test/harness.html?channel=" + channel);
      deliversOn(server.baseUrl(), channel, expected);
      assertThat(transportEvents()).containsExactlyElementsOf(path);
      browser.open("about:blank"); // closes the page's connections before the server goes
    }
  }

  @Test
  void usesWebSocketWhenTheServerServesEveryRung() {
    fallsTo(EnumSet.noneOf(Transport.class), "websocket", List.of("websocket"));
  }

  @Test
  void fallsToSseWhenWebSocketUpgradesAreRefused() {
    fallsTo(EnumSet.of(Transport.WEBSOCKET), "sse", List.of("websocket", "sse"));
  }

  @Test
  void fallsToLongPollingWhenSseIsRefusedToo() {
    fallsTo(
        EnumSet.of(Transport.WEBSOCKET, Transport.SSE),
        "long-poll",
        List.of("websocket", "sse", "long-poll"));
  }

  @Test
  void fallsToShortPollingWhenLongPollingIsRefusedToo() {
    fallsTo(
        EnumSet.of(Transport.WEBSOCKET, Transport.SSE, Transport.LONG_POLL),
        "short-poll",
        List.of("websocket", "sse", "long-poll", "short-poll"));
  }

  @Test
  void remembersTheFailedRungAndClimbsBackWhenItWorksAgain() {
    String channel = Http.channel("climb");
    int port;
    try (HeraldServer refusing =
        Servers.start(Servers.config().disabledTransports(EnumSet.of(Transport.WEBSOCKET)))) {
      port = refusing.port();
      browser.open(
          refusing.baseUrl()
              + "/test/harness.html?channel="
              + channel
              + "&climbIntervalMs=1500&rememberFailureMs=1000");
      deliversOn(refusing.baseUrl(), channel, "sse");
      Map<String, Object> memory =
          cast(
              browser.js(
                  "return JSON.parse(localStorage.getItem('herald.ladder:' + location.origin))"));
      assertThat(memory).containsKey("websocket");
      // the server restarts on the same port with WebSocket served again: the client climbs back
    }
    try (HeraldServer serving = Servers.startOn(port, Servers.config())) {
      await()
          .atMost(Duration.ofSeconds(30))
          .until(
              () ->
                  "websocket".equals(browser.jsString("return window.herald.transport"))
                      && "connected".equals(browser.jsString("return window.herald.state"))
                      && browser.js("return window.herald.position(arguments[0])", channel)
                          != null);
      Http.publish(serving.baseUrl(), channel, "after the climb");
      await()
          .atMost(Duration.ofSeconds(15))
          .until(() -> TransportDeliveryIT.receivedData(browser).contains("after the climb"));
      assertThat(transportEvents()).startsWith("websocket", "sse").endsWith("websocket");
      browser.open("about:blank");
    }
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> cast(Object o) {
    return (Map<String, Object>) o;
  }
}
