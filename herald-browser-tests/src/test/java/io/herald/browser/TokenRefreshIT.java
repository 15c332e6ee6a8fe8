package io.herald.browser;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.herald.server.HeraldServer;
import io.herald.server.LeakDetection;
import io.herald.server.auth.NamespacePolicy;
import io.herald.server.auth.NamespacePolicy.PublishAccess;
import io.herald.server.auth.NamespacePolicy.SubscribeAccess;
import io.herald.server.auth.TokenMinter;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * herald.js with short-lived tokens (PROTOCOL.md section 10) on a server that asks for them: a page
 * whose token function hands out tokens that live 5 seconds keeps receiving every message of a
 * token-only channel for 30 seconds on each forced transport, each once and in order, across
 * WebSocket refreshes, SSE {@code herald.expired} and poll {@code 401 token_expired}; and the chat
 * demo signs in, and one user's private channel is not readable with another user's token.
 */
@Timeout(300)
@ExtendWith(LeakDetection.class)
class TokenRefreshIT {
  private static final String SECRET = "browser-test-secret-0123456789-abcdefghijklmnop";
  private static HeraldServer server;
  private static Browser browser;
  private static String base;
  private static final TokenMinter MINTER = new TokenMinter(SECRET);

  @BeforeAll
  static void start() {
    server =
        Servers.start(
            Servers.config()
                .demoFeed(true)
                .authHmacSecret(SECRET)
                .namespaces(
                    List.of(
                        NamespacePolicy.of("default", SubscribeAccess.PUBLIC, PublishAccess.PUBLIC),
                        NamespacePolicy.of("demo", SubscribeAccess.PUBLIC, PublishAccess.PUBLIC),
                        NamespacePolicy.of("user", SubscribeAccess.TOKEN, PublishAccess.TOKEN))));
    base = server.baseUrl();
    browser = Browser.start();
  }

  @AfterAll
  static void stop() {
    Servers.closeAll(browser, server);
  }

