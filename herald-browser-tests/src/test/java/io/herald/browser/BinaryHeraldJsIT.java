package io.herald.browser;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.herald.redis.RedisServerProcess;
import io.herald.server.HeraldServer;
import io.herald.server.LeakDetection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Binary messages in herald.js (PROTOCOL.md section 11), on each transport forced with its {@code
 * transports} option: bytes published over HTTP reach the page as a {@code Uint8Array}, exactly,
 * with their content type (a WebSocket binary frame on WebSocket, base64 in the envelope on the
 * others); bytes the page publishes reach an HTTP subscriber exactly.
 */
@Timeout(120)
@ExtendWith(LeakDetection.class)
class BinaryHeraldJsIT {
  private static HeraldServer server;
  private static Browser browser;
  private static String base;
  private static RedisServerProcess redis;

  /** Every byte value, 0 to 255, in order. */
  private static final byte[] ALL_BYTES = new byte[256];

  static {
    for (int i = 0; i < 256; i++) {
      ALL_BYTES[i] = (byte) i;
    }
  }

  @BeforeAll
  static void start() {
    server = Servers.start(Servers.config());
    base = server.baseUrl();
    browser = Browser.start();
  }

  @AfterAll
  static void stop() {
    Servers.closeAll(browser, server, redis);
  }

  /** 60 KiB of seeded random bytes (under the default 64 KiB message limit). */
  private static byte[] randomPayload(long seed) {
    byte[] b = new byte[60 * 1024];
    new Random(seed).nextBytes(b);
    return b;
  }

  /**
   * Opens the harness with only {@code transport} allowed and subscribes to {@code channel}, each
   * message recorded in {@code window.bin} with its bytes as base64; waits until the subscription
   * stands.
   */
  private static void subscribe(String channel, String transport) {
    subscribe(base, channel, transport);
  }

  private static void subscribe(String server, String channel, String transport) {
    browser.openHarness(server + "/test/harness.html?transports=" + transport);
    browser.js(
        "window.b64 = (u8) => { let s = ''; for (let i = 0; i < u8.length; i += 8192)"
            + "  s += String.fromCharCode(...u8.subarray(i, i + 8192)); return btoa(s); };"
            + "window.bin = [];"
            + "window.herald.subscribe(arguments[0], (m) => window.bin.push({"
            + "  uint8: m.data instanceof Uint8Array, bytes: m.data instanceof Uint8Array ? window.b64(m.data) : String(m.data),"
            + "  contentType: m.contentType, encoding: m.encoding, offset: m.offset, transport: window.herald.transport}),"
            + "  {events: ['clip']});",
        channel);
    await()
        .atMost(Duration.ofSeconds(20))
        .until(() -> browser.js("return window.herald.position(arguments[0])", channel) != null);
  }

  private static List<Map<String, Object>> received() {
    return browser.jsMaps("return window.bin");
  }

  private static byte[] bytes(Map<String, Object> message) {
    return Base64.getDecoder().decode(String.valueOf(message.get("bytes")));
  }

  @ParameterizedTest
  @ValueSource(strings = {"websocket", "sse", "long-poll", "short-poll"})
  void bytesPublishedOverHttpReachThePageAsAUint8ArrayExactly(String transport) {
    String channel = Http.channel("bin-to-page-" + transport);
    subscribe(channel, transport);
    byte[] random = randomPayload(transport.hashCode());
    Http.publishBytes(base, channel, "application/octet-stream", ALL_BYTES);
    Http.publishBytes(base, channel, "image/png", random);
    await().atMost(Duration.ofSeconds(20)).until(() -> received().size() >= 2);
    List<Map<String, Object>> got = received();
    assertThat(got).hasSize(2);
    String encoding = transport.equals("websocket") ? "binary" : "base64";
    for (Map<String, Object> m : got) {
      assertThat(m.get("uint8")).as("data is a Uint8Array").isEqualTo(true);
      assertThat(m.get("encoding")).isEqualTo(encoding);
      assertThat(m.get("transport")).isEqualTo(transport);
    }
    assertThat(bytes(got.get(0))).isEqualTo(ALL_BYTES);
    assertThat(got.get(0).get("contentType")).isEqualTo("application/octet-stream");
    assertThat(got.get(0).get("offset")).isEqualTo(1L);
    assertThat(bytes(got.get(1))).isEqualTo(random);
    assertThat(got.get(1).get("contentType")).isEqualTo("image/png");
    assertThat(got.get(1).get("offset")).isEqualTo(2L);
    assertThat(browser.gapsAndErrors()).isEmpty();
  }

