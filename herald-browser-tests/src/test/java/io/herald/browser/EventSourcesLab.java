package io.herald.browser;

import io.herald.server.HeraldServer;
import io.herald.server.h2.TestCertificates;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The lab (docs/BENCHMARKS.md, "HTTP/2"), not a test: it asserts nothing and CI does not run it (no
 * {@code IT} suffix). A Chromium page opens 20 {@code EventSource}s to one host, over HTTP/1.1
 * (plain port), over HTTP/2 (HTTPS, ALPN) and over HTTP/1.1 on HTTPS (Chromium with {@code
 * --disable-http2}); one message is then published; it prints how many streams opened, how many
 * received the message, the delay of each (receipt in the page minus the envelope's {@code time}),
 * and the connections the server held. Run: {@code mvn -B -o -pl herald-browser-tests -am verify
 * -Dtest=NoSuch -Dit.test=EventSourcesLab -Dsurefire.failIfNoSpecifiedTests=false}.
 */
@Timeout(180)
class EventSourcesLab {
  private static final int SOURCES = 20;

  @Test
  void twentyEventSourcesOverHttp11AndHttp2() throws Exception {
    Path dir = Files.createTempDirectory("herald-lab-");
    Path cert = dir.resolve("cert.pem");
    Path key = dir.resolve("key.pem");
    TestCertificates.generate(cert, key, "localhost");
    try (Browser browser = new Browser("--ignore-certificate-errors")) {
      try (HeraldServer plain = Servers.start(Servers.config())) {
        run(browser, plain, "HTTP/1.1", Http.CLIENT);
      }
      HttpClient tls =
          HttpClient.newBuilder()
              .version(HttpClient.Version.HTTP_1_1)
              .sslContext(TestCertificates.trusting(cert))
              .build();
      try (HeraldServer secure =
          Servers.start(Servers.config().tlsCertFile(cert).tlsKeyFile(key))) {
        run(browser, secure, "HTTP/2", tls);
      }
    }
    // HTTP/1.1 over TLS too, to tell what TLS costs from what HTTP/2 changes
    try (Browser browser = new Browser("--ignore-certificate-errors", "--disable-http2")) {
      HttpClient tls =
          HttpClient.newBuilder()
              .version(HttpClient.Version.HTTP_1_1)
              .sslContext(TestCertificates.trusting(cert))
              .build();
      try (HeraldServer secure =
          Servers.start(Servers.config().tlsCertFile(cert).tlsKeyFile(key))) {
        run(browser, secure, "HTTP/1.1 over TLS", tls);
      }
    }
  }

  private static void run(Browser browser, HeraldServer server, String label, HttpClient publisher)
      throws Exception {
    String channel = Http.channel("lab-sources");
    browser.open(server.baseUrl() + "/herald.js");
    String protocol =
        browser.jsString("return performance.getEntriesByType('navigation')[0].nextHopProtocol");
    long t0 = System.currentTimeMillis();
    browser.js(
        "window.got = []; window.opened = [];"
            + "for (let i = 0; i < arguments[1]; i++) {"
            + "  const es = new EventSource('/channels/' + arguments[0]);"
            + "  es.addEventListener('herald.subscribed', () => window.opened.push(Date.now()));"
            + "  es.onmessage = e => window.got.push({i: i, delay: Date.now() - JSON.parse(e.data).time});"
            + "}",
        channel,
        SOURCES);
    Thread.sleep(5000); // the lab: let every stream that can open, open
    long opened = browser.jsLong("return window.opened.length");
    long openedLast = browser.jsLong("return Math.max(...window.opened) - arguments[0]", t0);
    HttpResponse<String> r =
        publisher.send(
            HttpRequest.newBuilder(URI.create(server.baseUrl() + "/channels/" + channel))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"lab\":1}"))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    Thread.sleep(5000); // the lab: let every stream that can receive, receive
    List<Map<String, Object>> got = browser.jsMaps("return window.got");
    StringBuilder delays = new StringBuilder();
    got.stream()
        .sorted(
            (a, b) ->
                Long.compare(((Number) a.get("i")).longValue(), ((Number) b.get("i")).longValue()))
        .forEach(g -> delays.append(g.get("i")).append(':').append(g.get("delay")).append("ms "));
    System.out.printf(
        "LAB %s (page over %s, publish %d): %d of %d EventSources opened (last %d ms after"
            + " creating them), %d received the message; server connections %d; delay per source"
            + " %s%n",
        label,
        protocol,
        r.statusCode(),
        opened,
        SOURCES,
        openedLast,
        got.size(),
        server.connectionCount(),
        delays);
    browser.open("about:blank");
  }
}
