package io.herald.server;

import static io.herald.server.TestClients.channel;
import static io.herald.server.TestClients.get;
import static io.herald.server.TestClients.json;
import static io.herald.server.TestClients.post;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.herald.redis.RedisServerProcess;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Binary messages (PROTOCOL.md section 11) over real sockets, on the memory broker and on two nodes
 * over a real Redis (published on one node, received on the other): every byte value and a 60 KiB
 * random payload come out byte for byte on short and long polls, SSE and WebSocket text frames (as
 * base64 envelopes) and on WebSocket binary frames ({@code binary=1}); a publication over the size
 * limit is refused; malformed binary frames get an error frame and the connection stays open;
 * resuming over binary messages works as for JSON.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
@ExtendWith(LeakDetection.class)
class BinaryMessagesIT {
  private static final Duration WAIT = Duration.ofSeconds(20);
  private static final byte[] EVERY_BYTE = new byte[256];
  private static final byte[] RANDOM = new byte[60 * 1024];

  static {
    for (int i = 0; i < 256; i++) {
      EVERY_BYTE[i] = (byte) i;
    }
    new Random(60).nextBytes(RANDOM);
  }

  static RedisServerProcess redis;
  static HeraldServer memory;
  static HeraldServer redisA;
  static HeraldServer redisB;

  @BeforeAll
  static void start() {
    memory = HeraldServer.start(ServerConfig.builder().port(0).build());
    redis = RedisServerProcess.start();
    redisA = HeraldServer.start(ServerConfig.builder().port(0).broker(redis.uri()).build());
    redisB = HeraldServer.start(ServerConfig.builder().port(0).broker(redis.uri()).build());
    for (HeraldServer s : List.of(redisA, redisB)) {
      await().atMost(WAIT).until(() -> s.hub().broker().isAvailable());
    }
  }

  @AfterAll
  static void stop() {
    for (AutoCloseable c : new AutoCloseable[] {memory, redisA, redisB, redis}) {
      try {
        if (c != null) {
          c.close();
        }
      } catch (Exception e) {
        // closing the rest matters more
      }
    }
  }

  /** The node publications go to, and the node subscribers use (another one over Redis). */
  private static HeraldServer[] nodes(String broker) {
    return broker.equals("memory")
        ? new HeraldServer[] {memory, memory}
        : new HeraldServer[] {redisA, redisB};
  }

  /** One binary message as published: its bytes and content type. */
  record Sent(byte[] bytes, String contentType) {}