  @ParameterizedTest
  @ValueSource(strings = {"websocket", "sse", "long-poll", "short-poll"})
  void bytesPublishedFromThePageReachAnHttpSubscriberExactly(String transport) {
    String channel = Http.channel("bin-from-page-" + transport);
    subscribe(channel, transport);
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> "connected".equals(browser.jsString("return window.herald.state")));
    String cursor = Http.poll(base, channel, "").get("cursor").asText();
    byte[] random = randomPayload(~transport.hashCode());
    Object answer =
        browser.jsAsync(
            "const done = arguments[arguments.length - 1];"
                + "const all = new Uint8Array(256); for (let i = 0; i < 256; i++) all[i] = i;"
                + "const random = Uint8Array.from(atob(arguments[1]), (c) => c.charCodeAt(0));"
                + "(async () => {"
                + "  const a = await window.herald.publish(arguments[0], all);"
                // an ArrayBuffer, and a view into the middle of a larger buffer, are bytes too
                + "  const padded = new Uint8Array(random.length + 10); padded.set(random, 5);"
                + "  const b = await window.herald.publish(arguments[0], padded.subarray(5, 5 + random.length),"
                + "      {contentType: 'audio/ogg; codecs=opus', event: 'clip'});"
                + "  const c = await window.herald.publish(arguments[0], all.buffer, {contentType: 'application/x-test'});"
                + "  return [a, b, c];"
                + "})().then(r => done(JSON.stringify(r)), e => done('failed: ' + e.message));",
            channel,
            Base64.getEncoder().encodeToString(random));
    assertThat(String.valueOf(answer)).doesNotStartWith("failed");
    JsonNode published = Http.parse(String.valueOf(answer));
    List<Long> offsets = new ArrayList<>();
    published.forEach(p -> offsets.add(p.get("offset").asLong()));
    assertThat(offsets).containsExactly(1L, 2L, 3L);
    JsonNode poll = Http.poll(base, channel, cursor);
    JsonNode messages = poll.get("messages");
    assertThat(messages).hasSize(3);
    String[] types = {"application/octet-stream", "audio/ogg; codecs=opus", "application/x-test"};
    byte[][] payloads = {ALL_BYTES, random, ALL_BYTES};
    for (int i = 0; i < 3; i++) {
      JsonNode m = messages.get(i);
      assertThat(m.get("encoding").asText()).isEqualTo("base64");
      assertThat(m.get("contentType").asText()).isEqualTo(types[i]);
      assertThat(Base64.getDecoder().decode(m.get("data").asText())).isEqualTo(payloads[i]);
    }
    assertThat(messages.get(1).get("event").asText()).isEqualTo("clip");
    // and the page gets its own bytes back, once each, as Uint8Arrays
    await().atMost(Duration.ofSeconds(15)).until(() -> received().size() >= 3);
    List<Map<String, Object>> got = received();
    assertThat(got).hasSize(3);
    for (int i = 0; i < 3; i++) {
      assertThat(got.get(i).get("uint8")).isEqualTo(true);
      assertThat(got.get(i).get("contentType")).isEqualTo(types[i]);
      assertThat(bytes(got.get(i))).isEqualTo(payloads[i]);
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"websocket", "sse", "long-poll", "short-poll"})
  void bytesOverTheSizeLimitAreRefusedAsTooLargeAndTheClientGoesOn(String transport) {
    String channel = Http.channel("bin-too-large-" + transport);
    subscribe(channel, transport);
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> "connected".equals(browser.jsString("return window.herald.state")));
    // 70 KiB: over the 64 KiB message limit (an error answer); 300 KiB: over the WebSocket frame
    // limit too (the server closes the socket: herald.js asks again over POST, answered 413);
    // nothing is published
    Object answer =
        browser.jsAsync(
            "const done = arguments[arguments.length - 1];"
                + "const one = (n) => window.herald.publish(arguments[0], new Uint8Array(n))"
                + "  .then(() => 'published', e => e.code);"
                + "(async () => [await one(70 * 1024), await one(300 * 1024)])().then(done);",
            channel);
    assertThat(answer).isEqualTo(List.of("message_too_large", "message_too_large"));
    Http.publishBytes(base, channel, "application/octet-stream", ALL_BYTES);
    await().atMost(Duration.ofSeconds(20)).until(() -> received().size() >= 1);
    assertThat(received()).hasSize(1);
    assertThat(bytes(received().get(0))).isEqualTo(ALL_BYTES);
    assertThat(received().get(0).get("offset")).isEqualTo(1L);
  }

  @ParameterizedTest
  @ValueSource(strings = {"websocket", "sse", "long-poll", "short-poll"})
  void bytesCrossTwoNodesOnRedisExactly(String transport) {
    if (redis == null) {
      redis = RedisServerProcess.start();
    }
    String channel = Http.channel("bin-redis-" + transport);
    try (HeraldServer a = Servers.start(Servers.config().broker(redis.uri()));
        HeraldServer b = Servers.start(Servers.config().broker(redis.uri()))) {
      await()
          .atMost(Duration.ofSeconds(20))
          .until(() -> a.hub().broker().isAvailable() && b.hub().broker().isAvailable());
      subscribe(a.baseUrl(), channel, transport);
      byte[] random = randomPayload(transport.hashCode() * 31L);
      // bytes published on node b reach the page on node a; the page's reach a poll of node b
      Http.publishBytes(b.baseUrl(), channel, "application/octet-stream", random);
      Object answer =
          browser.jsAsync(
              "const done = arguments[arguments.length - 1];"
                  + "const all = new Uint8Array(256); for (let i = 0; i < 256; i++) all[i] = i;"
                  + "window.herald.publish(arguments[0], all, {contentType: 'application/x-test'})"
                  + ".then(r => done(JSON.stringify(r)), e => done('failed: ' + e.message));",
              channel);
      assertThat(String.valueOf(answer)).doesNotStartWith("failed");
      await().atMost(Duration.ofSeconds(20)).until(() -> received().size() >= 2);
      List<Map<String, Object>> got = received();
      assertThat(got).hasSize(2);
      assertThat(got).allSatisfy(m -> assertThat(m.get("uint8")).isEqualTo(true));
      assertThat(bytes(got.get(0))).isEqualTo(random);
      assertThat(bytes(got.get(1))).isEqualTo(ALL_BYTES);
      assertThat(got.get(1).get("contentType")).isEqualTo("application/x-test");
      JsonNode poll = Http.poll(b.baseUrl(), channel, "0");
      assertThat(poll.get("messages")).hasSize(2);
      JsonNode fromPage = poll.get("messages").get(1);
      assertThat(fromPage.get("contentType").asText()).isEqualTo("application/x-test");
      assertThat(Base64.getDecoder().decode(fromPage.get("data").asText())).isEqualTo(ALL_BYTES);
    }
  }

  @Test
  void aBlobOrAContentTypeThatIsNotBinaryIsRefusedBeforeSending() {
    String channel = Http.channel("bin-refused");
    subscribe(channel, "websocket");
    String cursor = Http.poll(base, channel, "").get("cursor").asText();
    Object answer =
        browser.jsAsync(
            "const done = arguments[arguments.length - 1];"
                + "const tries = [[new Blob(['x'])], [new Uint8Array(1), {contentType: 'application/json'}],"
                + "  [new Uint8Array(1), {contentType: 'text/plain'}], [new Uint8Array(1), {contentType: 'not a type'}],"
                + "  [{json: true}, {contentType: 'application/octet-stream'}]];"
                + "Promise.all(tries.map(([d, o]) => window.herald.publish(arguments[0], d, o)"
                + "  .then(() => 'published', e => e.name + ': ' + e.message))).then(done);",
            channel);
    @SuppressWarnings("unchecked")
    List<String> outcomes = (List<String>) answer;
    assertThat(outcomes).hasSize(5).allSatisfy(o -> assertThat(o).startsWith("TypeError: "));
    assertThat(outcomes.get(0)).contains("Blob").contains("arrayBuffer()");
    assertThat(outcomes.get(1)).contains("application/octet-stream");
    assertThat(Http.poll(base, channel, cursor).get("messages")).isEmpty();
  }
}
