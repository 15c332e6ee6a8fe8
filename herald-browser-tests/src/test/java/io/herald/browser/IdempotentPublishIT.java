package io.herald.browser;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.herald.server.HeraldServer;
import io.herald.server.LeakDetection;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * herald.js publishes with an idempotency key and retries with it: a repeated key answers the first
 * publication; a publication made while the server is down is retried until it is back, and lands
 * once.
 */
@Timeout(120)
@ExtendWith(LeakDetection.class)
class IdempotentPublishIT {
  private static Browser browser;

  @BeforeAll
  static void start() {
    browser = Browser.start();
  }

  @AfterAll
  static void stop() {
    Servers.closeAll(browser);
  }

  /** Opens the harness without a channel and makes {@code window.h}, a client over HTTP polls. */
  private static void openClient(String base) {
    browser.openHarness(base + "/test/harness.html");
    Object made =
        browser.jsAsync(
            "const done = arguments[arguments.length - 1];"
                + "import('/herald.js').then(({Herald}) => {"
                + "  window.h = new Herald(undefined, {transports: ['short-poll'],"
                + "    publishRetries: 20, publishRetryDelayMs: 100});"
                + "  done('ok');"
                + "}, (e) => done('failed: ' + e.message));");
    assertThat(made).isEqualTo("ok");
  }

  @Test
  void aRepeatedIdempotencyKeyAnswersTheFirstPublication() {
    try (HeraldServer server = Servers.start(Servers.config())) {
      String channel = Http.channel("idem-page");
      openClient(server.baseUrl());
      Object answer =
          browser.jsAsync(
              "const done = arguments[arguments.length - 1];"
                  + "(async () => {"
                  + "  const a = await window.h.publish(arguments[0], {n: 1}, {idempotencyKey: 'page-1'});"
                  + "  const b = await window.h.publish(arguments[0], {n: 1}, {idempotencyKey: 'page-1'});"
                  + "  const c = await window.h.publish(arguments[0], {n: 2});"
                  + "  return JSON.stringify([a, b, c]);"
                  + "})().then(done, (e) => done('failed: ' + e.code + ' ' + e.message));",
              channel);
      JsonNode all = Http.parse(String.valueOf(answer));
      assertThat(all.get(1)).isEqualTo(all.get(0));
      assertThat(all.get(0).get("offset").asLong()).isEqualTo(1);
      assertThat(all.get(2).get("offset").asLong()).isEqualTo(2);
      assertThat(
              Http.data(
                  Http.poll(server.baseUrl(), channel, all.get(0).get("epoch").asText() + ":0")))
          .containsExactly("{\"n\":1}", "{\"n\":2}");
      Object refused =
          browser.jsAsync(
              "const done = arguments[arguments.length - 1];"
                  + "window.h.publish(arguments[0], 1, {idempotencyKey: ''})"
                  + ".then(() => done('published'), (e) => done(e.name));",
              channel);
      assertThat(refused).isEqualTo("TypeError");
      browser.open("about:blank");
    }
  }

  @Test
  void aPublicationMadeWhileTheServerIsDownIsRetriedAndLandsOnce() {
    String channel = Http.channel("retry-page");
    int port;
    try (HeraldServer first = Servers.start(Servers.config())) {
      port = first.port();
      openClient(first.baseUrl());
    }
    browser.js(
        "window.outcome = null;"
            + "window.h.publish(arguments[0], {n: 7}).then("
            + "  (r) => window.outcome = JSON.stringify(r),"
            + "  (e) => window.outcome = 'failed: ' + e.code);",
        channel);
    try (HeraldServer second = Servers.startOn(port, Servers.config())) {
      await()
          .atMost(Duration.ofSeconds(60))
          .until(() -> browser.js("return window.outcome") != null);
      JsonNode published = Http.parse(browser.jsString("return window.outcome"));
      assertThat(published.get("offset").asLong()).isEqualTo(1);
      JsonNode poll = Http.poll(second.baseUrl(), channel, published.get("epoch").asText() + ":0");
      assertThat(Http.data(poll)).containsExactly("{\"n\":7}");
      browser.open("about:blank");
    }
  }
}
