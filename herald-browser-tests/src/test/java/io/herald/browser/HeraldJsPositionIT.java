package io.herald.browser;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * herald.js in a real browser never moves a position backwards, and a gap only ever moves it
 * forwards, even when a node answers from a local log that lags the channel's (what a Herald node
 * did before issue 9's fix: "not recovered", one message behind). The server is a real HTTP server
 * on a real socket that serves herald.js and the test harness and plays back such a node's poll
 * answers in order, recording the {@code since} of every poll.
 */
@Timeout(120)
class HeraldJsPositionIT {
  private static Browser browser;
  private HttpServer server;
  private final List<String> sinces = new CopyOnWriteArrayList<>();

  @BeforeAll
  static void start() {
    browser = Browser.start();
  }

  @AfterAll
  static void stop() {
    Servers.closeAll(browser);
  }

  @AfterEach
  void stopServer() {
    browser.open("about:blank");
    if (server != null) {
      server.stop(0);
    }
  }

  private static String envelope(long offset) {
    return "{\"channel\":\"c\",\"offset\":"
        + offset
        + ",\"epoch\":\"e1\",\"event\":\"message\",\"data\":\"m"
        + offset
        + "\",\"time\":"
        + offset
        + "}";
  }

  private static String answer(String cursor, boolean recovered, long... offsets) {
    List<String> messages = new ArrayList<>();
    for (long o : offsets) {
      messages.add(envelope(o));
    }
    return "{\"messages\":["
        + String.join(",", messages)
        + "],\"cursor\":\""
        + cursor
        + "\",\"recovered\":"
        + recovered
        + "}";
  }

  private static void send(HttpExchange exchange, String type, byte[] body) throws IOException {
    exchange.getResponseHeaders().set("Content-Type", type);
    exchange.getResponseHeaders().set("Cache-Control", "no-store");
    exchange.sendResponseHeaders(200, body.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(body);
    }
  }

  private static byte[] resource(String path) throws IOException {
    try (InputStream in = HeraldJsPositionIT.class.getResourceAsStream(path)) {
      assertThat(in).as(path + " on the test classpath").isNotNull();
      return in.readAllBytes();
    }
  }

  /**
   * Serves herald.js, the harness, {@code /health}, and {@code answers} to successive polls of
   * channel {@code c}; once they run out, the last one again.
   */
  private String serve(List<String> answers) throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    byte[] heraldJs = resource("/static/herald.js");
    byte[] harness = resource("/static/test/harness.html");
    server.createContext("/herald.js", e -> send(e, "text/javascript; charset=utf-8", heraldJs));
    server.createContext("/test/harness.html", e -> send(e, "text/html; charset=utf-8", harness));
    server.createContext(
        "/health",
        e -> send(e, "application/json", "{\"status\":\"ok\"}".getBytes(StandardCharsets.UTF_8)));
    server.createContext(
        "/channels/",
        exchange -> {
          String query = exchange.getRequestURI().getRawQuery();
          String since = "";
          for (String part : query == null ? new String[0] : query.split("&")) {
            if (part.startsWith("since=")) {
              since = URLDecoder.decode(part.substring(6), StandardCharsets.UTF_8);
            }
          }
          int n;
          synchronized (sinces) {
            sinces.add(since);
            n = sinces.size();
          }
          send(
              exchange,
              "application/json",
              answers.get(Math.min(n, answers.size()) - 1).getBytes(StandardCharsets.UTF_8));
        });
    server.start();
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  private void openHarness(String base, String since) {
    browser.openHarness(
        base
            + "/test/harness.html?channel=c&transports=short-poll&shortPollIntervalMs=20&since="
            + since);
  }

  private static List<Map<String, Object>> gaps() {
    return browser.jsMaps("return window.events.filter(e => e.type === 'gap')");
  }

  @Test
  void aLaggingNodesAnswerNeitherMovesThePositionBackNorRepeatsNorReportsAGap() throws Exception {
    String base =
        serve(
            List.of(
                answer("e1:3", true, 3), // since e1:2
                answer("e1:2", false), // a lagging node: "not recovered", one behind
                answer("e1:4", true, 3, 4), // a node that replays 3 as well
                answer("e1:8", false), // a true gap: 5..8 were dropped
                answer("e1:9", true, 9),
                answer("e1:9", true)));
    openHarness(base, "e1:2");
    await().atMost(Duration.ofSeconds(20)).until(() -> sinces.size() >= 7);
    assertThat(List.copyOf(sinces).subList(0, 6))
        .containsExactly("e1:2", "e1:3", "e1:3", "e1:4", "e1:8", "e1:9");
    assertThat(browser.jsList("return window.received.map(m => m.offset)"))
        .containsExactly(3L, 4L, 9L);
    List<Map<String, Object>> gaps = gaps();
    assertThat(gaps).hasSize(1);
    assertThat(gaps.get(0))
        .containsEntry("reason", "not-recovered")
        .containsEntry("previous", "e1:4")
        .containsEntry("position", "e1:8");
    assertThat(browser.jsString("return window.herald.position('c')")).isEqualTo("e1:9");
  }

  @Test
  void theFirstAnswerJudgesAPositionTheApplicationGave() throws Exception {
    // e1:9 is ahead of the channel's head (e1:4): not recovered, continues from the head.
    String base =
        serve(
            List.of(
                answer("e1:4", false),
                answer("e1:5", true, 5),
                answer("e1:4", false), // later, a lagging node: ignored
                answer("e1:6", true, 6),
                answer("e1:6", true)));
    openHarness(base, "e1:9");
    await().atMost(Duration.ofSeconds(20)).until(() -> sinces.size() >= 6);
    assertThat(List.copyOf(sinces).subList(0, 5))
        .containsExactly("e1:9", "e1:4", "e1:5", "e1:5", "e1:6");
    assertThat(browser.jsList("return window.received.map(m => m.offset)")).containsExactly(5L, 6L);
    List<Map<String, Object>> gaps = gaps();
    assertThat(gaps).hasSize(1);
    assertThat(gaps.get(0)).containsEntry("previous", "e1:9").containsEntry("position", "e1:4");
  }
}