  @ParameterizedTest
  @ValueSource(strings = {"memory", "redis"})
  void everyTransportDeliversEveryByteValueAndA60KiBPayloadExactly(String broker) {
    HeraldServer[] n = nodes(broker);
    String pub = n[0].baseUrl();
    String sub = n[1].baseUrl();
    String ch = channel("bin-" + broker);
    List<Sent> sent =
        List.of(
            new Sent(EVERY_BYTE, "application/octet-stream"),
            new Sent(RANDOM, "image/png"),
            new Sent(reversed(RANDOM), "audio/ogg; codecs=opus"),
            new Sent(reversed(EVERY_BYTE), "application/octet-stream"));
    try (TestClients.Sse sse = new TestClients.Sse(sub + "/channels/" + ch);
        BinaryWs wsText = new BinaryWs(ws(sub) + "/channels/" + ch);
        BinaryWs wsBinary = new BinaryWs(ws(sub) + "/channels/" + ch + "?binary=1");
        BinaryWs wsBinaryCommand = new BinaryWs(ws(sub) + "/ws?binary=1");
        BinaryWs publisher = new BinaryWs(ws(pub) + "/ws")) {
      assertThat(sse.nextEvent()).contains("herald.subscribed");
      assertThat(wsText.nextText().get("type").asText()).isEqualTo("subscribed");
      assertThat(wsBinary.nextText().get("type").asText()).isEqualTo("subscribed");
      wsBinaryCommand.send("{\"type\":\"subscribe\",\"id\":1,\"channel\":\"" + ch + "\"}");
      assertThat(wsBinaryCommand.nextText().get("type").asText()).isEqualTo("subscribed");

      // two over HTTP, two as WebSocket binary frames
      for (int i = 0; i < 2; i++) {
        HttpResponse<String> r =
            post(
                pub + "/channels/" + ch + "?event=frame",
                sent.get(i).contentType(),
                sent.get(i).bytes());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
        assertThat(json(r.body()).get("offset").asLong()).isEqualTo(i + 1);
      }
      for (int i = 2; i < 4; i++) {
        publisher.sendBinary(
            "{\"type\":\"publish\",\"id\":"
                + i
                + ",\"channel\":\""
                + ch
                + "\",\"event\":\"frame\",\"contentType\":\""
                + sent.get(i).contentType()
                + "\"}",
            sent.get(i).bytes());
        JsonNode reply = publisher.nextText();
        assertThat(reply.get("type").asText()).as(reply.toString()).isEqualTo("published");
        assertThat(reply.get("id").asInt()).isEqualTo(i);
        assertThat(reply.get("offset").asLong()).isEqualTo(i + 1);
      }

      for (int i = 0; i < sent.size(); i++) {
        String event = sse.nextEvent();
        assertThat(event).contains("event: frame");
        String data = event.substring(event.indexOf("data: ") + 6);
        assertBase64Envelope(json(data), i + 1, sent.get(i));
        assertBase64Envelope(wsText.nextText(), i + 1, sent.get(i));
        assertBinaryFrame(wsBinary.nextBinary(), i + 1, sent.get(i));
        assertBinaryFrame(wsBinaryCommand.nextBinary(), i + 1, sent.get(i));
      }
      assertThat(wsText.binaries).as("a WebSocket without binary=1 gets text frames").isEmpty();

      JsonNode shortPoll = json(get(sub + "/channels/" + ch + "?since=0").body());
      JsonNode longPoll = json(get(sub + "/channels/" + ch + "?since=0&wait=5").body());
      for (JsonNode poll : List.of(shortPoll, longPoll)) {
        assertThat(poll.get("messages")).hasSize(sent.size());
        for (int i = 0; i < sent.size(); i++) {
          assertBase64Envelope(poll.get("messages").get(i), i + 1, sent.get(i));
        }
      }
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"memory", "redis"})
  void resumingAfterABinaryMessageDeliversTheRestOnEveryTransport(String broker) {
    HeraldServer[] n = nodes(broker);
    String sub = n[1].baseUrl();
    String ch = channel("binresume-" + broker);
    List<Sent> sent = new ArrayList<>();
    String epoch = null;
    for (int i = 0; i < 3; i++) {
      Sent s = new Sent(Arrays.copyOfRange(RANDOM, i * 1000, i * 1000 + 500), "application/x-test");
      sent.add(s);
      HttpResponse<String> r = post(n[0].baseUrl() + "/channels/" + ch, s.contentType(), s.bytes());
      assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
      epoch = json(r.body()).get("epoch").asText();
    }
    String since = epoch + ":1";
    JsonNode poll = json(get(sub + "/channels/" + ch + "?since=" + since).body());
    assertThat(poll.get("recovered").asBoolean()).isTrue();
    assertThat(poll.get("messages")).hasSize(2);
    assertBase64Envelope(poll.get("messages").get(0), 2, sent.get(1));
    assertBase64Envelope(poll.get("messages").get(1), 3, sent.get(2));
    assertThat(poll.get("cursor").asText()).isEqualTo(epoch + ":3");

    try (TestClients.Sse sse =
            new TestClients.Sse(sub + "/channels/" + ch + "?since=0", "Last-Event-ID", since);
        BinaryWs ws = new BinaryWs(ws(sub) + "/ws?binary=1")) {
      assertThat(sse.nextEvent()).contains("herald.subscribed").contains("\"recovered\":true");
      String e2 = sse.nextEvent();
      assertThat(e2).contains("id: " + epoch + ":2");
      assertBase64Envelope(json(e2.substring(e2.indexOf("data: ") + 6)), 2, sent.get(1));
      String e3 = sse.nextEvent();
      assertBase64Envelope(json(e3.substring(e3.indexOf("data: ") + 6)), 3, sent.get(2));

      ws.send(
          "{\"type\":\"subscribe\",\"id\":1,\"channel\":\""
              + ch
              + "\",\"since\":\""
              + since
              + "\"}");
      JsonNode subscribed = ws.nextText();
      assertThat(subscribed.get("recovered").asBoolean()).as(subscribed.toString()).isTrue();
      assertBinaryFrame(ws.nextBinary(), 2, sent.get(1));
      assertBinaryFrame(ws.nextBinary(), 3, sent.get(2));
    }
  }

