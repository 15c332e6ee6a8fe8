package io.herald.server;

import static io.herald.server.TestClients.channel;
import static org.assertj.core.api.Assertions.assertThat;

import io.herald.server.h2.NettyH2Client;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponse;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A {@code 408} for a request body that never arrives carries the same CORS headers as any other
 * answer to a request from an allowed origin (a browser would otherwise see an opaque network error
 * instead of the 408), over HTTP/1.1 and on an HTTP/2 stream; a request from a refused origin or
 * without {@code Origin} gets none.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class TimeoutCorsIT {
  private static final String ALLOWED = "https://app.example";

  private static HeraldServer server() {
    return HeraldServer.start(
        ServerConfig.builder()
            .host("127.0.0.1")
            .port(0)
            .allowedOrigins(List.of(ALLOWED))
            .requestBodyTimeout(Duration.ofMillis(500))
            .build());
  }

  /** A POST announcing 100 bytes and sending 3, then what the server sent until it closed. */
  private static String slowPost(HeraldServer server, String originHeader) throws IOException {
    try (Socket s = new Socket("127.0.0.1", server.port())) {
      s.setSoTimeout(20_000);
      s.getOutputStream()
          .write(
              ("POST /channels/"
                      + channel("slow-cors")
                      + " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                      + originHeader
                      + "Content-Type: text/plain\r\nContent-Length: 100\r\n\r\nabc")
                  .getBytes(StandardCharsets.US_ASCII));
      InputStream in = s.getInputStream();
      ByteArrayOutputStream got = new ByteArrayOutputStream();
      try {
        in.transferTo(got);
      } catch (SocketException resetAfterTheAnswer) {
        // the server's lingering close may reset; what came before it is the answer
      }
      return got.toString(StandardCharsets.UTF_8);
    }
  }

  @Test
  void a408ForASlowBodyFromAnAllowedOriginCarriesItsCorsHeaders() throws Exception {
    try (HeraldServer server = server()) {
      String answer = slowPost(server, "Origin: " + ALLOWED + "\r\n");
      assertThat(answer).startsWith("HTTP/1.1 408").contains("request_timeout");
      assertThat(answer.toLowerCase())
          .contains("access-control-allow-origin: " + ALLOWED)
          .contains("access-control-expose-headers: ")
          .contains("vary: origin");
    }
  }

  @Test
  void a408ForARefusedOriginOrNoOriginCarriesNoCorsHeaders() throws Exception {
    try (HeraldServer server = server()) {
      String refused = slowPost(server, "Origin: https://evil.example\r\n");
      assertThat(refused).startsWith("HTTP/1.1 408");
      assertThat(refused.toLowerCase()).doesNotContain("access-control-allow-origin");
      String none = slowPost(server, "");
      assertThat(none).startsWith("HTTP/1.1 408");
      assertThat(none.toLowerCase()).doesNotContain("access-control-allow-origin");
    }
  }

  @Test
  void a408OnAnHttp2StreamFromAnAllowedOriginCarriesItsCorsHeaders() throws Exception {
    try (HeraldServer server = server();
        NettyH2Client h2c = new NettyH2Client(server.address())) {
      NettyH2Client.Stream stalled =
          h2c.startRequest(
              HttpMethod.POST, "/channels/" + channel("h2-slow-cors"), 100, "origin", ALLOWED);
      HttpResponse head = stalled.head();
      assertThat(head.status().code()).isEqualTo(408);
      assertThat(head.headers().get(HttpHeaderNames.ACCESS_CONTROL_ALLOW_ORIGIN))
          .isEqualTo(ALLOWED);
      NettyH2Client.Stream refused =
          h2c.startRequest(
              HttpMethod.POST,
              "/channels/" + channel("h2-slow-cors"),
              100,
              "origin",
              "https://evil.example");
      assertThat(refused.head().status().code()).isEqualTo(408);
      assertThat(refused.head().headers().contains(HttpHeaderNames.ACCESS_CONTROL_ALLOW_ORIGIN))
          .isFalse();
    }
  }
}
