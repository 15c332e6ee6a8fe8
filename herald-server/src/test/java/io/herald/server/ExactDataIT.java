package io.herald.server;

import static io.herald.server.TestClients.channel;
import static io.herald.server.TestClients.get;
import static io.herald.server.TestClients.json;
import static io.herald.server.TestClients.post;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Data is delivered exactly as published (PROTOCOL.md section 2): the bytes of {@code data} from a
 * WebSocket {@code publish} command and from an HTTP publish body come out unchanged on SSE, short
 * and long polls and WebSocket, whatever JSON numbers and escapes they hold.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
@ExtendWith(LeakDetection.class)
class ExactDataIT {
  /** Values a parse-and-reserialize would change: each must come back byte for byte. */
  static final List<String> VALUES =
      List.of(
          "1e400", // a double overflows to Infinity
          "0.1000000000000000055511151231257827", // more digits than a double holds
          "12345678901234567890123", // more than a long
          "-0.0", // negative zero
          "1E+2", // exponent form
          "{\"a\":{\"b\":[1,2.50,{\"c\":-0.0}]},\"n\":1e-400}", // nested, trailing zero
          "{ \"spaced\" : [ 1 , 2 ] }", // white space inside is kept
          "\"caf\\u00e9 \\ud83d\\ude00 \\/ \\\"q\\\"\"", // unicode and other escapes
          "\"plain é 😀\""); // raw UTF-8

  static HeraldServer server;
  static String base;

  @BeforeAll
  static void start() {
    server = HeraldServer.start(ServerConfig.builder().port(0).build());
    base = server.baseUrl();
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  @Test
  void dataPublishedOverWebSocketAndHttpComesOutByteForByteOnEveryTransport() throws Exception {
    String ch = channel("exact");
    try (TestClients.Sse sse = new TestClients.Sse(base + "/channels/" + ch);
        TestClients.Ws ws = new TestClients.Ws(base.replace("http", "ws") + "/channels/" + ch);
        TestClients.Ws publisher = new TestClients.Ws(base.replace("http", "ws") + "/ws")) {
      assertThat(sse.nextEvent()).contains("herald.subscribed");
      assertThat(ws.next().get("type").asText()).isEqualTo("subscribed");
      List<String> expected = new ArrayList<>();
      int id = 0;
      for (String value : VALUES) {
        // over WebSocket, with white space around the value as a client may send it
        publisher.send(
            "{\"type\":\"publish\",\"id\":"
                + (++id)
                + ",\"channel\":\""
                + ch
                + "\",\"data\": "
                + value
                + " }");
        JsonNode reply = publisher.next();
        assertThat(reply.get("type").asText()).as(reply.toString()).isEqualTo("published");
        assertThat(reply.get("id").asInt()).isEqualTo(id);
        expected.add(value);
        // over HTTP, the same bytes as the body
        HttpResponse<String> r =
            post(
                base + "/channels/" + ch,
                "application/json",
                (" " + value + "\n").getBytes(StandardCharsets.UTF_8));
        assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
        expected.add(value);
      }

      for (int i = 0; i < expected.size(); i++) {
        String frame = ws.texts.poll(10, TimeUnit.SECONDS);
        assertThat(frame).as("WebSocket message %d", i + 1).isNotNull();
        assertThat(frame)
            .contains("\"offset\":" + (i + 1) + ",")
            .contains(dataField(expected.get(i)));
        String event = sse.nextEvent();
        assertThat(event)
            .contains("\"offset\":" + (i + 1) + ",")
            .contains(dataField(expected.get(i)));
      }

      String poll = get(base + "/channels/" + ch + "?since=0&limit=100").body();
      String longPoll = get(base + "/channels/" + ch + "?since=0&wait=1").body();
      int from = 0;
      int fromLong = 0;
      for (String value : expected) {
        int at = poll.indexOf(dataField(value), from);
        assertThat(at).as("short poll has %s in order: %s", value, poll).isGreaterThan(from);
        from = at + 1;
        int atLong = longPoll.indexOf(dataField(value), fromLong);
        assertThat(atLong).as("long poll has %s in order", value).isGreaterThan(fromLong);
        fromLong = atLong + 1;
      }
      assertThat(json(poll).get("messages").size()).isEqualTo(expected.size());
    }
  }

  @Test
  void dataWithLineBreaksIsKeptOnOneLineTheSameWayOverWebSocketAndHttp() {
    String ch = channel("exactnl");
    String value = "{\"a\":\r\n[1,\n2]}";
    try (TestClients.Ws publisher = new TestClients.Ws(base.replace("http", "ws") + "/ws")) {
      publisher.send(
          "{\"type\":\"publish\",\"id\":1,\"channel\":\"" + ch + "\",\"data\":" + value + "}");
      assertThat(publisher.next().get("type").asText()).isEqualTo("published");
    }
    assertThat(
            post(
                    base + "/channels/" + ch,
                    "application/json",
                    value.getBytes(StandardCharsets.UTF_8))
                .statusCode())
        .isEqualTo(201);
    String poll = get(base + "/channels/" + ch + "?since=0").body();
    String oneLine = "{\"a\":  [1, 2]}";
    assertThat(poll.split(java.util.regex.Pattern.quote(dataField(oneLine)), -1)).hasSize(3);
  }

  private static String dataField(String value) {
    return "\"data\":" + value + ",\"time\":";
  }
}
