package io.herald.server;

import static io.herald.server.TestClients.channel;
import static io.herald.server.TestClients.get;
import static io.herald.server.TestClients.json;
import static io.herald.server.TestClients.post;
import static io.herald.server.TestClients.publish;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * PROTOCOL.md over real sockets with the JDK's HttpClient and WebSocket: each rule of sections 5 to
 * 9.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
@ExtendWith(LeakDetection.class)
class ProtocolIT {
  static HeraldServer server;
  static String base;

  @BeforeAll
  static void start() {
    server =
        HeraldServer.start(
            ServerConfig.builder()
                .port(0)
                .sseHeartbeat(Duration.ofMillis(300))
                .wsPingInterval(Duration.ofMillis(300))
                .maxMessageBytes(1024)
                .maxFrameBytes(4096)
                .maxChannelsPerSubscription(3)
                .build());
    base = server.baseUrl();
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  @Test
  void publishAnswers201WithOffsetAndEpochAndOffsetsCountFromOne() {
    String ch = channel("pub");
    JsonNode first = publish(base, ch, "{\"n\":1}");
    JsonNode second = publish(base, ch, "{\"n\":2}");
    assertThat(first.get("channel").asText()).isEqualTo(ch);
    assertThat(first.get("offset").asLong()).isEqualTo(1);
    assertThat(second.get("offset").asLong()).isEqualTo(2);
    assertThat(second.get("epoch").asText())
        .matches("[a-z0-9]{1,16}")
        .isEqualTo(first.get("epoch").asText());
  }

  @Test
  void textBodyBecomesJsonStringAndEventNameIsKept() {
    String ch = channel("text");
    HttpResponse<String> r =
        post(
            base + "/channels/" + ch + "?event=greet",
            "text/plain; charset=utf-8",
            "héllo \"you\"".getBytes(StandardCharsets.UTF_8));
    assertThat(r.statusCode()).isEqualTo(201);
    JsonNode poll = json(get(base + "/channels/" + ch + "?since=0").body());
    JsonNode m = poll.get("messages").get(0);
    assertThat(m.get("data").asText()).isEqualTo("héllo \"you\"");
    assertThat(m.get("event").asText()).isEqualTo("greet");
    assertThat(m.get("time").asLong()).isPositive();
    assertThat(poll.get("cursor").asText()).isEqualTo(m.get("epoch").asText() + ":1");
  }

  @Test
  void badPublicationsGetTheirErrorAndPublishNothing() {
    String ch = channel("bad");
    assertError(
        post(base + "/channels/" + ch, "application/json", "{\"a\":".getBytes()),
        400,
        "invalid_json");
    assertError(
        post(base + "/channels/" + ch, "application/json", "1 2".getBytes()), 400, "invalid_json");
    assertError(
        post(base + "/channels/" + ch, "text/plain", new byte[] {'a', (byte) 0xC3, (byte) 0x28}),
        400,
        "invalid_json");
    assertError(
        post(base + "/channels/" + ch, "png", new byte[] {1, 2}), // not type/subtype
        415,
        "unsupported_media_type");
    assertError(
        post(base + "/channels/" + ch, "text/plain", new byte[2048]), 413, "message_too_large");
    assertError(
        post(base + "/channels/" + ch + "?event=herald.x", "text/plain", "x".getBytes()),
        400,
        "invalid_event");
    assertError(
        post(base + "/channels/a%20b", "text/plain", "x".getBytes()), 400, "invalid_channel");
    assertError(post(base + "/channels/a,b", "text/plain", "x".getBytes()), 400, "invalid_channel");
    JsonNode poll = json(get(base + "/channels/" + ch + "?since=0").body());
    assertThat(poll.get("messages")).isEmpty();
    assertThat(poll.get("cursor").asText()).endsWith(":0");
  }

  @Test
  void badSubscriptionsGetTheirError() {
    String ch = channel("badsub");
    assertError(get(base + "/channels/" + ch + "?since=abc:x"), 400, "invalid_cursor");
    assertError(get(base + "/channels/" + ch + "?since=ABC:1"), 400, "invalid_cursor");
    assertError(get(base + "/channels/" + ch + ",b?since=1"), 400, "invalid_cursor");
    assertError(get(base + "/channels/a,b,c,d"), 400, "too_many_channels");
    assertError(get(base + "/channels/" + ch + "?limit=0"), 400, "invalid_request");
    assertError(get(base + "/channels/" + ch + "?wait=soon"), 400, "invalid_request");
    assertError(
        get(base + "/channels/" + ch, "Accept", "text/event-stream", "Last-Event-ID", "x:y"),
        400,
        "invalid_cursor");
    assertError(get(base + "/nowhere"), 404, "not_found");
    HttpResponse<String> r =
        TestClients.send(
            java.net.http.HttpRequest.newBuilder(java.net.URI.create(base + "/channels/" + ch))
                .method("DELETE", java.net.http.HttpRequest.BodyPublishers.noBody())
                .build());
    assertError(r, 405, "method_not_allowed");
    assertThat(r.headers().firstValue("Allow")).hasValue("GET, HEAD, POST, OPTIONS");
  }

  @Test
  void shortPollReturnsWhatFollowsTheCursorCappedByLimit() {
    String ch = channel("short");
    for (int i = 1; i <= 5; i++) {
      publish(base, ch, "{\"n\":" + i + "}");
    }
    JsonNode page1 = json(get(base + "/channels/" + ch + "?since=0&limit=3").body());
    assertThat(page1.get("messages"))
        .extracting(m -> m.get("offset").asLong())
        .containsExactly(1L, 2L, 3L);
    JsonNode page2 =
        json(
            get(base + "/channels/" + ch + "?since=" + page1.get("cursor").asText() + "&limit=3")
                .body());
    assertThat(page2.get("messages"))
        .extracting(m -> m.get("offset").asLong())
        .containsExactly(4L, 5L);
    assertThat(page2.get("recovered").asBoolean()).isTrue();
    JsonNode fromNow = json(get(base + "/channels/" + ch).body());
    assertThat(fromNow.get("messages")).isEmpty();
    assertThat(fromNow.get("cursor").asText()).isEqualTo(page2.get("cursor").asText());
  }

  @Test
  void resumeFromAnotherEpochOrAheadOfHeadIsNotRecoveredAndStartsAtHead() {
    String ch = channel("norec");
    JsonNode p = publish(base, ch, "1");
    String epoch = p.get("epoch").asText();
    JsonNode wrongEpoch = json(get(base + "/channels/" + ch + "?since=zzzz:0").body());
    assertThat(wrongEpoch.get("recovered").asBoolean()).isFalse();
    assertThat(wrongEpoch.get("messages")).isEmpty();
    assertThat(wrongEpoch.get("cursor").asText()).isEqualTo(epoch + ":1");
    JsonNode ahead = json(get(base + "/channels/" + ch + "?since=" + epoch + ":9").body());
    assertThat(ahead.get("recovered").asBoolean()).isFalse();
    JsonNode bare = json(get(base + "/channels/" + ch + "?since=0").body());
    assertThat(bare.get("recovered").asBoolean()).isTrue();
    assertThat(bare.get("messages")).hasSize(1);
  }

  @Test
  void longPollAnswersEmptyAfterWait() {
    String ch = channel("lpwait");
    long t0 = System.nanoTime();
    HttpResponse<String> r = get(base + "/channels/" + ch + "?wait=1");
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(json(r.body()).get("messages")).isEmpty();
    assertThat(System.nanoTime() - t0).isGreaterThanOrEqualTo(TimeUnit.MILLISECONDS.toNanos(900));
  }

  @Test
  void longPollAnswersAsSoonAsAMessageArrivesAndHonoursPreferWait() throws Exception {
    String ch = channel("lp");
    String cursor = json(get(base + "/channels/" + ch).body()).get("cursor").asText();
    CompletableFuture<HttpResponse<String>> parked =
        CompletableFuture.supplyAsync(
            () -> get(base + "/channels/" + ch + "?since=" + cursor, "Prefer", "wait=20"));
    await().atMost(Duration.ofSeconds(5)).until(() -> server.hub().subscriberCount() > 0);
    publish(base, ch, "{\"hello\":true}");
    HttpResponse<String> r = parked.get(10, TimeUnit.SECONDS);
    assertThat(r.headers().firstValue("Preference-Applied")).hasValue("wait=20");
    JsonNode body = json(r.body());
    assertThat(body.get("messages")).hasSize(1);
    assertThat(body.get("messages").get(0).get("data").get("hello").asBoolean()).isTrue();
  }

  @Test
  void multiChannelPollMergesAndKeepsOnePositionPerChannel() {
    String a = channel("ma");
    String b = channel("mb");
    publish(base, a, "1");
    publish(base, b, "2");
    publish(base, a, "3");
    JsonNode r = json(get(base + "/channels/" + a + "," + b + "?since=0,0").body());
    // Across channels the order is the server's acceptance order "as best it can" (PROTOCOL.md
    // section 2): publications within one millisecond may merge either way. Within a channel it is
    // exact.
    assertThat(r.get("messages"))
        .extracting(m -> m.get("data").asInt())
        .containsExactlyInAnyOrder(1, 2, 3)
        .containsSubsequence(1, 3);
    String[] positions = r.get("cursor").asText().split(",");
    assertThat(positions).hasSize(2);
    assertThat(positions[0]).endsWith(":2");
    assertThat(positions[1]).endsWith(":1");
  }

  @Test
  void sseStartsWithRetryAndSubscribedThenOneEventPerMessageWithCursorIds() {
    String ch = channel("sse");
    publish(base, ch, "{\"n\":1}");
    try (TestClients.Sse sse = new TestClients.Sse(base + "/channels/" + ch + "?since=0")) {
      assertThat(sse.response.headers().firstValue("Content-Type")).hasValue("text/event-stream");
      assertThat(sse.response.headers().firstValue("Cache-Control")).hasValue("no-cache");
      String subscribed = sse.nextEvent();
      assertThat(subscribed)
          .startsWith("retry: ")
          .contains("event: herald.subscribed")
          .contains("\"recovered\":true");
      String first = sse.nextEvent();
      String epoch =
          first.substring(first.indexOf("id: ") + 4, first.indexOf(':', first.indexOf("id: ") + 4));
      assertThat(first)
          .isEqualTo(
              "id: "
                  + epoch
                  + ":1\ndata: "
                  + json(get(base + "/channels/" + ch + "?since=0").body())
                      .get("messages")
                      .get(0)
                      .toString());
      post(base + "/channels/" + ch + "?event=tick", "text/plain", "x".getBytes());
      String second = sse.nextEvent();
      assertThat(second).startsWith("id: " + epoch + ":2\nevent: tick\ndata: {");
      // silence brings heartbeats (comment lines)
      assertThat(sse.next()).isEqualTo(":");
    }
  }

  @Test
  void sseLastEventIdWinsOverSinceAndResumesWithoutDuplicates() {
    String ch = channel("sseresume");
    JsonNode p = null;
    for (int i = 1; i <= 4; i++) {
      p = publish(base, ch, String.valueOf(i));
    }
    String epoch = p.get("epoch").asText();
    try (TestClients.Sse sse =
        new TestClients.Sse(base + "/channels/" + ch + "?since=0", "Last-Event-ID", epoch + ":2")) {
      assertThat(sse.nextEvent()).contains("\"cursor\":\"" + epoch + ":2\"");
      assertThat(sse.nextEvent()).startsWith("id: " + epoch + ":3\n");
      assertThat(sse.nextEvent()).startsWith("id: " + epoch + ":4\n");
    }
  }

  @Test
  void webSocketUrlSubscriptionGetsSubscribedThenMessages() {
    String ch = channel("wsurl");
    publish(base, ch, "1");
    try (TestClients.Ws ws =
        new TestClients.Ws(base.replace("http", "ws") + "/channels/" + ch + "?since=0")) {
      JsonNode subscribed = ws.next();
      assertThat(subscribed.get("type").asText()).isEqualTo("subscribed");
      assertThat(subscribed.has("id")).isFalse();
      assertThat(subscribed.get("position").asText()).endsWith(":0");
      JsonNode m = ws.next();
      assertThat(m.get("type").asText()).isEqualTo("message");
      assertThat(m.get("offset").asLong()).isEqualTo(1);
      assertThat(m.get("data").asInt()).isEqualTo(1);
    }
  }

  @Test
  void webSocketCommandsAnswerWithTheirIdAndErrorsKeepTheConnectionOpen() {
    String ch = channel("wscmd");
    try (TestClients.Ws ws = new TestClients.Ws(base.replace("http", "ws") + "/ws")) {
      ws.send("{\"type\":\"subscribe\",\"id\":1,\"channel\":\"" + ch + "\"}");
      JsonNode sub = ws.next();
      assertThat(sub.get("type").asText()).isEqualTo("subscribed");
      assertThat(sub.get("id").asInt()).isEqualTo(1);
      assertThat(sub.get("recovered").asBoolean()).isTrue();
      ws.send(
          "{\"type\":\"publish\",\"id\":\"p\",\"channel\":\""
              + ch
              + "\",\"event\":\"e\",\"data\":{\"x\":1}}");
      List<JsonNode> two = List.of(ws.next(), ws.next());
      JsonNode published =
          two.stream()
              .filter(n -> n.get("type").asText().equals("published"))
              .findFirst()
              .orElseThrow();
      JsonNode message =
          two.stream()
              .filter(n -> n.get("type").asText().equals("message"))
              .findFirst()
              .orElseThrow();
      assertThat(published.get("id").asText()).isEqualTo("p");
      assertThat(published.get("offset").asLong()).isEqualTo(1);
      assertThat(message.get("event").asText()).isEqualTo("e");
      ws.send("{\"type\":\"ping\",\"id\":4}");
      assertThat(ws.next().toString()).isEqualTo("{\"type\":\"pong\",\"id\":4}");
      ws.send("not json");
      assertThat(ws.next().get("error").get("code").asText()).isEqualTo("invalid_json");
      ws.send("{\"type\":\"subscribe\",\"id\":5,\"channel\":\"bad channel\"}");
      JsonNode err = ws.next();
      assertThat(err.get("id").asInt()).isEqualTo(5);
      assertThat(err.get("error").get("code").asText()).isEqualTo("invalid_channel");
      ws.send("{\"type\":\"fly\",\"id\":6}");
      assertThat(ws.next().get("error").get("code").asText()).isEqualTo("invalid_request");
      ws.send("{\"type\":\"unsubscribe\",\"id\":7,\"channel\":\"" + ch + "\"}");
      assertThat(ws.next().get("type").asText()).isEqualTo("unsubscribed");
      publish(base, ch, "2");
      ws.send("{\"type\":\"ping\",\"id\":8}");
      assertThat(ws.next().get("type").asText())
          .as("no message after unsubscribe")
          .isEqualTo("pong");
      assertThat(ws.closed).isNotDone();
    }
  }

  @Test
  void webSocketFrameLargerThanTheLimitClosesWith1009() throws Exception {
    try (TestClients.Ws ws = new TestClients.Ws(base.replace("http", "ws") + "/ws")) {
      ws.socket.sendText("{\"type\":\"ping\",\"pad\":\"" + "x".repeat(8000) + "\"}", true);
      assertThat(ws.closed.get(10, TimeUnit.SECONDS)).isEqualTo(1009);
    }
    assertThat(json(get(base + "/health").body()).get("status").asText()).isEqualTo("ok");
  }

  @Test
  void healthIsOk() {
    HttpResponse<String> r = get(base + "/health");
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(json(r.body()).get("status").asText()).isEqualTo("ok");
  }

  static void assertError(HttpResponse<String> r, int status, String code) {
    assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
    JsonNode e = json(r.body()).get("error");
    assertThat(e.get("code").asText()).isEqualTo(code);
    assertThat(e.get("message").asText()).isNotBlank();
  }
}
