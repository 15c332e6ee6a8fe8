package io.herald.browser;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.herald.server.HeraldServer;
import io.herald.server.LeakDetection;
import io.herald.server.auth.NamespacePolicy;
import io.herald.server.auth.NamespacePolicy.PublishAccess;
import io.herald.server.auth.NamespacePolicy.SubscribeAccess;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * herald.js short polling made for HTTP caches (PROTOCOL.md section 12), in Chromium against a real
 * server: on a namespace whose polls are publicly cacheable it polls with a {@code since} rounded
 * down to a multiple of 8 (the same URL for every client near the head), sends {@code
 * If-None-Match} and takes a {@code 304} as nothing new, and still delivers every message once and
 * in order; on a namespace that is not cacheable it polls with its exact cursor.
 */
@Timeout(120)
@ExtendWith(LeakDetection.class)
class HeraldJsPollCacheIT {
  private static final Pattern SINCE = Pattern.compile("[?&]since=([^&]*)");
  private static HeraldServer server;
  private static Browser browser;
  private static String base;

  @BeforeAll
  static void start() {
    server =
        Servers.start(
            Servers.config()
                .namespaces(
                    List.of(
                        new NamespacePolicy(
                            "feed",
                            SubscribeAccess.PUBLIC,
                            PublishAccess.PUBLIC,
                            Optional.empty(),
                            Optional.empty(),
                            Optional.of(1)))));
    base = server.baseUrl();
    browser = Browser.start();
  }

  @AfterAll
  static void stop() {
    Servers.closeAll(browser, server);
  }

  private static void openHarness(String channel) {
    browser.openHarness(
        base
            + "/test/harness.html?channel="
            + channel
            + "&transports=short-poll&shortPollIntervalMs=200",
        channel);
  }

  /** The polls the page made so far: their URL and HTTP status, in order. */
  private static List<Map<String, Object>> polls() {
    return browser.jsMaps(
        "return performance.getEntriesByType('resource')"
            + ".filter(e => e.name.includes('/channels/'))"
            + ".map(e => ({url: e.name, status: e.responseStatus}))");
  }

  /** The offsets in the {@code since} of each poll (empty positions left out). */
  private static List<Long> sinceOffsets(List<Map<String, Object>> polls) {
    List<Long> offsets = new ArrayList<>();
    for (Map<String, Object> p : polls) {
      Matcher m = SINCE.matcher(String.valueOf(p.get("url")));
      if (m.find() && m.group(1).contains("%3A")) {
        offsets.add(Long.parseLong(m.group(1).substring(m.group(1).indexOf("%3A") + 3)));
      }
    }
    return offsets;
  }

  private static List<String> received() {
    return browser.jsList("return window.received.map(m => m.data)").stream()
        .map(String::valueOf)
        .collect(Collectors.toList());
  }

  private static void publishAndAwait(String channel, int from, int to) {
    for (int i = from; i <= to; i++) {
      Http.publish(base, channel, "m" + i);
    }
    List<String> expected = new ArrayList<>();
    for (int i = 1; i <= to; i++) {
      expected.add("m" + i);
    }
    await().atMost(Duration.ofSeconds(30)).until(() -> received().equals(expected));
  }

  @Test
  void onACacheableNamespaceShortPollsAskAlignedUrlsWithIfNoneMatchAndDeliverOnceInOrder() {
    browser.open("about:blank");
    String channel = "feed:" + Http.channel("js-cache");
    openHarness(channel);
    publishAndAwait(channel, 1, 5);
    publishAndAwait(channel, 6, 11);
    publishAndAwait(channel, 12, 20);
    // quiet: the same URL again and again, answered 304
    await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> polls().stream().anyMatch(p -> Long.valueOf(304).equals(p.get("status"))));
    assertThat(received()).hasSize(20).doesNotHaveDuplicates();
    List<Long> offsets = sinceOffsets(polls());
    assertThat(offsets).isNotEmpty().allMatch(o -> o % 8 == 0);
    assertThat(offsets).contains(16L);
  }

  @Test
  void onANamespaceThatIsNotCacheableShortPollsAskWithTheExactCursor() {
    browser.open("about:blank");
    String channel = Http.channel("js-nocache");
    openHarness(channel);
    publishAndAwait(channel, 1, 5);
    publishAndAwait(channel, 6, 11);
    // the poll after the last message asks from exactly there
    await().atMost(Duration.ofSeconds(30)).until(() -> sinceOffsets(polls()).contains(11L));
    assertThat(received()).hasSize(11).doesNotHaveDuplicates();
  }
}
