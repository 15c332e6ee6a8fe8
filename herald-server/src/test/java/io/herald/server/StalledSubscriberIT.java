package io.herald.server;

import static io.herald.server.TestClients.channel;
import static io.herald.server.TestClients.publish;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A subscriber that stops reading its socket (a stalled client) and then reads again is never left
 * in silence: it gets every message, or a gap notice for those the history no longer holds, and
 * then every later message, over a real socket and the server's own backpressure.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
@ExtendWith(LeakDetection.class)
class StalledSubscriberIT {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void aWebSocketSubscriberThatStopsReadingPastTheHighWaterMarkThenResumesGetsEveryMessageOrAGap()
      throws Exception {
    ServerConfig config = ServerConfig.builder().port(0).historySize(100_000).build();
    try (HeraldServer server = HeraldServer.start(config)) {
      String ch = channel("stalled");
      try (Socket s = new Socket()) {
        s.setReceiveBufferSize(4096);
        s.setSoTimeout(20_000);
        s.connect(server.address());
        upgrade(s, "/channels/" + ch);
        DataInputStream in = new DataInputStream(s.getInputStream());
        assertThat(frame(in).path("type").asText()).isEqualTo("subscribed");
        // not reading: far more than the write buffer's high-water mark piles up
        String pad = "x".repeat(1_000);
        int count = 2_000;
        for (int i = 1; i <= count; i++) {
          publish(server.baseUrl(), ch, "{\"n\":" + i + ",\"pad\":\"" + pad + "\"}");
        }
        long expected = 1;
        while (expected <= count) {
          JsonNode f = frame(in);
          if (f.path("type").asText().equals("gap")) {
            long to = Long.parseLong(f.path("position").asText().replaceAll(".*:", ""));
            assertThat(to).isGreaterThanOrEqualTo(expected - 1);
            expected = to + 1;
            continue;
          }
          assertThat(f.path("offset").asLong()).as("the next offset").isEqualTo(expected);
          expected++;
        }
        // and the subscription is live afterwards
        publish(server.baseUrl(), ch, "{\"n\":" + (count + 1) + "}");
        assertThat(frame(in).path("offset").asLong()).isEqualTo(count + 1L);
      }
    }
  }

  /** The next text frame from the server (unmasked), pings skipped; fails when the socket ends. */
  private static JsonNode frame(DataInputStream in) throws IOException {
    while (true) {
      int b0 = in.readUnsignedByte();
      int b1 = in.readUnsignedByte();
      long len = b1 & 0x7f;
      if (len == 126) {
        len = in.readUnsignedShort();
      } else if (len == 127) {
        len = in.readLong();
      }
      byte[] payload = in.readNBytes((int) len);
      int opcode = b0 & 0x0f;
      if (opcode == 0x8) {
        throw new IOException(
            "closed by the server: " + new String(payload, StandardCharsets.UTF_8));
      }
      if (opcode == 0x1) {
        return JSON.readTree(payload);
      }
    }
  }

  private static void upgrade(Socket s, String path) throws IOException {
    s.getOutputStream()
        .write(
            ("GET "
                    + path
                    + " HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII));
    InputStream in = s.getInputStream();
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    while (!head.toString(StandardCharsets.US_ASCII).endsWith("\r\n\r\n")) {
      int b = in.read();
      assertThat(b).as("the upgrade answer").isNotEqualTo(-1);
      head.write(b);
    }
    assertThat(head.toString(StandardCharsets.US_ASCII)).startsWith("HTTP/1.1 101");
  }
}
