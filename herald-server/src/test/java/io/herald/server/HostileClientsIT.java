package io.herald.server;

import static io.herald.server.TestClients.channel;
import static io.herald.server.TestClients.get;
import static io.herald.server.TestClients.publish;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Hostile and careless clients over real sockets: each is cut, stalled or answered within its
 * bound, and the well-behaved clients of the same server are not affected. Each test runs its own
 * server.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
@ExtendWith(LeakDetection.class)
class HostileClientsIT {
  private static final byte[] PING_COMMAND = maskedText("{\"type\":\"ping\"}");

  /** A ping whose reply echoes a 60,000-character id. */
  private static final byte[] BIG_PING_COMMAND =
      maskedText("{\"type\":\"ping\",\"id\":\"" + "x".repeat(60_000) + "\"}");

  @Test
  void aWebSocketPingerThatNeverReadsStaysWithinTheByteBudgetWhileASubscriberGetsEveryMessage()
      throws Exception {
    ServerConfig config = ServerConfig.builder().port(0).build();
    try (HeraldServer server = HeraldServer.start(config)) {
      String ch = channel("pinger");
      try (TestClients.Ws good =
          new TestClients.Ws(server.baseUrl().replace("http", "ws") + "/channels/" + ch)) {
        assertThat(good.next().path("type").asText()).isEqualTo("subscribed");
        Socket attacker = new Socket();
        attacker.setReceiveBufferSize(4096);
        attacker.connect(server.address());
        upgrade(attacker, "/ws");
        AtomicLong sent = new AtomicLong();
        AtomicLong lastProgress = new AtomicLong(System.nanoTime());
        AtomicBoolean cut = new AtomicBoolean();
        Thread pinger =
            new Thread(
                () -> {
                  try {
                    OutputStream out = attacker.getOutputStream();
                    while (!Thread.currentThread().isInterrupted()) {
                      out.write(sent.get() % 2 == 0 ? PING_COMMAND : BIG_PING_COMMAND);
                      sent.incrementAndGet();
                      lastProgress.set(System.nanoTime());
                    }
                  } catch (IOException e) {
                    cut.set(true);
                  }
                },
                "pinger");
        pinger.setDaemon(true);
        pinger.start();
        AtomicLong mostQueued = new AtomicLong();
        int count = 200;
        for (int i = 1; i <= count; i++) {
          publish(server.baseUrl(), ch, "{\"n\":" + i + "}");
          mostQueued.accumulateAndGet(server.queuedBytes(), Math::max);
        }
        for (int i = 1; i <= count; i++) {
          assertThat(good.next().path("data").path("n").asInt()).as("message %d", i).isEqualTo(i);
        }
        // the pinger is cut, or stalled: the server stopped reading it, its writes block
        await()
            .atMost(Duration.ofSeconds(30))
            .pollInterval(Duration.ofMillis(50))
            .until(
                () -> {
                  mostQueued.accumulateAndGet(server.queuedBytes(), Math::max);
                  return cut.get()
                      || System.nanoTime() - lastProgress.get() > TimeUnit.SECONDS.toNanos(2);
                });
        assertThat(sent.get()).isGreaterThan(0);
        assertThat(mostQueued.get())
            .as("bytes queued at most (pinger cut: %s, %d pings sent)", cut.get(), sent.get())
            .isLessThanOrEqualTo(config.maxQueuedBytes() + 64 * 1024);
        publish(server.baseUrl(), ch, "{\"n\":" + (count + 1) + "}");
        assertThat(good.next().path("data").path("n").asInt()).isEqualTo(count + 1);
        assertThat(get(server.baseUrl() + "/health").statusCode()).isEqualTo(200);
        pinger.interrupt();
        attacker.close();
      }
    }
  }