  @Test
  void aBinaryPublicationOverTheSizeLimitIsRefusedOverHttpAndWebSocket() {
    String base = memory.baseUrl();
    String ch = channel("binbig");
    int max = memory.config().maxMessageBytes();
    HttpResponse<String> r =
        post(base + "/channels/" + ch, "application/octet-stream", new byte[max + 1]);
    assertThat(r.statusCode()).isEqualTo(413);
    assertThat(json(r.body()).get("error").get("code").asText()).isEqualTo("message_too_large");
    assertThat(
            post(base + "/channels/" + ch, "application/octet-stream", new byte[max]).statusCode())
        .as("exactly the limit is accepted")
        .isEqualTo(201);
    try (BinaryWs ws = new BinaryWs(ws(base) + "/ws")) {
      ws.sendBinary(
          "{\"type\":\"publish\",\"id\":7,\"channel\":\"" + ch + "\"}", new byte[max + 1]);
      JsonNode error = ws.nextText();
      assertThat(error.get("type").asText()).isEqualTo("error");
      assertThat(error.get("id").asInt()).isEqualTo(7);
      assertThat(error.get("error").get("code").asText()).isEqualTo("message_too_large");
      assertStillOpen(ws);
    }
    JsonNode poll = json(get(base + "/channels/" + ch + "?since=0").body());
    assertThat(poll.get("messages")).as("only the message of exactly the limit").hasSize(1);
  }

  @Test
  void malformedBinaryFramesGetAnErrorFrameAndTheConnectionStaysOpen() {
    String base = memory.baseUrl();
    String ch = channel("binbad");
    try (BinaryWs ws = new BinaryWs(ws(base) + "/ws")) {
      // N larger than the frame
      ws.sendRaw(new byte[] {0, 0, 0, 100, '{', '}'});
      assertError(ws.nextText(), "invalid_request", "N is 100");
      // shorter than the 4-byte N
      ws.sendRaw(new byte[] {0, 0});
      assertError(ws.nextText(), "invalid_request", "4 bytes");
      // not JSON
      ws.sendBinary("{not json", new byte[] {1, 2});
      assertError(ws.nextText(), "invalid_json", "not valid JSON");
      // no channel
      ws.sendBinary("{\"type\":\"publish\",\"id\":3}", new byte[] {1, 2});
      assertError(ws.nextText(), "invalid_request", "'channel'");
      // another command than publish
      ws.sendBinary("{\"type\":\"subscribe\",\"channel\":\"" + ch + "\"}", new byte[0]);
      assertError(ws.nextText(), "invalid_request", "publish");
      // data in the JSON
      ws.sendBinary("{\"type\":\"publish\",\"channel\":\"" + ch + "\",\"data\":1}", new byte[] {1});
      assertError(ws.nextText(), "invalid_request", "no 'data'");
      // a JSON or text content type
      ws.sendBinary(
          "{\"type\":\"publish\",\"channel\":\"" + ch + "\",\"contentType\":\"application/json\"}",
          new byte[] {1});
      assertError(ws.nextText(), "unsupported_media_type", "JSON or text");
      assertStillOpen(ws);
    }
    assertThat(json(get(base + "/channels/" + ch + "?since=0").body()).get("messages")).isEmpty();
  }

