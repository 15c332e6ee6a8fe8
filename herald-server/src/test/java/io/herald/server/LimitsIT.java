package io.herald.server;

import static io.herald.server.TestClients.channel;
import static io.herald.server.TestClients.get;
import static io.herald.server.TestClients.json;
import static io.herald.server.TestClients.publish;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.herald.core.Transport;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Limits and hostile clients: each gets its error and nothing else breaks. Each test runs its own
 * server.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
@ExtendWith(LeakDetection.class)
class LimitsIT {

  @Test
  void hugeHeadersGet431AndTheServerStillServes() throws IOException {
    try (HeraldServer server =
        HeraldServer.start(ServerConfig.builder().port(0).maxHeaderBytes(4096).build())) {
      String response =
          raw(
              server,
              "GET /health HTTP/1.1\r\nHost: x\r\nX-Big: " + "a".repeat(10_000) + "\r\n\r\n");
      assertThat(response).startsWith("HTTP/1.1 431").contains("\"code\":\"headers_too_large\"");
      assertThat(raw(server, "NOT HTTP AT ALL\r\n\r\n"))
          .startsWith("HTTP/1.1 400")
          .contains("invalid_request");
      assertThat(get(server.baseUrl() + "/health").statusCode()).isEqualTo(200);
    }
  }

  @Test
  void aClientThatNeverReadsDoesNotSlowOthersAndLaterGetsAGap() throws Exception {
    ServerConfig config =
        ServerConfig.builder().port(0).historySize(50).writeBufferHighBytes(16 * 1024).build();
    try (HeraldServer server = HeraldServer.start(config)) {
      String ch = channel("slow");
      Socket stalled = new Socket();
      stalled.setReceiveBufferSize(4096);
      stalled.connect(server.address());
      stalled
          .getOutputStream()
          .write(
              ("GET /channels/" + ch + " HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n")
                  .getBytes(StandardCharsets.US_ASCII));
      try (TestClients.Sse fast = new TestClients.Sse(server.baseUrl() + "/channels/" + ch)) {
        assertThat(fast.nextEvent()).contains("herald.subscribed");
        await().atMost(Duration.ofSeconds(5)).until(() -> server.hub().subscriberCount() == 2);
        // 18 MB: more than the kernel's socket buffers on loopback can hide
        String pad = "x".repeat(60_000);
        int count = 300;
        for (int i = 1; i <= count; i++) {
          publish(server.baseUrl(), ch, "{\"n\":" + i + ",\"pad\":\"" + pad + "\"}");
        }
        for (int i = 1; i <= count; i++) {
          String event = fast.nextEvent();
          assertThat(event).as("event %d", i).contains(":" + i + "\ndata: ");
        }
        // the stalled reader now reads: its cursor fell behind history, so it gets a gap notice
        InputStream in = stalled.getInputStream();
        stalled.setSoTimeout(10_000);
        ByteArrayOutputStream seen = new ByteArrayOutputStream();
        byte[] buf = new byte[65536];
        while (!seen.toString(StandardCharsets.UTF_8).contains("event: herald.gap")) {
          int n = in.read(buf);
          assertThat(n).as("stream still open").isPositive();
          seen.write(buf, 0, n);
        }
        String text = seen.toString(StandardCharsets.UTF_8);
        assertThat(text).contains("\"channel\":\"" + ch + "\"");
      } finally {
        stalled.close();
      }
    }
  }

  @Test
  void connectionsPastTheLimitGet503AndAreClosed() throws IOException {
    try (HeraldServer server =
        HeraldServer.start(ServerConfig.builder().port(0).maxConnections(2).build())) {
      List<Socket> held = new ArrayList<>();
      try {
        for (int i = 0; i < 2; i++) {
          Socket s = new Socket();
          s.connect(server.address());
          held.add(s);
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> server.connectionCount() == 2);
        assertThat(raw(server, "GET /health HTTP/1.1\r\nHost: x\r\n\r\n"))
            .startsWith("HTTP/1.1 503")
            .contains("over_capacity");
      } finally {
        for (Socket s : held) {
          s.close();
        }
      }
      await().atMost(Duration.ofSeconds(5)).until(() -> server.connectionCount() == 0);
      assertThat(get(server.baseUrl() + "/health").statusCode()).isEqualTo(200);
    }
  }

  @Test
  void longPollsPastTheParkedLimitGet503() {
    try (HeraldServer server =
        HeraldServer.start(ServerConfig.builder().port(0).maxParkedPolls(1).build())) {
      String ch = channel("park");
      CompletableFuture<HttpResponse<String>> first =
          CompletableFuture.supplyAsync(
              () -> get(server.baseUrl() + "/channels/" + ch + "?wait=20"));
      await().atMost(Duration.ofSeconds(5)).until(() -> server.hub().subscriberCount() == 1);
      HttpResponse<String> second = get(server.baseUrl() + "/channels/" + ch + "?wait=20");
      assertThat(second.statusCode()).isEqualTo(503);
      assertThat(json(second.body()).get("error").get("code").asText()).isEqualTo("over_capacity");
      publish(server.baseUrl(), ch, "1");
      assertThat(json(first.join().body()).get("messages")).hasSize(1);
    }
  }