  @Test
  void aWebSocketPingerPastTheByteBudgetIsClosed() throws Exception {
    // a budget below the write buffer: replies queue past the budget before reading pauses
    ServerConfig config =
        ServerConfig.builder()
            .port(0)
            .writeBufferHighBytes(8 * 1024 * 1024)
            .maxQueuedBytes(64 * 1024)
            .build();
    try (HeraldServer server = HeraldServer.start(config);
        Socket attacker = new Socket()) {
      attacker.setReceiveBufferSize(4096);
      attacker.connect(server.address());
      upgrade(attacker, "/ws");
      AtomicBoolean cut = new AtomicBoolean();
      Thread pinger =
          new Thread(
              () -> {
                try {
                  OutputStream out = attacker.getOutputStream();
                  while (!Thread.currentThread().isInterrupted()) {
                    out.write(BIG_PING_COMMAND); // replies outgrow the kernel's buffers fast
                  }
                } catch (IOException e) {
                  cut.set(true);
                }
              },
              "pinger");
      pinger.setDaemon(true);
      pinger.start();
      try {
        await().atMost(Duration.ofSeconds(20)).until(() -> server.connectionCount() == 0);
        await().atMost(Duration.ofSeconds(10)).untilTrue(cut);
        assertThat(server.queuedBytes()).isZero();
      } finally {
        pinger.interrupt();
        attacker.close();
      }
    }
  }

  @Test
  void aSilentSocketIsAnswered408AndClosedAfterTheHeadTimeout() throws Exception {
    try (HeraldServer server = HeraldServer.start(timeouts().build());
        Socket s = connect(server)) {
      String answer = readAll(s.getInputStream());
      assertThat(answer).startsWith("HTTP/1.1 408").containsIgnoringCase("Connection: close");
      assertThat(answer).contains("\"code\":\"request_timeout\"");
      await().atMost(Duration.ofSeconds(5)).until(() -> server.connectionCount() == 0);
    }
  }

  @Test
  void aHeadSentOneByteAtATimeIsCutByTheHeadTimeout() throws Exception {
    try (HeraldServer server = HeraldServer.start(timeouts().build());
        Socket s = connect(server)) {
      AtomicBoolean cut = new AtomicBoolean();
      Thread trickle =
          new Thread(
              () -> {
                byte[] head = "GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: ".getBytes();
                try {
                  OutputStream out = s.getOutputStream();
                  for (int i = 0; !Thread.currentThread().isInterrupted(); i++) {
                    out.write(head[Math.min(i, head.length - 1)]);
                    out.flush();
                    Thread.sleep(100); // the attack itself: one byte every 100 ms
                  }
                } catch (IOException | InterruptedException e) {
                  cut.set(true);
                }
              });
      trickle.setDaemon(true);
      trickle.start();
      String answer = readAll(s.getInputStream());
      trickle.interrupt();
      assertThat(answer).startsWith("HTTP/1.1 408").containsIgnoringCase("Connection: close");
    }
  }

  @Test
  void aBodySentTooSlowlyIsCutByTheBodyTimeout() throws Exception {
    try (HeraldServer server = HeraldServer.start(timeouts().build());
        Socket s = connect(server)) {
      OutputStream out = s.getOutputStream();
      out.write(
          ("POST /channels/"
                  + channel("slowbody")
                  + " HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: 100\r\n\r\nabc")
              .getBytes(StandardCharsets.US_ASCII));
      out.flush();
      String answer = readAll(s.getInputStream());
      assertThat(answer).startsWith("HTTP/1.1 408").contains("request body");
    }
  }

  @Test
  void anIdleKeepAliveConnectionIsClosedAfterTheKeepAliveTimeout() throws Exception {
    try (HeraldServer server = HeraldServer.start(timeouts().build());
        Socket s = connect(server)) {
      s.getOutputStream().write("GET /health HTTP/1.1\r\nHost: x\r\n\r\n".getBytes());
      String answer = readAll(s.getInputStream());
      // the answer, then a quiet close: no 408 for a client that was not in the middle of a request
      assertThat(answer).startsWith("HTTP/1.1 200").doesNotContain("408");
      await().atMost(Duration.ofSeconds(5)).until(() -> server.connectionCount() == 0);
    }
  }

  @Test
  void parkedLongPollsAndOpenStreamsOutliveEveryTimeout() throws Exception {
    try (HeraldServer server = HeraldServer.start(timeouts().build())) {
      String ch = channel("outlive");
      try (TestClients.Sse sse = new TestClients.Sse(server.baseUrl() + "/channels/" + ch);
          TestClients.Ws ws =
              new TestClients.Ws(server.baseUrl().replace("http", "ws") + "/channels/" + ch);
          Socket poll = connect(server)) {
        assertThat(sse.nextEvent()).contains("herald.subscribed");
        assertThat(ws.next().path("type").asText()).isEqualTo("subscribed");
        poll.getOutputStream()
            .write(("GET /channels/" + ch + "?wait=3 HTTP/1.1\r\nHost: x\r\n\r\n").getBytes());
        // 3 s of waiting: six times every timeout of this server
        String answer = readResponse(poll.getInputStream());
        assertThat(answer).startsWith("HTTP/1.1 200").contains("\"messages\":[]");
        publish(server.baseUrl(), ch, "{\"late\":true}");
        assertThat(sse.nextEvent()).contains("\"late\":true");
        assertThat(ws.next().path("data").path("late").asBoolean()).isTrue();
      }
    }
  }