  @Test
  void aBinaryFrameWithoutContentTypeIsOctetStreamAndAnHttpPublicationKeepsItsType() {
    String base = memory.baseUrl();
    String ch = channel("bintype");
    try (BinaryWs ws = new BinaryWs(ws(base) + "/ws")) {
      ws.sendBinary("{\"type\":\"publish\",\"channel\":\"" + ch + "\"}", new byte[] {9});
      assertThat(ws.nextText().get("type").asText()).isEqualTo("published");
    }
    assertThat(post(base + "/channels/" + ch, "Image/PNG", new byte[] {8}).statusCode())
        .isEqualTo(201);
    JsonNode messages = json(get(base + "/channels/" + ch + "?since=0").body()).get("messages");
    assertBase64Envelope(messages.get(0), 1, new Sent(new byte[] {9}, "application/octet-stream"));
    assertBase64Envelope(messages.get(1), 2, new Sent(new byte[] {8}, "Image/PNG"));
    // text and JSON stay what they were
    assertThat(
            post(base + "/channels/" + ch, "text/plain", "hi".getBytes(StandardCharsets.UTF_8))
                .statusCode())
        .isEqualTo(201);
    JsonNode text = json(get(base + "/channels/" + ch + "?since=0").body()).get("messages").get(2);
    assertThat(text.get("data").asText()).isEqualTo("hi");
    assertThat(text.has("encoding")).isFalse();
  }

  @Test
  void aJsonMessageGoesAsATextFrameOnABinaryWebSocket() {
    String base = memory.baseUrl();
    String ch = channel("binjson");
    try (BinaryWs ws = new BinaryWs(ws(base) + "/channels/" + ch + "?binary=1")) {
      assertThat(ws.nextText().get("type").asText()).isEqualTo("subscribed");
      TestClients.publish(base, ch, "{\"a\":1}");
      JsonNode m = ws.nextText();
      assertThat(m.get("type").asText()).isEqualTo("message");
      assertThat(m.get("data").get("a").asInt()).isEqualTo(1);
    }
    assertThatThrownBy(() -> new BinaryWs(ws(base) + "/channels/" + ch + "?binary=yes"))
        .as("binary=yes is refused at the upgrade")
        .rootCause()
        .hasMessageContaining("400");
  }

  @Test
  void binaryMessagesDroppedFromHistoryMakeAResumeNotRecoveredAsForJson() {
    try (HeraldServer small =
        HeraldServer.start(ServerConfig.builder().port(0).historySize(2).build())) {
      String base = small.baseUrl();
      String ch = channel("bingap");
      String epoch = null;
      for (int i = 0; i < 4; i++) {
        HttpResponse<String> r =
            post(base + "/channels/" + ch, "application/octet-stream", new byte[] {(byte) i});
        epoch = json(r.body()).get("epoch").asText();
      }
      JsonNode poll = json(get(base + "/channels/" + ch + "?since=" + epoch + ":1").body());
      assertThat(poll.get("recovered").asBoolean()).isFalse();
      assertThat(poll.get("messages")).isEmpty();
      assertThat(poll.get("cursor").asText()).isEqualTo(epoch + ":4");
      JsonNode kept = json(get(base + "/channels/" + ch + "?since=" + epoch + ":2").body());
      assertThat(kept.get("recovered").asBoolean()).isTrue();
      assertBase64Envelope(
          kept.get("messages").get(0), 3, new Sent(new byte[] {2}, "application/octet-stream"));
      try (BinaryWs ws = new BinaryWs(ws(base) + "/ws?binary=1")) {
        ws.send(
            "{\"type\":\"subscribe\",\"channel\":\"" + ch + "\",\"since\":\"" + epoch + ":1\"}");
        JsonNode subscribed = ws.nextText();
        assertThat(subscribed.get("recovered").asBoolean()).isFalse();
        assertThat(subscribed.get("position").asText()).isEqualTo(epoch + ":4");
        post(base + "/channels/" + ch, "application/octet-stream", new byte[] {4});
        assertBinaryFrame(ws.nextBinary(), 5, new Sent(new byte[] {4}, "application/octet-stream"));
      }
    }
  }

