package io.herald.server;

import static io.herald.server.TestClients.channel;
import static io.herald.server.TestClients.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.herald.redis.RedisServerProcess;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Per-connection command limits over real sockets: the WebSocket command rate (error frame {@code
 * rate_limited} with the command's id, close 1008 for a connection that keeps exceeding), the HTTP
 * publish rate ({@code 429} with {@code Retry-After}; keep-alive requests share the bucket), and
 * the cap on WebSocket publications in flight (reading pauses, nothing is lost). Each test runs its
 * own server.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
@ExtendWith(LeakDetection.class)
class CommandLimitsIT {
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  @Test
  void webSocketCommandsOverTheRateGetRateLimitedWithTheirIdAndTheConnectionStaysOpen()
      throws Exception {
    ServerConfig config =
        ServerConfig.builder()
            .port(0)
            .wsCommandRate(1, 3)
            .rateLimitStrikes(50, Duration.ofSeconds(60))
            .build();
    try (HeraldServer server = HeraldServer.start(config);
        Ws ws = new Ws(server, "/ws");
        Ws other = new Ws(server, "/ws")) {
      // the burst of 3 and the 4th, sent at once: one refill per second cannot catch up
      String ch = channel("rl");
      ws.sendAll(
          "{\"type\":\"ping\",\"id\":1}",
          "{\"type\":\"subscribe\",\"id\":2,\"channel\":\"" + ch + "\"}",
          "{\"type\":\"publish\",\"id\":3,\"channel\":\"" + ch + "\",\"data\":1}",
          "{\"type\":\"unsubscribe\",\"id\":\"four\",\"channel\":\"" + ch + "\"}");
      List<JsonNode> replies = List.of(ws.next(), ws.next(), ws.next(), ws.next(), ws.next());
      JsonNode refused =
          replies.stream()
              .filter(r -> r.get("type").asText().equals("error"))
              .findFirst()
              .orElseThrow(() -> new AssertionError("no error frame in " + replies));
      assertThat(refused.get("id").asText()).isEqualTo("four");
      assertThat(refused.get("error").get("code").asText()).isEqualTo("rate_limited");
      assertThat(refused.get("error").get("message").asText())
          .contains("at most 1 per second")
          .contains("retry in");
      assertThat(replies)
          .extracting(r -> r.get("type").asText())
          .containsExactlyInAnyOrder("pong", "subscribed", "published", "message", "error");
      // another connection has its own bucket
      other.sendAll("{\"type\":\"ping\",\"id\":9}");
      assertThat(other.next().toString()).isEqualTo("{\"type\":\"pong\",\"id\":9}");
      assertThat(ws.closed).isNotDone();
      // the bucket refills: a later command is carried out
      await()
          .atMost(Duration.ofSeconds(10))
          .pollInterval(Duration.ofMillis(300))
          .until(
              () -> {
                ws.sendAll("{\"type\":\"ping\",\"id\":5}");
                return ws.next().get("type").asText().equals("pong");
              });
      assertThat(ws.closed).isNotDone();
    }
  }

  @Test
  void aWebSocketThatKeepsExceedingTheRateIsClosedWith1008AndAReason() throws Exception {
    ServerConfig config =
        ServerConfig.builder()
            .port(0)
            .wsCommandRate(1, 2)
            .rateLimitStrikes(5, Duration.ofSeconds(60))
            .build();
    try (HeraldServer server = HeraldServer.start(config);
        Ws ws = new Ws(server, "/ws")) {
      List<String> pings = new ArrayList<>();
      for (int i = 1; i <= 20; i++) {
        pings.add("{\"type\":\"ping\",\"id\":" + i + "}");
      }
      ws.sendAll(pings.toArray(String[]::new));
      assertThat(ws.closed.get(10, TimeUnit.SECONDS)).isEqualTo(1008);
      assertThat(ws.closeReason).contains("rate limit exceeded more than 5 times");
      List<String> codes = new ArrayList<>();
      String t;
      while ((t = ws.texts.poll()) != null) {
        JsonNode n = json(t);
        codes.add(n.has("error") ? n.get("error").get("code").asText() : n.get("type").asText());
      }
      // 2 from the burst (perhaps one more from a refill), then refusals up to the close
      assertThat(codes.subList(0, 2)).containsOnly("pong");
      assertThat(codes).last().isEqualTo("rate_limited");
      assertThat(codes).filteredOn("rate_limited"::equals).hasSize(6);
      assertThat(TestClients.get(server.baseUrl() + "/health").statusCode()).isEqualTo(200);
    }
  }

  @Test
  void aWebSocketClientThatFloodsPingCommandsAndNeverReadsIsDisconnectedUnderDefaults()
      throws Exception {
    try (HeraldServer server = HeraldServer.start(ServerConfig.builder().port(0).build());
        Socket socket = new Socket()) {
      socket.setReceiveBufferSize(4096);
      socket.connect(server.address());
      socket
          .getOutputStream()
          .write(
              ("GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                      + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                      + "Sec-WebSocket-Version: 13\r\n\r\n")
                  .getBytes(StandardCharsets.US_ASCII));
      await().atMost(Duration.ofSeconds(10)).until(() -> server.connectionCount() == 1);
      // far more than the default burst (400) plus strikes (100), in one go, never reading
      byte[] ping = maskedText("{\"type\":\"ping\",\"id\":1}");
      ByteArrayOutputStream flood = new ByteArrayOutputStream();
      for (int i = 0; i < 5_000; i++) {
        flood.write(ping);
      }
      try {
        socket.getOutputStream().write(flood.toByteArray());
      } catch (IOException e) {
        // the server may close before the whole flood is written
      }
      await().atMost(Duration.ofSeconds(20)).until(() -> server.connectionCount() == 0);
      assertThat(TestClients.get(server.baseUrl() + "/health").statusCode()).isEqualTo(200);
    }
  }

  /** A client text frame (RFC 6455 section 5.2): FIN, opcode 1, masked with a zero key. */
  private static byte[] maskedText(String text) {
    byte[] payload = text.getBytes(StandardCharsets.UTF_8);
    ByteArrayOutputStream f = new ByteArrayOutputStream();
    f.write(0x81);
    f.write(0x80 | payload.length); // shorter than 126 bytes
    f.writeBytes(new byte[4]); // masking key 0: the payload goes as it is
    f.writeBytes(payload);
    return f.toByteArray();
  }

  @Test
  void httpPublishesOverTheRateGet429WithRetryAfterOnTheSameKeepAliveConnection() throws Exception {
    ServerConfig config =
        ServerConfig.builder()
            .port(0)
            .httpPublishRate(1, 2)
            .rateLimitStrikes(2, Duration.ofSeconds(60))
            .build();
    try (HeraldServer server = HeraldServer.start(config);
        Socket socket = new Socket("127.0.0.1", server.address().getPort())) {
      String ch = channel("httprl");
      String request =
          "POST /channels/"
              + ch
              + " HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1\r\n\r\n7";
      // 5 pipelined requests in one write (one refill per second cannot catch up): 2 from the
      // burst, then refusals on the same connection, which stays open...
      socket.getOutputStream().write(request.repeat(5).getBytes(StandardCharsets.US_ASCII));
      List<String> answers = new ArrayList<>();
      for (int i = 0; i < 5; i++) {
        answers.add(readResponse(socket.getInputStream()));
      }
      assertThat(answers.get(0)).startsWith("HTTP/1.1 201");
      assertThat(answers.get(1)).startsWith("HTTP/1.1 201");
      for (String refused : answers.subList(2, 5)) {
        assertThat(refused)
            .startsWith("HTTP/1.1 429")
            .contains("\"code\":\"rate_limited\"")
            .contains("at most 1 per second");
        assertThat(refused.toLowerCase(Locale.ROOT)).containsPattern("retry-after: [1-9]");
      }
      assertThat(answers.get(2).toLowerCase(Locale.ROOT)).doesNotContain("connection: close");
      assertThat(answers.get(3).toLowerCase(Locale.ROOT)).doesNotContain("connection: close");
      // ...until it exceeds more than 2 times in the window: that answer closes it
      assertThat(answers.get(4).toLowerCase(Locale.ROOT)).contains("connection: close");
      assertThat(socket.getInputStream().read()).isEqualTo(-1);
      // a new connection has a new bucket
      assertThat(TestClients.publish(server.baseUrl(), ch, "8").get("offset").asLong())
          .isEqualTo(3);
    }
  }

  @Test
  void webSocketPublishesPastTheInFlightCapWaitAndNoneIsLost() throws Exception {
    try (RedisServerProcess redis = RedisServerProcess.start();
        HeraldServer server =
            HeraldServer.start(
                ServerConfig.builder()
                    .port(0)
                    .broker(redis.uri())
                    .wsMaxInflightPublishes(2)
                    .build());
        Ws ws = new Ws(server, "/ws")) {
      String ch = channel("inflight");
      ws.sendAll("{\"type\":\"publish\",\"id\":0,\"channel\":\"" + ch + "\",\"data\":0}");
      assertThat(ws.next().get("type").asText()).isEqualTo("published");
      // Redis holds every write for 2 s: the publications stay in flight meanwhile
      assertThat(redis.command("CLIENT", "PAUSE", "2000", "WRITE")).isEqualTo("+OK");
      List<String> frames = new ArrayList<>();
      for (int i = 1; i <= 6; i++) {
        frames.add(
            "{\"type\":\"publish\",\"id\":"
                + i
                + ",\"channel\":\""
                + ch
                + "\",\"data\":"
                + i
                + "}");
      }
      frames.add("{\"type\":\"ping\",\"id\":\"after\"}");
      ws.sendAll(frames.toArray(String[]::new));
      List<JsonNode> replies = new ArrayList<>();
      for (int i = 0; i < 7; i++) {
        replies.add(ws.next());
      }
      // the ping was read only once publications 1..5 had gone to the broker, so at least 3 of
      // them were answered before it (without the cap the pong would come first, during the pause)
      List<String> ids = replies.stream().map(r -> r.get("id").asText()).toList();
      assertThat(ids.indexOf("after")).isGreaterThanOrEqualTo(3);
      assertThat(replies.stream().filter(r -> r.get("type").asText().equals("published")))
          .extracting(r -> r.get("offset").asLong())
          .containsExactly(2L, 3L, 4L, 5L, 6L, 7L);
      assertThat(ids).containsExactlyInAnyOrder("1", "2", "3", "4", "5", "6", "after");
      assertThat(ws.closed).isNotDone();
    }
  }

  /** Reads one HTTP/1.1 response with a Content-Length body; returns head and body as text. */
  private static String readResponse(InputStream in) throws IOException {
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    int matched = 0;
    while (matched < 4) {
      int b = in.read();
      if (b < 0) {
        throw new IOException("connection closed after " + head);
      }
      head.write(b);
      matched = (b == (matched % 2 == 0 ? '\r' : '\n')) ? matched + 1 : (b == '\r' ? 1 : 0);
    }
    String h = head.toString(StandardCharsets.US_ASCII);
    java.util.regex.Matcher m =
        java.util.regex.Pattern.compile("(?i)content-length: *(\\d+)").matcher(h);
    int length = m.find() ? Integer.parseInt(m.group(1)) : 0;
    byte[] body = in.readNBytes(length);
    return h + new String(body, StandardCharsets.UTF_8);
  }

  /** A WebSocket client recording text frames, the close code and the close reason. */
  static final class Ws implements WebSocket.Listener, AutoCloseable {
    final BlockingQueue<String> texts = new LinkedBlockingQueue<>();
    final CompletableFuture<Integer> closed = new CompletableFuture<>();
    volatile String closeReason;
    final WebSocket socket;
    private final StringBuilder partial = new StringBuilder();

    Ws(HeraldServer server, String path) {
      socket =
          HTTP.newWebSocketBuilder()
              .buildAsync(URI.create(server.baseUrl().replace("http", "ws") + path), this)
              .join();
    }

    /** Sends each frame without waiting for any reply. */
    /** Sends {@code frames} in order; stops, without failing, once the server has closed. */
    void sendAll(String... frames) {
      for (String f : frames) {
        try {
          socket.sendText(f, true).join();
        } catch (java.util.concurrent.CompletionException e) {
          if (!closed.isDone()) {
            throw e;
          }
          return; // the server's close arrived first: on a loaded machine it may, mid-burst
        }
      }
    }

    JsonNode next() throws InterruptedException {
      String t = texts.poll(10, TimeUnit.SECONDS);
      assertThat(t).as("a WebSocket frame within 10 s").isNotNull();
      return json(t);
    }

    @Override
    public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
      partial.append(data);
      if (last) {
        texts.add(partial.toString());
        partial.setLength(0);
      }
      ws.request(1);
      return null;
    }

    @Override
    public CompletionStage<?> onClose(WebSocket ws, int statusCode, String reason) {
      closeReason = reason;
      closed.complete(statusCode);
      return null;
    }

    @Override
    public void onError(WebSocket ws, Throwable error) {
      closed.complete(-1);
    }

    @Override
    public void close() {
      socket.abort();
    }
  }
}