  @Test
  void aWebSocketWithNoSubscriptionAndNoFrameIsClosedWith1008() throws Exception {
    try (HeraldServer server = HeraldServer.start(timeouts().build());
        TestClients.Ws ws = new TestClients.Ws(server.baseUrl().replace("http", "ws") + "/ws")) {
      assertThat(ws.closed.get(10, TimeUnit.SECONDS)).isEqualTo(1008);
    }
  }

  @Test
  void pipelinedRequestsAreAnsweredInOrder() throws Exception {
    try (HeraldServer server = HeraldServer.start(ServerConfig.builder().port(0).build());
        Socket s = connect(server)) {
      String ch = channel("pipeline");
      s.getOutputStream()
          .write(
              ("GET /channels/"
                      + ch
                      + "?wait=1 HTTP/1.1\r\nHost: x\r\n\r\nGET /health HTTP/1.1\r\nHost: x\r\n\r\n")
                  .getBytes(StandardCharsets.US_ASCII));
      InputStream in = s.getInputStream();
      String first = readResponse(in);
      String second = readResponse(in);
      assertThat(first).startsWith("HTTP/1.1 200").contains("\"messages\":[]");
      assertThat(second).startsWith("HTTP/1.1 200").contains("\"status\":\"ok\"");
    }
  }

  @Test
  void aClientStillSendingALargeBodyReads413AndConnectionCloseNotAReset() throws Exception {
    try (HeraldServer server = HeraldServer.start(ServerConfig.builder().port(0).build());
        Socket s = connect(server)) {
      int size = 8 * 1024 * 1024;
      OutputStream out = s.getOutputStream();
      out.write(
          ("POST /channels/"
                  + channel("big")
                  + " HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: "
                  + size
                  + "\r\n\r\n")
              .getBytes(StandardCharsets.US_ASCII));
      byte[] chunk = new byte[64 * 1024];
      for (int sent = 0; sent < size; sent += chunk.length) {
        out.write(chunk);
      }
      out.flush();
      String answer = readAll(s.getInputStream());
      assertThat(answer)
          .startsWith("HTTP/1.1 413")
          .containsIgnoringCase("Connection: close")
          .contains("message_too_large");
    }
  }

  @Test
  void aKeepAliveClientAfterA413SeesAClearClose() throws Exception {
    try (HeraldServer server = HeraldServer.start(ServerConfig.builder().port(0).build())) {
      for (int i = 0; i < 5; i++) {
        try (Socket s = connect(server)) {
          int size = 200_000;
          OutputStream out = s.getOutputStream();
          out.write(
              ("POST /channels/"
                      + channel("big")
                      + " HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: "
                      + size
                      + "\r\n\r\n")
                  .getBytes(StandardCharsets.US_ASCII));
          out.write(new byte[size]);
          out.flush();
          InputStream in = s.getInputStream();
          String answer = readResponse(in);
          assertThat(answer).startsWith("HTTP/1.1 413").containsIgnoringCase("Connection: close");
          // the next request finds the connection closed in order (EOF), not reset
          try {
            out.write("GET /health HTTP/1.1\r\nHost: x\r\n\r\n".getBytes());
          } catch (SocketException e) {
            // the write may fail once the server's side is closed; the read below must not reset
          }
          assertThat(in.read()).isEqualTo(-1);
        }
      }
    }
  }

