package io.herald.server;

import static io.herald.server.TestClients.channel;
import static io.herald.server.TestClients.get;
import static io.herald.server.TestClients.json;
import static io.herald.server.TestClients.publish;
import static org.assertj.core.api.Assertions.assertThat;

import io.herald.server.auth.TokenMinter;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Polls through HTTP caches (PROTOCOL.md section 12), over real sockets: every poll answer has an
 * ETag that changes with its body, a matching {@code If-None-Match} gets {@code 304} without a
 * body, and {@code Cache-Control} follows the namespace and the request's credentials.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
@ExtendWith(LeakDetection.class)
class PollCachingIT {
  private static final String SECRET = "a-secret-of-at-least-32-bytes-for-hs256-tokens";
  private static final String API_KEY = "poll-caching-test-key-0123456789";

  @TempDir Path dir;
  private HeraldServer server;
  private String base;

  @BeforeEach
  void start() throws IOException {
    Path f = dir.resolve("herald.yaml");
    Files.writeString(
        f,
        """
        auth-hmac-secret: %s
        api-key: %s
        namespaces:
          feed:  { subscribe: public, publish: public, poll-cache-seconds: 5 }
          quick: { subscribe: public, publish: public, poll-cache-seconds: 2 }
          open:  { subscribe: public, publish: public }
        """
            .formatted(SECRET, API_KEY),
        StandardCharsets.UTF_8);
    server =
        HeraldServer.start(
            ServeCommand.configFrom(Map.of(), "--port", "0", "--config", f.toString()));
    base = server.baseUrl();
  }

  @AfterEach
  void stop() {
    server.close();
  }

  private static String etag(HttpResponse<?> r) {
    return r.headers().firstValue("ETag").orElseThrow(() -> new AssertionError("no ETag"));
  }

  private static String cacheControl(HttpResponse<?> r) {
    return r.headers().firstValue("Cache-Control").orElse(null);
  }

  @Test
  void everyPollAnswerHasAnEtagThatChangesWithItsBody() {
    String ch = "open:" + channel("etag");
    String epoch = publish(base, ch, "1").get("epoch").asText();
    String url = base + "/channels/" + ch + "?since=" + epoch + ":0";
    HttpResponse<String> first = get(url);
    HttpResponse<String> again = get(url);
    assertThat(first.statusCode()).isEqualTo(200);
    assertThat(etag(first)).matches("\"[A-Za-z0-9_-]{16}\"").isEqualTo(etag(again));
    assertThat(again.body()).isEqualTo(first.body());

    publish(base, ch, "2");
    HttpResponse<String> after = get(url);
    assertThat(json(after.body()).get("messages")).hasSize(2);
    assertThat(etag(after)).isNotEqualTo(etag(first));
    // the same messages with another limit are another body: another tag
    HttpResponse<String> limited = get(url + "&limit=1");
    assertThat(json(limited.body()).get("messages")).hasSize(1);
    assertThat(etag(limited)).isNotEqualTo(etag(after));
    // a long poll with something to answer has one too
    HttpResponse<String> longPoll = get(url + "&wait=5");
    assertThat(longPoll.statusCode()).isEqualTo(200);
    assertThat(etag(longPoll)).isNotBlank();
  }

  @Test
  void aMatchingIfNoneMatchIsAnswered304WithoutBody() {
    String ch = "open:" + channel("304");
    String epoch = publish(base, ch, "1").get("epoch").asText();
    String url = base + "/channels/" + ch + "?since=" + epoch + ":0";
    String tag = etag(get(url));

    HttpResponse<String> notModified = get(url, "If-None-Match", tag);
    assertThat(notModified.statusCode()).isEqualTo(304);
    assertThat(notModified.body()).isEmpty();
    assertThat(etag(notModified)).isEqualTo(tag);
    assertThat(cacheControl(notModified)).isEqualTo("no-cache");
    // a weak comparison, a list, and *
    assertThat(get(url, "If-None-Match", "W/" + tag).statusCode()).isEqualTo(304);
    assertThat(get(url, "If-None-Match", "\"other\", " + tag).statusCode()).isEqualTo(304);
    assertThat(get(url, "If-None-Match", "*").statusCode()).isEqualTo(304);
    // another tag, or a changed answer: 200 with the body
    assertThat(get(url, "If-None-Match", "\"other\"").statusCode()).isEqualTo(200);
    publish(base, ch, "2");
    HttpResponse<String> changed = get(url, "If-None-Match", tag);
    assertThat(changed.statusCode()).isEqualTo(200);
    assertThat(json(changed.body()).get("messages")).hasSize(2);
    // the connection stays usable after a 304 (no body is read as the next answer)
    assertThat(get(url, "If-None-Match", etag(changed)).statusCode()).isEqualTo(304);
    assertThat(get(url).statusCode()).isEqualTo(200);
  }