  @Test
  void disabledTransportsAreRefusedWith403() {
    ServerConfig config =
        ServerConfig.builder()
            .port(0)
            .disabledTransports(EnumSet.of(Transport.WEBSOCKET, Transport.SSE, Transport.LONG_POLL))
            .build();
    try (HeraldServer server = HeraldServer.start(config)) {
      String url = server.baseUrl() + "/channels/" + channel("off");
      HttpResponse<String> sse = get(url, "Accept", "text/event-stream");
      assertThat(sse.statusCode()).isEqualTo(403);
      assertThat(json(sse.body()).get("error").get("code").asText())
          .isEqualTo("transport_disabled");
      assertThat(get(url + "?wait=1").statusCode()).isEqualTo(403);
      assertThat(get(url).statusCode()).isEqualTo(200);
      CompletableFuture<?> ws =
          TestClients.HTTP
              .newWebSocketBuilder()
              .buildAsync(
                  java.net.URI.create(url.replace("http", "ws")),
                  new java.net.http.WebSocket.Listener() {});
      assertThat(ws).failsWithin(Duration.ofSeconds(10));
    }
  }

  @Test
  void shutdownClosesWebSocketsWith1001EndsSseAndAnswersParkedPolls() throws Exception {
    HeraldServer server = HeraldServer.start(ServerConfig.builder().port(0).build());
    String ch = channel("bye");
    TestClients.Ws ws =
        new TestClients.Ws(server.baseUrl().replace("http", "ws") + "/channels/" + ch);
    TestClients.Sse sse = new TestClients.Sse(server.baseUrl() + "/channels/" + ch);
    try {
      assertThat(ws.next().get("type").asText()).isEqualTo("subscribed");
      assertThat(sse.nextEvent()).contains("herald.subscribed");
      CompletableFuture<HttpResponse<String>> parked =
          CompletableFuture.supplyAsync(
              () -> get(server.baseUrl() + "/channels/" + ch + "?wait=60"));
      await().atMost(Duration.ofSeconds(5)).until(() -> server.hub().subscriberCount() == 3);
      server.close();
      assertThat(ws.closed.get(10, TimeUnit.SECONDS)).isEqualTo(1001);
      assertThat(sse.nextEvent())
          .matches("retry: \\d+\nevent: herald\\.end\ndata: \\{\"reason\":\"draining\".*");
      assertThat(sse.nextEvent()).isEqualTo("<eof>");
      HttpResponse<String> answer = parked.get(10, TimeUnit.SECONDS);
      assertThat(answer.statusCode()).isEqualTo(200);
      JsonNode body = json(answer.body());
      assertThat(body.get("messages")).isEmpty();
      assertThat(body.get("cursor").asText()).endsWith(":0");
    } finally {
      ws.close();
      sse.close();
      server.close();
    }
  }

  @Test
  void shutdownClosesIdleKeepAliveConnectionsAtOnce() throws IOException {
    HeraldServer server =
        HeraldServer.start(
            ServerConfig.builder().port(0).shutdownTimeout(Duration.ofSeconds(30)).build());
    try (Socket idle = new Socket()) {
      idle.connect(server.address());
      idle.getOutputStream()
          .write("GET /health HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
      idle.setSoTimeout(5000);
      assertThat(new String(idle.getInputStream().readNBytes(12), StandardCharsets.US_ASCII))
          .isEqualTo("HTTP/1.1 200");
      long t0 = System.nanoTime();
      server.close();
      assertThat(Duration.ofNanos(System.nanoTime() - t0))
          .as("shutdown waits for no idle connection")
          .isLessThan(Duration.ofSeconds(10));
    } finally {
      server.close();
    }
  }

  /**
   * Sends raw bytes on a new connection and reads the whole answer until the server closes or 5 s
   * pass.
   */
  static String raw(HeraldServer server, String request) throws IOException {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress(server.address().getAddress(), server.port()), 5000);
      s.setSoTimeout(5000);
      OutputStream out = s.getOutputStream();
      try {
        out.write(request.getBytes(StandardCharsets.US_ASCII));
        out.flush();
      } catch (IOException e) {
        // the server may answer and close before reading everything
      }
      ByteArrayOutputStream got = new ByteArrayOutputStream();
      byte[] buf = new byte[8192];
      try {
        int n;
        while ((n = s.getInputStream().read(buf)) > 0) {
          got.write(buf, 0, n);
        }
      } catch (IOException e) {
        // timeout or reset after the answer
      }
      return got.toString(StandardCharsets.UTF_8);
    }
  }
}