  @Test
  void malformedRequestsGetA400WithAMessage() throws Exception {
    try (HeraldServer server = HeraldServer.start(ServerConfig.builder().port(0).build())) {
      assertThat(raw(server, "GET /channels/a%zz HTTP/1.1\r\nHost: x\r\n\r\n"))
          .startsWith("HTTP/1.1 400")
          .contains("\"code\":\"invalid_request\"")
          .contains("escape");
      assertThat(raw(server, "GET /channels/a?since=%E0%A4%A HTTP/1.1\r\nHost: x\r\n\r\n"))
          .startsWith("HTTP/1.1 400")
          .contains("invalid_request");
      assertThat(
              raw(
                  server,
                  "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n"))
          .startsWith("HTTP/1.1 400")
          .contains("Sec-WebSocket-Key");
      assertThat(
              raw(
                  server,
                  "GET /channels/x HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n\r\n"))
          .startsWith("HTTP/1.1 400")
          .contains("Sec-WebSocket-Key");
      assertThat(raw(server, "GET /health HTTP/9.9 extra\r\n\r\n"))
          .startsWith("HTTP/1.1 400")
          .containsIgnoringCase("Connection: close")
          .contains("invalid_request");
      assertThat(raw(server, "GET /health HTTP/1.1\r\nBad Header\r\n\r\n"))
          .startsWith("HTTP/1.1 400")
          .contains("invalid_request");
      assertThat(raw(server, "GET /nothing-here.js HTTP/1.1\r\nHost: x\r\n\r\n"))
          .startsWith("HTTP/1.1 404")
          .contains("not_found");
      assertThat(get(server.baseUrl() + "/health").statusCode()).isEqualTo(200);
    }
  }

  private static ServerConfig.Builder timeouts() {
    return ServerConfig.builder()
        .port(0)
        .requestHeadTimeout(Duration.ofMillis(500))
        .requestBodyTimeout(Duration.ofMillis(500))
        .keepAliveTimeout(Duration.ofMillis(500))
        .wsFirstFrameTimeout(Duration.ofMillis(500));
  }

  private static Socket connect(HeraldServer server) throws IOException {
    Socket s = new Socket();
    s.setSoTimeout(20_000);
    s.connect(server.address());
    return s;
  }

  private static void upgrade(Socket s, String path) throws IOException {
    s.getOutputStream()
        .write(
            ("GET "
                    + path
                    + " HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII));
    s.setSoTimeout(10_000);
    InputStream in = s.getInputStream();
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    while (!head.toString(StandardCharsets.US_ASCII).endsWith("\r\n\r\n")) {
      int b = in.read();
      assertThat(b).as("the upgrade answer").isNotEqualTo(-1);
      head.write(b);
    }
    assertThat(head.toString(StandardCharsets.US_ASCII)).startsWith("HTTP/1.1 101");
  }

  /** A client text frame (masked with a zero key, which leaves the payload as it is). */
  private static byte[] maskedText(String text) {
    byte[] payload = text.getBytes(StandardCharsets.UTF_8);
    int n = payload.length;
    int head = n < 126 ? 6 : 8;
    byte[] frame = new byte[head + n];
    frame[0] = (byte) 0x81;
    if (n < 126) {
      frame[1] = (byte) (0x80 | n);
    } else {
      frame[1] = (byte) (0x80 | 126);
      frame[2] = (byte) (n >>> 8);
      frame[3] = (byte) n;
    }
    System.arraycopy(payload, 0, frame, head, n);
    return frame;
  }

  private static String raw(HeraldServer server, String request) throws IOException {
    try (Socket s = connect(server)) {
      s.getOutputStream().write(request.getBytes(StandardCharsets.UTF_8));
      return readResponse(s.getInputStream());
    }
  }

  /** Everything until the server closes the connection. */
  /**
   * Everything the server sent until it closed. A client that is still writing when the server
   * closes may see its last bytes answered with a reset after the answer arrived; the answer read
   * before it is kept (a reset before any answer still fails the test).
   */
  private static String readAll(InputStream in) throws IOException {
    ByteArrayOutputStream got = new ByteArrayOutputStream();
    byte[] buf = new byte[8192];
    try {
      for (int n; (n = in.read(buf)) >= 0; ) {
        got.write(buf, 0, n);
      }
    } catch (java.net.SocketException e) {
      if (got.size() == 0) {
        throw e;
      }
    }
    return got.toString(StandardCharsets.UTF_8);
  }

  /** One response with a Content-Length body. */
  private static String readResponse(InputStream in) throws IOException {
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    while (!head.toString(StandardCharsets.US_ASCII).endsWith("\r\n\r\n")) {
      int b = in.read();
      if (b < 0) {
        return head.toString(StandardCharsets.US_ASCII);
      }
      head.write(b);
    }
    String h = head.toString(StandardCharsets.US_ASCII);
    int length = 0;
    for (String line : h.split("\r\n")) {
      if (line.toLowerCase().startsWith("content-length:")) {
        length = Integer.parseInt(line.substring(15).trim());
      }
    }
    return h + new String(in.readNBytes(length), StandardCharsets.UTF_8);
  }
}