  @Test
  void aLongPollWithTheTagOfItsEmptyAnswerWaitsAndAnswers304OrTheNewMessage() {
    String ch = "open:" + channel("long304");
    String epoch = publish(base, ch, "1").get("epoch").asText();
    String url = base + "/channels/" + ch + "?since=" + epoch + ":1&wait=1";
    HttpResponse<String> empty = get(url);
    assertThat(json(empty.body()).get("messages")).isEmpty();
    String tag = etag(empty);

    // nothing new within the wait: the client's empty answer still holds
    HttpResponse<String> waited = get(url, "If-None-Match", tag);
    assertThat(waited.statusCode()).isEqualTo(304);
    assertThat(waited.headers().firstValue("Preference-Applied")).hasValue("wait=1");

    // something new during the wait: 200 with it
    String longUrl = base + "/channels/" + ch + "?since=" + epoch + ":1&wait=30";
    String longTag = etag(get(base + "/channels/" + ch + "?since=" + epoch + ":1&wait=0"));
    CompletableFuture<HttpResponse<String>> parked =
        CompletableFuture.supplyAsync(() -> get(longUrl, "If-None-Match", longTag));
    org.awaitility.Awaitility.await()
        .atMost(Duration.ofSeconds(20))
        .until(() -> server.hub().subscriberCount() > 0);
    publish(base, ch, "2");
    HttpResponse<String> answered = parked.join();
    assertThat(answered.statusCode()).isEqualTo(200);
    assertThat(json(answered.body()).get("messages")).hasSize(1);
    assertThat(cacheControl(answered)).isEqualTo("no-cache");
  }

  @Test
  void shortPollsOfAPublicNamespaceWithPollCacheSecondsArePubliclyCacheable() {
    String ch = "feed:" + channel("public");
    publish(base, ch, "1");
    HttpResponse<String> r = get(base + "/channels/" + ch);
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(cacheControl(r)).isEqualTo("public, max-age=5");
    assertThat(r.headers().allValues("Vary")).anyMatch(v -> v.contains("Prefer"));
    // a 304 says the same
    assertThat(cacheControl(get(base + "/channels/" + ch, "If-None-Match", etag(r))))
        .isEqualTo("public, max-age=5");
    // two namespaces: the smaller age; with a namespace without one: not cacheable
    String quick = "quick:" + channel("public");
    String open = "open:" + channel("public");
    assertThat(cacheControl(get(base + "/channels/" + ch + "," + quick)))
        .isEqualTo("public, max-age=2");
    assertThat(cacheControl(get(base + "/channels/" + ch + "," + open))).isEqualTo("no-cache");
    assertThat(cacheControl(get(base + "/channels/" + open))).isEqualTo("no-cache");
    // the same URL with Prefer: wait is a long poll: never cacheable
    assertThat(cacheControl(get(base + "/channels/" + ch, "Prefer", "wait=0")))
        .isEqualTo("no-cache");
  }

  @Test
  void longPollsAreNeverCacheable() {
    String ch = "feed:" + channel("long");
    publish(base, ch, "1");
    assertThat(cacheControl(get(base + "/channels/" + ch + "?since=0&wait=5")))
        .isEqualTo("no-cache");
    HttpResponse<String> prefer = get(base + "/channels/" + ch + "?since=0", "Prefer", "wait=5");
    assertThat(cacheControl(prefer)).isEqualTo("no-cache");
    assertThat(prefer.headers().allValues("Vary")).anyMatch(v -> v.contains("Prefer"));
  }

  @Test
  void aRequestWithCredentialsIsAnsweredPrivateNoStore() {
    String ch = "feed:" + channel("private");
    publish(base, ch, "1");
    String url = base + "/channels/" + ch + "?since=0";
    String token =
        new TokenMinter(SECRET).mint("u1", List.of(ch), List.of(), Duration.ofMinutes(5), null);
    assertThat(cacheControl(get(url, "X-Api-Key", API_KEY))).isEqualTo("private, no-store");
    HttpResponse<String> bearer = get(url, "Authorization", "Bearer " + token);
    assertThat(bearer.statusCode()).isEqualTo(200);
    assertThat(cacheControl(bearer)).isEqualTo("private, no-store");
    HttpResponse<String> query = get(url + "&token=" + token);
    assertThat(query.statusCode()).isEqualTo(200);
    assertThat(cacheControl(query)).isEqualTo("private, no-store");
    // and a 304 to one of them too
    assertThat(cacheControl(get(url, "X-Api-Key", API_KEY, "If-None-Match", etag(bearer))))
        .isEqualTo("private, no-store");
    assertThat(cacheControl(get(url))).isEqualTo("public, max-age=5");
  }
}
