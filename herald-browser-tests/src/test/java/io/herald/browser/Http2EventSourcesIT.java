package io.herald.browser;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.herald.server.HeraldServer;
import io.herald.server.LeakDetection;
import io.herald.server.h2.TestCertificates;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Over HTTPS, Chromium speaks HTTP/2 to Herald (ALPN), so one page holds 20 {@code EventSource}s to
 * one host on one connection, past the 6 connections per host that HTTP/1.1 allows, and every one
 * of them receives a message published from the same page (PROTOCOL.md section 13). The test
 * certificate is self-signed, so Chromium runs with {@code --ignore-certificate-errors}.
 */
@Timeout(120)
@ExtendWith(LeakDetection.class)
class Http2EventSourcesIT {
  private static final int SOURCES = 20;
  private static Browser browser;
  private static Path dir;

  @BeforeAll
  static void start() throws Exception {
    browser = Browser.start("--ignore-certificate-errors");
    dir = Files.createTempDirectory("herald-h2-browser-");
  }

  @AfterAll
  static void stop() throws Exception {
    if (browser != null) {
      browser.close();
    }
    try (var files = Files.walk(dir)) {
      files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"websocket", "sse", "long-poll", "short-poll"})
  void heraldJsOverHttpsDeliversOnEveryTransport(String transport) throws Exception {
    Path cert = dir.resolve(transport + "-cert.pem");
    Path key = dir.resolve(transport + "-key.pem");
    TestCertificates.generate(cert, key, "localhost");
    try (HeraldServer server = Servers.start(Servers.config().tlsCertFile(cert).tlsKeyFile(key))) {
      String channel = Http.channel("https-" + transport);
      TransportDeliveryIT.openHarness(browser, server.baseUrl(), channel, transport);
      // the page and its HTTP requests over HTTP/2; a WebSocket on a connection of its own
      assertThat(
              browser.jsString(
                  "return performance.getEntriesByType('navigation')[0].nextHopProtocol"))
          .isEqualTo("h2");
      await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> "connected".equals(browser.jsString("return window.herald.state")));
      for (int i = 1; i <= 3; i++) {
        Object answer =
            browser.jsAsync(
                "const done = arguments[arguments.length - 1];"
                    + "window.herald.publish(arguments[0], {n: arguments[1]})"
                    + ".then(r => done(JSON.stringify(r)), e => done('failed: ' + e.message));",
                channel,
                i);
        assertThat(String.valueOf(answer)).contains("\"offset\":" + i);
      }
      await()
          .atMost(Duration.ofSeconds(15))
          .until(() -> TransportDeliveryIT.receivedData(browser).size() >= 3);
      assertThat(TransportDeliveryIT.receivedData(browser))
          .containsExactly("{\"n\":1}", "{\"n\":2}", "{\"n\":3}");
      assertThat(browser.jsString("return window.herald.transport")).isEqualTo(transport);
      browser.open("about:blank");
    }
  }

  @Test
  void twentyEventSourcesOnOnePageAllReceiveAMessageOverOneHttp2Connection() throws Exception {
    Path cert = dir.resolve("cert.pem");
    Path key = dir.resolve("key.pem");
    TestCertificates.generate(cert, key, "localhost");
    try (HeraldServer server = Servers.start(Servers.config().tlsCertFile(cert).tlsKeyFile(key))) {
      String channel = Http.channel("h2-sources");
      browser.open(server.baseUrl() + "/herald.js"); // a page of the server with no subscription
      assertThat(
              browser.jsString(
                  "return performance.getEntriesByType('navigation')[0].nextHopProtocol"))
          .isEqualTo("h2");
      browser.js(
          "window.got = []; window.opened = 0;"
              + "for (let i = 0; i < arguments[1]; i++) {"
              + "  const es = new EventSource('/channels/' + arguments[0]);"
              + "  es.addEventListener('herald.subscribed', () => window.opened++);"
              + "  es.onmessage = e => window.got.push(i + ':' + e.data);"
              + "}",
          channel,
          SOURCES);
      await()
          .atMost(Duration.ofSeconds(30))
          .until(() -> browser.jsLong("return window.opened") == SOURCES);
      assertThat(server.hub().subscriberCount()).isEqualTo(SOURCES);
      browser.jsAsync(
          "const done = arguments[arguments.length - 1];"
              + "fetch('/channels/' + arguments[0], {method: 'POST',"
              + " headers: {'Content-Type': 'application/json'}, body: '{\"hello\":\"h2\"}'})"
              + ".then(r => done(r.status));",
          channel);
      await()
          .atMost(Duration.ofSeconds(30))
          .until(() -> browser.jsLong("return window.got.length") == SOURCES);
      List<Object> got = browser.jsList("return window.got");
      assertThat(got)
          .hasSize(SOURCES)
          .allSatisfy(g -> assertThat(g.toString()).contains("\"hello\":\"h2\""));
      // the page, the 20 streams and the publication shared a connection: over HTTP/1.1 Chromium
      // would need 21 and allows 6 per host; it may open one spare socket besides (seen once)
      assertThat(server.connectionCount()).isBetween(1, 2);
      browser.open("about:blank");
    }
  }
}