  @ParameterizedTest
  @ValueSource(strings = {"websocket", "sse", "long-poll", "short-poll"})
  void fiveSecondTokensKeepEveryMessageComingForThirtySecondsOnceAndInOrder(String transport)
      throws Exception {
    String user = "t" + Http.channel(transport).replace("bt-", "").replace(".", "-");
    String channel = "user:" + user;
    // the channel is closed without a token: the test would prove nothing otherwise
    assertThat(status(get(channel, null))).isEqualTo(401);
    browser.open(
        base
            + "/test/token-harness.html?ttl=5&wait=3&name="
            + user
            + "&channel="
            + channel
            + "&transports="
            + transport);
    await()
        .atMost(Duration.ofSeconds(20))
        .until(() -> browser.js("return window.herald.position(arguments[0])", channel) != null);
    String publisher =
        MINTER.mint("publisher", List.of(), List.of("user:*"), Duration.ofMinutes(5), null);
    AtomicInteger sent = new AtomicInteger();
    List<String> failures = new java.util.concurrent.CopyOnWriteArrayList<>();
    ScheduledExecutorService pace = Executors.newSingleThreadScheduledExecutor();
    long started = System.nanoTime();
    try {
      pace.scheduleAtFixedRate(
          () -> {
            if (System.nanoTime() - started > TimeUnit.SECONDS.toNanos(30)) {
              return;
            }
            int n = sent.incrementAndGet();
            HttpResponse<String> r = publish(channel, publisher, "m" + n);
            if (r.statusCode() != 201) {
              failures.add(r.statusCode() + " " + r.body());
            }
          },
          0,
          250,
          TimeUnit.MILLISECONDS);
      await()
          .atMost(Duration.ofSeconds(45))
          .pollInterval(Duration.ofSeconds(1))
          .until(() -> System.nanoTime() - started > TimeUnit.SECONDS.toNanos(31));
    } finally {
      pace.shutdown();
      assertThat(pace.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
    }
    assertThat(failures).isEmpty();
    long total = sent.get();
    await()
        .atMost(Duration.ofSeconds(20))
        .until(() -> browser.jsLong("return window.received.length") >= total);
    List<Object> offsets = browser.jsList("return window.received.map(m => m.offset)");
    assertThat(offsets)
        .as("every message once, in order")
        .containsExactlyElementsOf(
            LongStream.rangeClosed(1, total).boxed().map(o -> (Object) o).toList());
    assertThat(browser.jsList("return [...new Set(window.received.map(m => m.transport))]"))
        .containsExactly(transport);
    assertThat(browser.jsList("return window.events.filter(e => e.type === 'gap')")).isEmpty();
    assertThat(browser.jsList("return window.refused")).isEmpty();
    // tokens that live 5 s over 30 s: the function was asked again and again
    assertThat(browser.jsLong("return window.tokens.length")).isGreaterThanOrEqualTo(5);
    if (transport.equals("websocket")) {
      // refreshed on the open socket: never closed with 4001 (one connection throughout)
      assertThat(
              browser.jsList(
                  "return window.events.filter(e => e.type === 'disconnected').map(e => e.reason)"))
          .isEmpty();
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"websocket", "sse", "long-poll", "short-poll"})
  void aForbiddenChannelEndsWithAnErrorForItWhileTheOthersKeepDelivering(String transport) {
    String user = "f" + Http.channel(transport).replace("bt-", "").replace(".", "-");
    String own = "user:" + user;
    String other = "user:someone-else-" + user;
    browser.open(
        base
            + "/test/token-harness.html?ttl=60&wait=3&name="
            + user
            + "&channel="
            + own
            + "&transports="
            + transport);
    await()
        .atMost(Duration.ofSeconds(20))
        .until(() -> browser.js("return window.herald.position(arguments[0])", own) != null);
    browser.js("window.subscribe(arguments[0])", other);
    await()
        .atMost(Duration.ofSeconds(20))
        .until(() -> browser.jsLong("return window.refused.length") >= 1);
    assertThat(browser.jsList("return window.refused.map(r => r.channel + ' ' + r.code)"))
        .containsExactly(other + " forbidden");
    assertThat(
            browser.jsList(
                "return window.events.filter(e => e.type === 'error' && e.channel).map(e => e.channel)"))
        .containsExactly(other);
    String publisher =
        MINTER.mint("publisher", List.of(), List.of("user:*"), Duration.ofMinutes(5), null);
    for (int i = 1; i <= 3; i++) {
      assertThat(publish(own, publisher, "after " + i).statusCode()).isEqualTo(201);
    }
    await()
        .atMost(Duration.ofSeconds(15))
        .until(() -> browser.jsLong("return window.received.length") >= 3);
    assertThat(browser.jsList("return window.received.map(m => m.channel)"))
        .containsOnly(own)
        .hasSize(3);
    assertThat(browser.jsString("return window.herald.transport")).isEqualTo(transport);
  }

  @ParameterizedTest
  @ValueSource(strings = {"websocket", "sse", "long-poll", "short-poll"})
  void withoutATokenAChannelThatNeedsOneIsReportedUnauthorizedNotRetried(String transport) {
    String channel = "user:nobody-" + Http.channel(transport).replace("bt-", "").replace(".", "-");
    browser.open(
        base
            + "/test/token-harness.html?notoken=1&wait=2&channel="
            + channel
            + "&transports="
            + transport);
    String errors = "return window.events.filter(e => e.type === 'error').map(e => e.error)";
    await().atMost(Duration.ofSeconds(20)).until(() -> !browser.jsList(errors).isEmpty());
    assertThat(String.valueOf(browser.jsList(errors))).startsWith("[unauthorized: ");
    // reported, not retried: no further attempt, no further error
    String attempts =
        "return window.events.filter(e => e.type === 'state' && e.state === 'connecting').length";
    long tried = browser.jsLong(attempts);
    long reported = browser.jsList(errors).size();
    await()
        .during(Duration.ofSeconds(3))
        .atMost(Duration.ofSeconds(5))
        .until(
            () -> browser.jsLong(attempts) == tried && browser.jsList(errors).size() == reported);
    assertThat(browser.jsList("return window.received")).isEmpty();
    assertThat(browser.jsList("return window.tokens")).isEmpty();
  }

  @Test
  void aRefreshThatNoLongerGrantsAChannelEndsThatSubscriptionAndTheOthersResume() {
    String user = "n" + Http.channel("narrow").replace("bt-", "").replace(".", "-");
    String own = "user:" + user;
    String other = "user:" + user + "-other";
    // the first token grants both channels and lives 3 s; the next ones grant only the first
    String wide = MINTER.mint(user, List.of(own, other), List.of(), Duration.ofSeconds(3), null);
    String narrow = MINTER.mint(user, List.of(own), List.of(), Duration.ofMinutes(5), null);
    browser.open(base + "/test/token-harness.html?notoken=1");
    browser.jsAsync(
        "const done = arguments[arguments.length - 1];"
            + "const [wide, narrow, own, other] = arguments;"
            + "import('/herald.js').then(({ Herald }) => {"
            + "  let calls = 0;"
            + "  const h = new Herald(undefined, { transports: ['websocket'], token: () => (calls++ === 0 ? wide : narrow) });"
            + "  window.narrowed = { got: [], refused: [], h };"
            + "  h.subscribe(own, (m) => window.narrowed.got.push(m.offset));"
            + "  h.subscribe(other, () => {}, { onError: (e) => window.narrowed.refused.push(e.code) });"
            + "  done('ok');"
            + "});",
        wide,
        narrow,
        own,
        other);
    await()
        .atMost(Duration.ofSeconds(20))
        .until(
            () ->
                browser.js(
                        "return window.narrowed.h.position(arguments[0]) && window.narrowed.h.position(arguments[1])",
                        own,
                        other)
                    != null);
    String publisher =
        MINTER.mint("publisher", List.of(), List.of("user:*"), Duration.ofMinutes(5), null);
    assertThat(publish(own, publisher, "before").statusCode()).isEqualTo(201);
    await()
        .atMost(Duration.ofSeconds(20))
        .until(() -> browser.jsList("return window.narrowed.refused").contains("forbidden"));
    assertThat(publish(own, publisher, "after").statusCode()).isEqualTo(201);
    await()
        .atMost(Duration.ofSeconds(15))
        .until(() -> browser.jsList("return window.narrowed.got").size() >= 2);
    assertThat(browser.jsList("return window.narrowed.got")).containsExactly(1L, 2L);
    assertThat(browser.jsList("return window.narrowed.refused")).containsExactly("forbidden");
    browser.js("window.narrowed.h.close()");
  }

  @Test
  void chatSignsInAndAPrivateChannelIsNotReadableByAnotherUser() {
    browser.open(base + "/demos/chat.html");
    browser.js("localStorage.setItem('herald.demo.name', 'Ada Test')");
    browser.open(base + "/demos/chat.html");
    await()
        .atMost(Duration.ofSeconds(20))
        .until(
            () ->
                "ada-test"
                    .equals(browser.js("return document.getElementById('signin').dataset.user")));
    await()
        .atMost(Duration.ofSeconds(20))
        .until(() -> browser.js("return window.herald.position('user:ada-test')") != null);
    JsonNode bob = signIn("Bob Test");
    JsonNode ada = signIn("Ada Test");
    assertThat(bob.get("channel").asText()).isEqualTo("user:bob-test");
    // another user's token reads nothing of Ada's channel, on any transport; hers does
    assertThat(status(get("user:ada-test", bob.get("token").asText()))).isEqualTo(403);
    assertThat(status(get("user:ada-test", null))).isEqualTo(401);
    assertThat(status(get("user:ada-test", ada.get("token").asText()))).isEqualTo(200);
    // but Bob may write to her: a private message shows on her page
    HttpResponse<String> r =
        publishJson(
            "user:ada-test",
            bob.get("token").asText(),
            "{\"name\":\"Bob Test\",\"text\":\"psst\"}");
    assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
    await()
        .atMost(Duration.ofSeconds(15))
        .until(
            () ->
                String.valueOf(browser.js("return document.getElementById('inbox').textContent"))
                    .contains("Bob Test: psst"));
    // in the browser, a client with Bob's token is refused Ada's channel, with an error for it
    Object refused =
        browser.jsAsync(
            "const done = arguments[arguments.length - 1];"
                + "import('/herald.js').then(({ Herald }) => {"
                + "  const h = new Herald(undefined, { transports: ['websocket'], token: arguments[0] });"
                + "  h.subscribe('user:ada-test', () => done('delivered'), { onError: (e) => { h.close(); done(e.code); } });"
                + "});",
            bob.get("token").asText());
    assertThat(refused).isEqualTo("forbidden");
    // the chat keeps working across its 30 s token's renewal: on the same connection, the room and
    // the private channel still deliver
    await()
        .atMost(Duration.ofSeconds(45))
        .until(
            () ->
                Long.parseLong(
                        String.valueOf(
                            browser.js(
                                "return document.getElementById('signin').dataset.renewals")))
                    >= 1);
    HttpResponse<String> again =
        publishJson(
            "user:ada-test",
            signIn("Bob Test").get("token").asText(),
            "{\"name\":\"Bob Test\",\"text\":\"still there?\"}");
    assertThat(again.statusCode()).as(again.body()).isEqualTo(201);
    browser.js(
        "document.getElementById('text').value = 'after the renewal';"
            + "document.getElementById('send').click();");
    await()
        .atMost(Duration.ofSeconds(15))
        .until(
            () -> {
              String page = String.valueOf(browser.js("return document.body.textContent"));
              return page.contains("Bob Test: still there?") && page.contains("after the renewal");
            });
    assertThat(browser.jsString("return window.herald.transport")).isEqualTo("websocket");
    assertThat(browser.jsString("return window.herald.state")).isEqualTo("connected");
    browser.screenshot("chat-signed-in");
  }

  private static JsonNode signIn(String name) {
    HttpRequest request =
        HttpRequest.newBuilder(URI.create(base + "/demo/token"))
            .timeout(Duration.ofSeconds(10))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString("{\"name\":\"" + name + "\"}"))
            .build();
    HttpResponse<String> r = send(request);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return Http.parse(r.body());
  }

  private static HttpResponse<String> get(String channel, String token) {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(base + "/channels/" + channel))
            .timeout(Duration.ofSeconds(10))
            .GET();
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    return send(b.build());
  }

  private static HttpResponse<String> publish(String channel, String token, String text) {
    return send(
        HttpRequest.newBuilder(URI.create(base + "/channels/" + channel))
            .timeout(Duration.ofSeconds(10))
            .header("Authorization", "Bearer " + token)
            .header("Content-Type", "text/plain; charset=utf-8")
            .POST(HttpRequest.BodyPublishers.ofString(text))
            .build());
  }

  private static HttpResponse<String> publishJson(String channel, String token, String json) {
    return send(
        HttpRequest.newBuilder(URI.create(base + "/channels/" + channel))
            .timeout(Duration.ofSeconds(10))
            .header("Authorization", "Bearer " + token)
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(json))
            .build());
  }

  private static int status(HttpResponse<String> r) {
    return r.statusCode();
  }

  private static HttpResponse<String> send(HttpRequest request) {
    try {
      return Http.CLIENT.send(request, HttpResponse.BodyHandlers.ofString());
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
