package io.herald.server;

import static io.herald.server.TestClients.channel;
import static io.herald.server.TestClients.publish;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * SSE to an HTTP/1.0 client (RFC 9112 section 6.1: chunked transfer encoding must not be sent to
 * one): the stream is close-delimited, without {@code Transfer-Encoding} and with {@code
 * Connection: close}, carries the same events, and a clean end is still announced by {@code
 * herald.end} before the close. An HTTP/1.1 client still gets a chunked stream.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class SseHttp10IT {
  private static HeraldServer server() {
    return HeraldServer.start(
        ServerConfig.builder()
            .host("127.0.0.1")
            .port(0)
            .shutdownTimeout(Duration.ofSeconds(2))
            .build());
  }

  /** Reads until {@code text} has arrived; fails at the end of the stream without it. */
  private static String readUntil(InputStream in, ByteArrayOutputStream got, String text)
      throws IOException {
    while (!got.toString(StandardCharsets.UTF_8).contains(text)) {
      int b = in.read();
      if (b < 0) {
        throw new AssertionError(
            "the stream ended before " + text + ": " + got.toString(StandardCharsets.UTF_8));
      }
      got.write(b);
    }
    return got.toString(StandardCharsets.UTF_8);
  }

  private static Socket sseRequest(HeraldServer server, String ch, String version)
      throws IOException {
    Socket s = new Socket("127.0.0.1", server.port());
    s.setSoTimeout(20_000);
    OutputStream out = s.getOutputStream();
    out.write(
        ("GET /channels/" + ch + " " + version + "\r\nAccept: text/event-stream\r\n\r\n")
            .getBytes(StandardCharsets.US_ASCII));
    out.flush();
    return s;
  }

  @Test
  void anHttp10ClientGetsACloseDelimitedStreamEndedByHeraldEnd() throws Exception {
    HeraldServer server = server();
    String ch = channel("sse-http10");
    try (Socket s = sseRequest(server, ch, "HTTP/1.0")) {
      InputStream in = s.getInputStream();
      ByteArrayOutputStream got = new ByteArrayOutputStream();
      String head = readUntil(in, got, "\r\n\r\n");
      assertThat(head).startsWith("HTTP/1.").contains(" 200 ");
      assertThat(head.toLowerCase())
          .doesNotContain("transfer-encoding")
          .doesNotContain("content-length");
      assertThat(head.toLowerCase()).contains("connection: close");
      got.reset();
      String subscribed = readUntil(in, got, "event: herald.subscribed\ndata: ");
      assertThat(subscribed).as("no chunk size line before the events").startsWith("retry: ");
      readUntil(in, got, "\n\n");
      got.reset();

      publish(server.baseUrl(), ch, "{\"n\":1}");
      String event = readUntil(in, got, "\n\n");
      assertThat(event).startsWith("id: ").contains("data: {").contains("\"data\":{\"n\":1}");

      got.reset();
      server.close(); // a shutdown ends the stream cleanly
      byte[] rest = in.readAllBytes(); // the close delimits the stream
      assertThat(new String(rest, StandardCharsets.UTF_8))
          .as("herald.end, then the close, and no last chunk")
          .contains("event: herald.end\ndata: {\"reason\":\"draining\"")
          .endsWith("}\n\n");
    } finally {
      server.close();
    }
  }

  @Test
  void anHttp11ClientStillGetsAChunkedStream() throws Exception {
    HeraldServer server = server();
    String ch = channel("sse-http11");
    try (Socket s = sseRequest(server, ch, "HTTP/1.1\r\nHost: 127.0.0.1")) {
      InputStream in = s.getInputStream();
      ByteArrayOutputStream got = new ByteArrayOutputStream();
      String head = readUntil(in, got, "\r\n\r\n");
      assertThat(head.toLowerCase()).contains("transfer-encoding: chunked");
      got.reset();
      server.close();
      String rest = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      assertThat(rest).contains("event: herald.end").endsWith("0\r\n\r\n");
    } finally {
      server.close();
    }
  }
}
