package io.herald.server;

import static io.herald.server.TestClients.channel;
import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.slf4j.LoggerFactory;

/**
 * A client's bad WebSocket frames (PROTOCOL.md section 7): each gets an {@code error} frame with a
 * code, a message and the command's {@code id} when it could be read; the connection stays open and
 * serves the next command; nothing is logged at ERROR. Ids are echoed exactly as sent.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
@ExtendWith(LeakDetection.class)
class WebSocketBadFramesIT {

  @Test
  void everyBadFrameGetsAnErrorFrameWithItsIdTheConnectionStaysOpenAndNothingIsLoggedAtError()
      throws Exception {
    String ch = channel("bad");
    Map<String, String> cases = new LinkedHashMap<>(); // frame -> "code" or "code id"
    cases.put("not json", "invalid_json");
    cases.put("", "invalid_json");
    cases.put("   ", "invalid_json");
    cases.put("[1,2]", "invalid_request");
    cases.put("\"ping\"", "invalid_request");
    cases.put("{\"type\":5,\"id\":1}", "invalid_request 1");
    cases.put("{\"id\":2}", "invalid_request 2");
    cases.put("{\"type\":\"ping\",\"id\":3} {\"x\":2}", "invalid_json 3");
    cases.put(
        "{\"id\":\"x\",\"type\":\"publish\",\"channel\":\"" + ch + "\",\"data\":",
        "invalid_json x");
    cases.put("{\"type\":\"publish\",\"id\":4,\"channel\":\"" + ch + "\"}", "invalid_request 4");
    cases.put(
        "{\"type\":\"publish\",\"id\":5,\"channel\":\"" + ch + "\",\"event\":5,\"data\":1}",
        "invalid_event 5");
    cases.put(
        "{\"type\":\"publish\",\"id\":6,\"channel\":\"" + ch + "\",\"event\":\"a b\",\"data\":1}",
        "invalid_event 6");
    cases.put(
        "{\"type\":\"publish\",\"id\":7,\"channel\":\"bad channel\",\"data\":1}",
        "invalid_channel 7");
    cases.put("{\"type\":\"publish\",\"id\":8,\"channel\":[],\"data\":1}", "invalid_request 8");
    cases.put(
        "{\"type\":\"subscribe\",\"id\":9,\"channel\":\"" + ch + "\",\"since\":{}}",
        "invalid_cursor 9");
    cases.put(
        "{\"type\":\"subscribe\",\"id\":10,\"channel\":\"" + ch + "\",\"since\":\"zz:-1\"}",
        "invalid_cursor 10");
    cases.put(
        "{\"type\":\"unsubscribe\",\"id\":11,\"channel\":\"" + ch + "\"}", "invalid_request 11");
    cases.put(
        "{\"type\":\"publish\",\"id\":12,\"channel\":\""
            + ch
            + "\",\"data\":"
            + "[".repeat(300)
            + "]".repeat(300)
            + "}",
        "invalid_json 12");
    cases.put(
        "{\"type\":\"publish\",\"id\":13,\"channel\":\""
            + ch
            + "\",\"data\":"
            + "9".repeat(1500)
            + "}",
        "invalid_json 13");
    cases.put("{\"type\":\"\\u0000fly\",\"id\":14}", "invalid_request 14");
    cases.put("{\"type\":\"ping\",\"id\":15,\"id\":}", "invalid_json 15");

    ListAppender<ILoggingEvent> log = new ListAppender<>();
    Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    log.start();
    root.addAppender(log);
    try (HeraldServer server = HeraldServer.start(ServerConfig.builder().port(0).build());
        CommandLimitsIT.Ws ws = new CommandLimitsIT.Ws(server, "/ws")) {
      for (Map.Entry<String, String> c : cases.entrySet()) {
        ws.sendAll(c.getKey());
        JsonNode reply = ws.next();
        String[] expected = c.getValue().split(" ");
        assertThat(reply.get("type").asText()).as("answer to %s", c.getKey()).isEqualTo("error");
        assertThat(reply.get("error").get("code").asText())
            .as("answer to %s: %s", c.getKey(), reply)
            .isEqualTo(expected[0]);
        assertThat(reply.get("error").get("message").asText()).isNotBlank();
        if (expected.length > 1) {
          assertThat(reply.get("id").asText()).as("id in %s", reply).isEqualTo(expected[1]);
        } else {
          assertThat(reply.has("id")).as("no id in %s", reply).isFalse();
        }
      }
      ws.socket.sendBinary(ByteBuffer.wrap(new byte[] {1, 2, 3}), true).join();
      assertThat(ws.next().get("error").get("code").asText()).isEqualTo("invalid_request");

      // ids come back exactly as sent; an id that is neither number nor string is left out
      ws.sendAll("{\"type\":\"ping\",\"id\":1.50}");
      assertThat(ws.texts.poll(10, TimeUnit.SECONDS)).isEqualTo("{\"type\":\"pong\",\"id\":1.50}");
      ws.sendAll("{\"type\":\"ping\",\"id\":123456789012345678901234567890}");
      assertThat(ws.texts.poll(10, TimeUnit.SECONDS))
          .isEqualTo("{\"type\":\"pong\",\"id\":123456789012345678901234567890}");
      ws.sendAll("{\"type\":\"ping\",\"id\":\"caf\\u00e9\"}");
      assertThat(ws.texts.poll(10, TimeUnit.SECONDS))
          .isEqualTo("{\"type\":\"pong\",\"id\":\"caf\\u00e9\"}");
      ws.sendAll("{\"type\":\"ping\",\"id\":{\"a\":1}}");
      assertThat(ws.texts.poll(10, TimeUnit.SECONDS)).isEqualTo("{\"type\":\"pong\"}");

      // and the connection still works
      ws.sendAll("{\"type\":\"publish\",\"id\":99,\"channel\":\"" + ch + "\",\"data\":1}");
      JsonNode published = ws.next();
      assertThat(published.get("type").asText()).isEqualTo("published");
      assertThat(published.get("offset").asLong()).isEqualTo(1);
      assertThat(ws.closed).isNotDone();
    } finally {
      root.detachAppender(log);
    }
    assertNoErrorLogged(log);
  }

  @Test
  void aMalformedUpgradeGets400WithAMessageAndNothingIsLoggedAtError() throws Exception {
    ListAppender<ILoggingEvent> log = new ListAppender<>();
    Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    log.start();
    root.addAppender(log);
    try (HeraldServer server = HeraldServer.start(ServerConfig.builder().port(0).build())) {
      String noKey =
          "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
              + "Sec-WebSocket-Version: 13\r\n\r\n";
      assertThat(exchange(server, noKey))
          .startsWith("HTTP/1.1 400")
          .contains("invalid_request")
          .contains("Sec-WebSocket-Key");
      String noConnection =
          "GET /channels/a HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
              + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
      assertThat(exchange(server, noConnection))
          .startsWith("HTTP/1.1 400")
          .contains("Connection: Upgrade");
      String badVersion =
          "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
              + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 99\r\n\r\n";
      assertThat(exchange(server, badVersion)).startsWith("HTTP/1.1 426");
      assertThat(TestClients.get(server.baseUrl() + "/health").statusCode()).isEqualTo(200);
    } finally {
      root.detachAppender(log);
    }
    assertNoErrorLogged(log);
  }

  /** Sends {@code request} on a new connection and reads the answer's head and first bytes. */
  private static String exchange(HeraldServer server, String request) throws Exception {
    try (Socket s = new Socket("127.0.0.1", server.address().getPort())) {
      s.setSoTimeout(10_000);
      s.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
      s.shutdownOutput();
      return new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  private static void assertNoErrorLogged(ListAppender<ILoggingEvent> log) {
    assertThat(log.list)
        .as("log lines at ERROR")
        .filteredOn(e -> e.getLevel().isGreaterOrEqual(Level.ERROR))
        .isEmpty();
  }
}
