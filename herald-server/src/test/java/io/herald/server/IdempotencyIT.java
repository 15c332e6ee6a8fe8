package io.herald.server;

import static io.herald.server.TestClients.channel;
import static io.herald.server.TestClients.get;
import static io.herald.server.TestClients.json;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Idempotency keys on publications (PROTOCOL.md section 5, version 1.1), over real sockets: the
 * {@code Idempotency-Key} header on HTTP and the {@code idempotencyKey} field on WebSocket.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
@ExtendWith(LeakDetection.class)
class IdempotencyIT {
  private static HeraldServer server;

  @BeforeAll
  static void start() {
    server = HeraldServer.start(ServerConfig.builder().port(0).build());
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  static HttpResponse<String> publish(String base, String channel, String json, String key) {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(base + "/channels/" + channel))
            .timeout(Duration.ofSeconds(30))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(json));
    if (key != null) {
      b.header("Idempotency-Key", key);
    }
    return TestClients.send(b.build());
  }

  /** The channel's head offset: a short poll without a cursor answers the head. */
  private static long head(String channel) {
    JsonNode poll = json(get(server.baseUrl() + "/channels/" + channel).body());
    String cursor = poll.get("cursor").asText();
    return Long.parseLong(cursor.substring(cursor.indexOf(':') + 1));
  }

  @Test
  void aRepeatedIdempotencyKeyAnswersTheFirstPublicationAndPublishesNothing() {
    String ch = channel("idem");
    HttpResponse<String> first = publish(server.baseUrl(), ch, "{\"n\":1}", "order-42");
    HttpResponse<String> again = publish(server.baseUrl(), ch, "{\"n\":1}", "order-42");
    HttpResponse<String> other = publish(server.baseUrl(), ch, "{\"n\":2}", "order-43");
    assertThat(first.statusCode()).as(first.body()).isEqualTo(201);
    assertThat(again.statusCode()).as(again.body()).isEqualTo(201);
    assertThat(json(again.body())).isEqualTo(json(first.body()));
    assertThat(json(first.body()).get("offset").asLong()).isEqualTo(1);
    assertThat(json(other.body()).get("offset").asLong()).isEqualTo(2);
    assertThat(head(ch)).isEqualTo(2);
  }

  @Test
  void publicationsWithoutAKeyAreAllPublished() {
    String ch = channel("idem");
    publish(server.baseUrl(), ch, "{\"n\":1}", null);
    publish(server.baseUrl(), ch, "{\"n\":1}", null);
    assertThat(head(ch)).isEqualTo(2);
  }

  @Test
  void aKeyLongerThan128CharactersIs400AndPublishesNothing() {
    String ch = channel("idem");
    HttpResponse<String> r = publish(server.baseUrl(), ch, "{\"n\":1}", "k".repeat(129));
    assertThat(r.statusCode()).isEqualTo(400);
    JsonNode error = json(r.body()).get("error");
    assertThat(error.get("code").asText()).isEqualTo("invalid_request");
    assertThat(error.get("message").asText())
        .contains("Idempotency-Key")
        .contains("1 to 128 printable ASCII characters");
    assertThat(publish(server.baseUrl(), ch, "{\"n\":1}", "k".repeat(128)).statusCode())
        .isEqualTo(201);
    assertThat(head(ch)).isEqualTo(1);
  }

  @Test
  void aKeyWithACharacterOutsidePrintableAsciiIs400() throws Exception {
    String ch = channel("idem");
    // é sent as its two UTF-8 bytes, both above 0x7E
    String response =
        rawLatin1(
            server,
            "POST /channels/"
                + ch
                + " HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                + "Idempotency-Key: caf\u00c3\u00a9\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}");
    assertThat(response)
        .startsWith("HTTP/1.1 400")
        .contains("invalid_request")
        .contains("printable ASCII");
    assertThat(head(ch)).isZero();
  }

  @Test
  void aKeyIsForgottenAfterTheConfiguredWindow() {
    try (HeraldServer short1 =
        HeraldServer.start(
            ServerConfig.builder().port(0).idempotencyWindow(Duration.ofSeconds(1)).build())) {
      String ch = channel("idem-window");
      assertThat(json(publish(short1.baseUrl(), ch, "1", "w").body()).get("offset").asLong())
          .isEqualTo(1);
      // within the window the key answers offset 1; once it has passed, it publishes anew
      org.awaitility.Awaitility.await()
          .atMost(Duration.ofSeconds(20))
          .pollInterval(Duration.ofMillis(100))
          .until(
              () ->
                  json(publish(short1.baseUrl(), ch, "1", "w").body()).get("offset").asLong() == 2);
    }
  }

  @Test
  void theMemoryBrokerRemembersAtMostTheConfiguredNumberOfKeys() {
    try (HeraldServer small =
        HeraldServer.start(ServerConfig.builder().port(0).idempotencyMaxKeys(2).build())) {
      String ch = channel("idem-max");
      publish(small.baseUrl(), ch, "1", "k1");
      publish(small.baseUrl(), ch, "2", "k2");
      publish(small.baseUrl(), ch, "3", "k3"); // k1 forgotten
      assertThat(json(publish(small.baseUrl(), ch, "3", "k3").body()).get("offset").asLong())
          .isEqualTo(3);
      assertThat(json(publish(small.baseUrl(), ch, "1", "k1").body()).get("offset").asLong())
          .isEqualTo(4);
    }
  }

  @Test
  void settingsOutOfRangeAreRefusedWithWhatIsAllowed() {
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () -> ServerConfig.builder().idempotencyWindow(Duration.ZERO))
        .hasMessage("idempotency window must be 1 to 86400 seconds, got 0 s");
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () -> ServerConfig.builder().idempotencyMaxKeys(0))
        .hasMessageContaining("idempotency max keys must be 1 to 10000000, got 0");
    java.io.StringWriter err = new java.io.StringWriter();
    picocli.CommandLine cli = new picocli.CommandLine(new ServeCommand());
    cli.setErr(new java.io.PrintWriter(err, true));
    java.io.PrintStream saved = System.err;
    java.io.ByteArrayOutputStream captured = new java.io.ByteArrayOutputStream();
    System.setErr(new java.io.PrintStream(captured, true, StandardCharsets.UTF_8));
    int code;
    try {
      code = cli.execute("--port", "0", "--idempotency-window-seconds", "90000");
    } finally {
      System.setErr(saved);
    }
    assertThat(code).isEqualTo(2);
    assertThat(captured.toString(StandardCharsets.UTF_8) + err)
        .contains("idempotency window must be 1 to 86400 seconds, got 90000 s");
  }

  /** Sends {@code request} with one byte per char (ISO-8859-1) and answers the raw response. */
  private static String rawLatin1(HeraldServer server, String request) throws Exception {
    try (java.net.Socket s = new java.net.Socket()) {
      s.connect(server.address(), 5000);
      s.setSoTimeout(5000);
      s.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
      s.getOutputStream().flush();
      return new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  @Test
  void webSocketPublishWithARepeatedIdempotencyKeyAnswersTheFirstOffset() {
    String ch = channel("idem-ws");
    try (TestClients.Ws ws = new TestClients.Ws(server.baseUrl().replace("http", "ws") + "/ws")) {
      String cmd =
          "{\"type\":\"publish\",\"id\":%d,\"channel\":\"" + ch + "\",\"data\":{\"n\":1}%s}";
      ws.send(String.format(cmd, 1, ",\"idempotencyKey\":\"ws-key-1\""));
      JsonNode first = ws.next();
      ws.send(String.format(cmd, 2, ",\"idempotencyKey\":\"ws-key-1\""));
      JsonNode again = ws.next();
      assertThat(first.get("type").asText()).isEqualTo("published");
      assertThat(again.get("type").asText()).isEqualTo("published");
      assertThat(again.get("id").asInt()).isEqualTo(2);
      assertThat(again.get("offset")).isEqualTo(first.get("offset"));
      assertThat(again.get("epoch")).isEqualTo(first.get("epoch"));

      ws.send(String.format(cmd, 3, ",\"idempotencyKey\":42"));
      JsonNode error = ws.next();
      assertThat(error.get("type").asText()).isEqualTo("error");
      assertThat(error.get("id").asInt()).isEqualTo(3);
      assertThat(error.at("/error/code").asText()).isEqualTo("invalid_request");
      assertThat(error.at("/error/message").asText()).contains("idempotencyKey");

      ws.send(String.format(cmd, 4, ",\"idempotencyKey\":\"\""));
      assertThat(ws.next().at("/error/code").asText()).isEqualTo("invalid_request");

      // the same key over HTTP on the same channel answers the same publication
      HttpResponse<String> http = publish(server.baseUrl(), ch, "{\"n\":1}", "ws-key-1");
      assertThat(json(http.body()).get("offset")).isEqualTo(first.get("offset"));
      ws.send(String.format(cmd, 5, ""));
      assertThat(ws.next().get("offset").asLong()).isEqualTo(2);
    }
    assertThat(head(ch)).isEqualTo(2);
  }
}
