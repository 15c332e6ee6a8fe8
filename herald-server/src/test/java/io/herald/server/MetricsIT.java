package io.herald.server;

import static io.herald.server.TestClients.channel;
import static io.herald.server.TestClients.get;
import static io.herald.server.TestClients.json;
import static io.herald.server.TestClients.publish;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * {@code GET /metrics} over real sockets: the counters move by exactly the traffic sent (publishes
 * over HTTP and WebSocket, deliveries per transport, poll answers by kind, refusals by code,
 * connects and disconnects), the names follow Prometheus conventions, the Grafana dashboard uses
 * only names the server exposes, and the settings turn the endpoint off or behind an API key.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
@ExtendWith(LeakDetection.class)
class MetricsIT {
  private static final Pattern SAMPLE =
      Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{[^}]*\\})? (\\S+)$");

  /** The samples of one scrape, by {@code name{labels}} exactly as written, labels sorted. */
  record Scrape(String text, Map<String, Double> samples) {
    static Scrape of(String base) {
      HttpResponse<String> r = get(base + "/metrics");
      assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
      assertThat(r.headers().firstValue("Content-Type").orElse(""))
          .startsWith("text/plain; version=0.0.4");
      Map<String, Double> samples = new HashMap<>();
      for (String line : r.body().split("\n")) {
        Matcher m = SAMPLE.matcher(line);
        if (!line.startsWith("#") && m.matches()) {
          samples.put(m.group(1) + sortedLabels(m.group(2)), Double.parseDouble(m.group(3)));
        }
      }
      return new Scrape(r.body(), samples);
    }

    double value(String name, String... labels) {
      return samples.getOrDefault(name + sortedLabels(labels), 0.0);
    }

    Set<String> names() {
      Set<String> names = new TreeSet<>();
      for (String k : samples.keySet()) {
        int brace = k.indexOf('{');
        names.add(brace < 0 ? k : k.substring(0, brace));
      }
      return names;
    }
  }

  private static String sortedLabels(String braces) {
    if (braces == null || braces.equals("{}")) {
      return "";
    }
    List<String> parts =
        new ArrayList<>(List.of(braces.substring(1, braces.length() - 1).split(",")));
    parts.removeIf(String::isEmpty);
    parts.sort(null);
    return "{" + String.join(",", parts) + "}";
  }

  private static String sortedLabels(String... labels) {
    List<String> parts = new ArrayList<>();
    for (int i = 0; i < labels.length; i += 2) {
      parts.add(labels[i] + "=\"" + labels[i + 1] + "\"");
    }
    return labels.length == 0 ? "" : sortedLabels("{" + String.join(",", parts) + "}");
  }

  private static double delta(Scrape before, Scrape after, String name, String... labels) {
    return after.value(name, labels) - before.value(name, labels);
  }

  /** How much a metric (with these label name/value pairs) moved between two given scrapes. */
  @FunctionalInterface
  private interface Delta {
    double of(String name, String... labels);
  }

  @Test
  void countersMoveByExactlyTheTrafficSent() throws Exception {
    int httpPublishes = 5;
    int wsPublishes = 3;
    int total = httpPublishes + wsPublishes;
    try (HeraldServer server = HeraldServer.start(ServerConfig.builder().port(0).build())) {
      String base = server.baseUrl();
      String ws = base.replace("http", "ws");
      String ch = channel("metrics");
      Scrape start = Scrape.of(base);
      JsonNode head = publish(base, ch, "0"); // makes the channel; its cursor is the polls' start
      String since = head.get("epoch").asText() + ":" + head.get("offset").asLong();

      try (TestClients.Sse sse = new TestClients.Sse(base + "/channels/" + ch + "?since=" + since);
          TestClients.Ws sub = new TestClients.Ws(ws + "/channels/" + ch + "?since=" + since);
          TestClients.Ws pub = new TestClients.Ws(ws + "/ws")) {
        assertThat(sse.nextEvent()).contains("herald.subscribed");
        assertThat(sub.next().get("type").asText()).isEqualTo("subscribed");
        Scrape before = Scrape.of(base);
        assertThat(before.value("herald_connections", "transport", "sse")).isEqualTo(1);
        assertThat(before.value("herald_connections", "transport", "websocket")).isEqualTo(2);
        assertThat(before.value("herald_subscriptions", "transport", "sse")).isEqualTo(1);
        assertThat(before.value("herald_subscriptions", "transport", "websocket")).isEqualTo(1);

        for (int i = 1; i <= httpPublishes; i++) {
          publish(base, ch, "{\"n\":" + i + "}");
        }
        for (int i = 1; i <= wsPublishes; i++) {
          pub.send(
              "{\"type\":\"publish\",\"id\":"
                  + i
                  + ",\"channel\":\""
                  + ch
                  + "\",\"data\":"
                  + i
                  + "}");
          assertThat(pub.next().get("type").asText()).isEqualTo("published");
        }
        for (int i = 0; i < total; i++) {
          assertThat(sub.next().get("type").asText()).isEqualTo("message");
          assertThat(sse.nextEvent()).contains("data: ");
        }
        // polls: one short poll with every message, one with none, one long poll that waits out
        HttpResponse<String> first = get(base + "/channels/" + ch + "?since=" + since);
        JsonNode poll = json(first.body());
        assertThat(poll.get("messages")).hasSize(total);
        // the same poll again with the answer's ETag: 304, nothing delivered again
        String etag = first.headers().firstValue("ETag").orElseThrow();
        assertThat(
                get(base + "/channels/" + ch + "?since=" + since, "If-None-Match", etag)
                    .statusCode())
            .isEqualTo(304);
        String cursor = poll.get("cursor").asText();
        assertThat(json(get(base + "/channels/" + ch + "?since=" + cursor).body()).get("messages"))
            .isEmpty();
        assertThat(
                json(get(base + "/channels/" + ch + "?wait=1&since=" + cursor).body())
                    .get("messages"))
            .isEmpty();
        // a position of another epoch: recovered:false, cause epoch
        assertThat(
                json(get(base + "/channels/" + ch + "?since=zzzz:1").body())
                    .get("recovered")
                    .asBoolean())
            .isFalse();
        // refusals: two HTTP 400s, one WebSocket error frame
        assertThat(get(base + "/channels/" + ch + "?since=bad!").statusCode()).isEqualTo(400);
        assertThat(
                TestClients.post(base + "/channels/a,b", "application/json", "1".getBytes())
                    .statusCode())
            .isEqualTo(400);
        pub.send("{\"type\":\"nonsense\",\"id\":7}");
        assertThat(pub.next().get("error").get("code").asText()).isEqualTo("invalid_request");

        Scrape after = Scrape.of(base);
        Delta moved = (name, labels) -> delta(before, after, name, labels);
        assertThat(
                moved.of("herald_publications_total", "outcome", "published", "transport", "http"))
            .isEqualTo(httpPublishes);
        assertThat(
                moved.of(
                    "herald_publications_total", "outcome", "published", "transport", "websocket"))
            .isEqualTo(wsPublishes);
        assertThat(moved.of("herald_broker_publish_seconds_count")).isEqualTo(total);
        assertThat(moved.of("herald_deliveries_total", "transport", "websocket")).isEqualTo(total);
        assertThat(moved.of("herald_deliveries_total", "transport", "sse")).isEqualTo(total);
        assertThat(moved.of("herald_deliveries_total", "transport", "short_poll")).isEqualTo(total);
        assertThat(moved.of("herald_deliveries_total", "transport", "long_poll")).isEqualTo(0);
        assertThat(
                moved.of(
                    "herald_poll_answers_total", "kind", "messages", "transport", "short_poll"))
            .isEqualTo(1);
        assertThat(
                moved.of(
                    "herald_poll_answers_total", "kind", "not_modified", "transport", "short_poll"))
            .isEqualTo(1);
        // the other epoch's poll answers at the head: empty
        assertThat(
                moved.of("herald_poll_answers_total", "kind", "empty", "transport", "short_poll"))
            .isEqualTo(2);
        assertThat(moved.of("herald_poll_answers_total", "kind", "empty", "transport", "long_poll"))
            .isEqualTo(1);
        assertThat(moved.of("herald_recovery_failures_total", "cause", "epoch")).isEqualTo(1);
        assertThat(moved.of("herald_refusals_total", "code", "invalid_cursor", "via", "http"))
            .isEqualTo(1);
        assertThat(moved.of("herald_refusals_total", "code", "invalid_channel", "via", "http"))
            .isEqualTo(1);
        assertThat(moved.of("herald_refusals_total", "code", "invalid_request", "via", "websocket"))
            .isEqualTo(1);
        assertThat(moved.of("herald_sent_bytes_total")).isPositive();
        assertThat(delta(start, after, "herald_connects_total", "transport", "websocket"))
            .isEqualTo(2);
        assertThat(delta(start, after, "herald_connects_total", "transport", "sse")).isEqualTo(1);
        assertThat(after.value("herald_channels_active")).isGreaterThanOrEqualTo(1);
        assertThat(after.value("herald_history_bytes")).isPositive();

        // disconnects: the WebSocket subscriber closes with 1000, the SSE client drops its socket
        sub.socket.sendClose(1000, "bye").join();
        sse.close();
        await()
            .atMost(Duration.ofSeconds(20))
            .untilAsserted(
                () -> {
                  Scrape now = Scrape.of(base);
                  assertThat(
                          delta(
                              before,
                              now,
                              "herald_disconnects_total",
                              "code",
                              "1000",
                              "reason",
                              "client",
                              "transport",
                              "websocket"))
                      .isEqualTo(1);
                  assertThat(
                          delta(
                              before,
                              now,
                              "herald_disconnects_total",
                              "code",
                              "none",
                              "reason",
                              "lost",
                              "transport",
                              "sse"))
                      .isEqualTo(1);
                  assertThat(now.value("herald_connections", "transport", "sse")).isEqualTo(0);
                });
      }
    }
  }

  @Test
  void sseStreamsOverHttp2CountAsSseConnectionsAndSubscriptions() throws Exception {
    try (HeraldServer server = HeraldServer.start(ServerConfig.builder().port(0).build());
        io.herald.server.h2.NettyH2Client h2c =
            new io.herald.server.h2.NettyH2Client(server.address())) {
      String ch = channel("metrics-h2");
      List<io.herald.server.h2.NettyH2Client.Stream> streams = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        io.herald.server.h2.NettyH2Client.Stream sse =
            h2c.get("/channels/" + ch, "accept", "text/event-stream");
        assertThat(sse.nextEvent(Duration.ofSeconds(20))).contains("herald.subscribed");
        streams.add(sse);
      }
      // three SSE streams on one HTTP/2 connection, plus the scrape's own HTTP/1.1 connection
      Scrape during = Scrape.of(server.baseUrl());
      assertThat(during.value("herald_connections", "transport", "sse")).isEqualTo(3);
      assertThat(during.value("herald_subscriptions", "transport", "sse")).isEqualTo(3);
      assertThat(during.value("herald_connections", "transport", "http")).isEqualTo(2);
      publish(server.baseUrl(), ch, "1");
      for (io.herald.server.h2.NettyH2Client.Stream sse : streams) {
        assertThat(sse.nextEvent(Duration.ofSeconds(20))).contains("data: ");
      }
      assertThat(
              delta(
                  during,
                  Scrape.of(server.baseUrl()),
                  "herald_deliveries_total",
                  "transport",
                  "sse"))
          .isEqualTo(3);
      h2c.connection().close().sync(); // the client goes away: its streams end
      await()
          .atMost(Duration.ofSeconds(20))
          .untilAsserted(
              () -> {
                Scrape now = Scrape.of(server.baseUrl());
                assertThat(now.value("herald_connections", "transport", "sse")).isZero();
                assertThat(now.value("herald_subscriptions", "transport", "sse")).isZero();
              });
    }
  }

  @Test
  void namesFollowPrometheusConventions() throws Exception {
    try (HeraldServer server = HeraldServer.start(ServerConfig.builder().port(0).build())) {
      String text = Scrape.of(server.baseUrl()).text();
      Pattern type = Pattern.compile("^# TYPE (\\S+) (\\S+)$", Pattern.MULTILINE);
      Matcher m = type.matcher(text);
      int herald = 0;
      while (m.find()) {
        String name = m.group(1);
        String kind = m.group(2);
        assertThat(name).as("snake_case").matches("[a-z][a-z0-9_]*");
        assertThat(name)
            .as("base units")
            .doesNotContain("millis")
            .doesNotContain("_ms")
            .doesNotContain("_ns");
        if (kind.equals("counter")) {
          assertThat(name).as("a counter ends in _total").endsWith("_total");
        }
        if (name.startsWith("herald_")) {
          herald++;
          if (kind.equals("histogram")) {
            assertThat(name).as("a histogram of time is in seconds").endsWith("_seconds");
          }
        }
      }
      assertThat(herald).isGreaterThanOrEqualTo(20);
      for (String required :
          List.of(
              "jvm_memory_used_bytes",
              "jvm_gc_memory_allocated_bytes_total",
              "process_cpu_seconds_total",
              "jvm_threads_live_threads",
              "process_cpu_usage",
              "herald_netty_direct_memory_bytes",
              "herald_pubsub_lag_seconds",
              "herald_redis_reconnects_total",
              "herald_polls_parked",
              "herald_queued_bytes")) {
        assertThat(text).contains("# TYPE " + required);
      }
    }
  }

  @Test
  void everyDashboardQueryUsesMetricsTheServerExposes() throws Exception {
    Path dashboard =
        Path.of(System.getProperty("user.dir"))
            .getParent()
            .resolve("deploy/grafana/herald-dashboard.json");
    JsonNode root = json(Files.readString(dashboard));
    List<String> exprs = new ArrayList<>();
    root.findValues("expr").forEach(e -> exprs.add(e.asText()));
    assertThat(exprs).hasSizeGreaterThanOrEqualTo(10);
    try (HeraldServer server = HeraldServer.start(ServerConfig.builder().port(0).build())) {
      // every series a query names must exist, some only after traffic: make some
      String ch = channel("dash");
      publish(server.baseUrl(), ch, "1");
      System.gc(); // jvm_gc_pause_seconds appears after the first collection
      await()
          .atMost(Duration.ofSeconds(30))
          .until(() -> Scrape.of(server.baseUrl()).names().contains("jvm_gc_pause_seconds_sum"));
      Set<String> exposed = Scrape.of(server.baseUrl()).names();
      Pattern metric = Pattern.compile("\\b((?:herald|jvm|process|system)_[a-z0-9_]+)\\b");
      for (String expr : exprs) {
        Matcher m = metric.matcher(expr);
        boolean any = false;
        while (m.find()) {
          any = true;
          assertThat(exposed).as("metric of the dashboard query " + expr).contains(m.group(1));
        }
        assertThat(any).as("a metric in " + expr).isTrue();
      }
    }
  }

  @Test
  void metricsCanBeTurnedOffAndHeadAnswersWithoutABody() {
    try (HeraldServer server =
        HeraldServer.start(ServerConfig.builder().port(0).metrics(false).build())) {
      HttpResponse<String> r = get(server.baseUrl() + "/metrics");
      assertThat(r.statusCode()).isEqualTo(404);
    }
    try (HeraldServer server = HeraldServer.start(ServerConfig.builder().port(0).build())) {
      HttpResponse<String> head =
          TestClients.send(
              HttpRequest.newBuilder(URI.create(server.baseUrl() + "/metrics"))
                  .method("HEAD", HttpRequest.BodyPublishers.noBody())
                  .build());
      assertThat(head.statusCode()).isEqualTo(200);
      assertThat(head.body()).isEmpty();
      assertThat(head.headers().firstValueAsLong("Content-Length").orElse(0)).isPositive();
      assertThat(
              TestClients.post(server.baseUrl() + "/metrics", "text/plain", new byte[0])
                  .statusCode())
          .isEqualTo(405);
    }
  }

  @Test
  void metricsCanRequireAnApiKeyAsHeaderOrBearer() {
    String key = "metrics-key-0123456789abcdef";
    try (HeraldServer server =
        HeraldServer.start(
            ServerConfig.builder()
                .port(0)
                .apiKeys(List.of(key))
                .metricsRequireApiKey(true)
                .build())) {
      String url = server.baseUrl() + "/metrics";
      HttpResponse<String> none = get(url);
      assertThat(none.statusCode()).isEqualTo(401);
      assertThat(none.body()).contains("unauthorized").contains("API key");
      assertThat(get(url, "X-Api-Key", "wrong-key-0123456789abcdef").statusCode()).isEqualTo(401);
      assertThat(get(url, "X-Api-Key", key).statusCode()).isEqualTo(200);
      HttpResponse<String> bearer = get(url, "Authorization", "Bearer " + key);
      assertThat(bearer.statusCode()).isEqualTo(200);
      assertThat(bearer.body()).contains("herald_publications_total");
    }
  }

  @Test
  void requiringAnApiKeyWithoutAnyKeyIsRefusedAtStart() {
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () -> HeraldServer.start(ServerConfig.builder().metricsRequireApiKey(true).build()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("--api-key");
  }

  static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
