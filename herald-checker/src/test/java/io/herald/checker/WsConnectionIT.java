package io.herald.checker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.herald.server.HeraldServer;
import io.herald.server.ServerConfig;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The checker's WebSocket client against a real node through the real fault proxy: a reader that
 * stops taking frames and takes them again gets every message, and an ended connection is always
 * noticed, never silence.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class WsConnectionIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final AtomicInteger SEQ = new AtomicInteger();
  private final HttpClient http = HttpClient.newHttpClient();

  private static String channel() {
    return "wsit" + System.nanoTime() % 100000 + "x" + SEQ.incrementAndGet();
  }

  private void publish(HeraldServer server, String channel, int n) throws Exception {
    HttpResponse<String> r =
        http.send(
            HttpRequest.newBuilder(URI.create(server.baseUrl() + "/channels/" + channel))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"n\":" + n + "}"))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).isEqualTo(201);
  }

  /** The next frame, waiting at most 10 s. */
  private static JsonNode next(WsConnection ws) throws Exception {
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (System.nanoTime() < end) {
      String f = ws.take(200);
      if (f != null) {
        return JSON.readTree(f);
      }
    }
    throw new AssertionError("no frame within 10 s");
  }

  @Test
  void aReaderThatStopsTakingThenTakesAgainGetsEveryMessage() throws Exception {
    try (HeraldServer server = HeraldServer.start(ServerConfig.builder().port(0).build());
        TcpProxy proxy = new TcpProxy("n1", server.address().getPort())) {
      String ch = channel();
      try (WsConnection ws =
          new WsConnection(
              http, URI.create("ws://127.0.0.1:" + proxy.port() + "/channels/" + ch))) {
        assertThat(next(ws).path("type").asText()).isEqualTo("subscribed");
        int count = 500;
        for (int i = 1; i <= count; i++) {
          publish(server, ch, i); // nobody takes meanwhile: the socket fills up
        }
        for (int i = 1; i <= count; i++) {
          assertThat(next(ws).path("offset").asLong()).isEqualTo(i);
        }
      }
    }
  }

  @Test
  void aConnectionCutWhileTheReaderStoppedTakingIsNoticedOnceItTakesAgain() throws Exception {
    try (HeraldServer server = HeraldServer.start(ServerConfig.builder().port(0).build());
        TcpProxy proxy = new TcpProxy("n1", server.address().getPort())) {
      String ch = channel();
      try (WsConnection ws =
          new WsConnection(
              http, URI.create("ws://127.0.0.1:" + proxy.port() + "/channels/" + ch))) {
        assertThat(next(ws).path("type").asText()).isEqualTo("subscribed");
        for (int i = 1; i <= 20; i++) {
          publish(server, ch, i);
        }
        Thread.sleep(200); // the frames reach the client, which does not take them
        proxy.cutAll();
        assertThatThrownBy(
                () -> {
                  for (int i = 0; i < 100; i++) {
                    next(ws);
                  }
                })
            .hasMessageContaining("websocket ended");
      }
    }
  }

  @Test
  void aConnectionThatFallsSilentIsDeclaredDeadAfterAnUnansweredPing() throws Exception {
    try (HeraldServer server = HeraldServer.start(ServerConfig.builder().port(0).build());
        TcpProxy proxy = new TcpProxy("n1", server.address().getPort())) {
      String ch = channel();
      try (WsConnection ws =
          new WsConnection(
              http, URI.create("ws://127.0.0.1:" + proxy.port() + "/channels/" + ch))) {
        assertThat(next(ws).path("type").asText()).isEqualTo("subscribed");
        // a quiet but live connection answers the ping and stays up
        long quietUntil =
            System.nanoTime()
                + TimeUnit.MILLISECONDS.toNanos(
                    WsConnection.PING_AFTER_MILLIS + WsConnection.ANSWER_WITHIN_MILLIS + 1_000);
        String pong = null;
        while (System.nanoTime() < quietUntil) {
          String f = ws.take(200);
          if (f != null) {
            pong = f;
          }
        }
        assertThat(JSON.readTree(pong).path("type").asText()).isEqualTo("pong");
        // bytes stop flowing, the connection stays open: the client must not wait forever
        proxy.stall();
        assertThatThrownBy(
                () -> {
                  while (true) {
                    ws.take(200);
                  }
                })
            .hasMessageContaining("websocket silent");
        proxy.unstall();
      }
    }
  }
}