  // ---------------------------------------------------------------- checks

  private static void assertBase64Envelope(JsonNode m, long offset, Sent sent) {
    assertThat(m.get("offset").asLong()).as(m.toString().substring(0, 100)).isEqualTo(offset);
    assertThat(m.get("encoding").asText()).isEqualTo("base64");
    assertThat(m.get("contentType").asText()).isEqualTo(sent.contentType());
    String data = m.get("data").asText();
    assertThat(data.length() % 4).as("padded base64").isZero();
    assertThat(Base64.getDecoder().decode(data)).isEqualTo(sent.bytes());
  }

  private static void assertBinaryFrame(byte[] frame, long offset, Sent sent) {
    int n = ByteBuffer.wrap(frame, 0, 4).getInt();
    JsonNode head = json(new String(frame, 4, n, StandardCharsets.UTF_8));
    assertThat(head.get("type").asText()).isEqualTo("message");
    assertThat(head.get("offset").asLong()).isEqualTo(offset);
    assertThat(head.get("encoding").asText()).isEqualTo("binary");
    assertThat(head.get("contentType").asText()).isEqualTo(sent.contentType());
    assertThat(head.has("data")).isFalse();
    assertThat(Arrays.copyOfRange(frame, 4 + n, frame.length)).isEqualTo(sent.bytes());
  }

  private static void assertError(JsonNode frame, String code, String says) {
    assertThat(frame.get("type").asText()).as(frame.toString()).isEqualTo("error");
    assertThat(frame.get("error").get("code").asText()).as(frame.toString()).isEqualTo(code);
    assertThat(frame.get("error").get("message").asText()).contains(says);
  }

  private static void assertStillOpen(BinaryWs ws) {
    ws.send("{\"type\":\"ping\",\"id\":99}");
    assertThat(ws.nextText().get("type").asText()).isEqualTo("pong");
  }

  private static byte[] reversed(byte[] b) {
    byte[] r = new byte[b.length];
    for (int i = 0; i < b.length; i++) {
      r[i] = b[b.length - 1 - i];
    }
    return r;
  }

  private static String ws(String base) {
    return base.replace("http", "ws");
  }

  /** A {@link TestClients.Ws} that sends binary frames and waits 20 s for each message. */
  static final class BinaryWs extends TestClients.Ws {
    BinaryWs(String url) {
      super(url);
    }

    void sendRaw(byte[] frame) {
      socket.sendBinary(ByteBuffer.wrap(frame), true).join();
    }

    /** Sends a binary frame in the section 11 layout. */
    void sendBinary(String json, byte[] data) {
      byte[] head = json.getBytes(StandardCharsets.UTF_8);
      ByteBuffer b = ByteBuffer.allocate(4 + head.length + data.length);
      b.putInt(head.length).put(head).put(data).flip();
      socket.sendBinary(b, true).join();
    }

    JsonNode nextText() {
      try {
        String t = texts.poll(20, TimeUnit.SECONDS);
        assertThat(t).as("a text frame within 20 s").isNotNull();
        return json(t);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
    }

    byte[] nextBinary() {
      try {
        byte[] b = binaries.poll(20, TimeUnit.SECONDS);
        assertThat(b).as("a binary frame within 20 s").isNotNull();
        return b;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
    }
  }
}
