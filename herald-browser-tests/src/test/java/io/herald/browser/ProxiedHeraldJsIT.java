package io.herald.browser;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.herald.redis.RedisServerProcess;
import io.herald.server.deploy.HeraldProcess;
import io.herald.server.deploy.ProxyProcess;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * herald.js through Debian's nginx and HAProxy, each running the repository's recipe
 * (deploy/nginx/herald.conf, deploy/haproxy/haproxy.cfg, as written but for ports and paths) in
 * front of two Herald JVMs on one real Redis: the page is loaded through the proxy and subscribes
 * there; each node in turn is killed (SIGKILL) while the page is subscribed, so its connection is
 * cut at least once; it resumes through the proxy on the other node and shows every message once,
 * in order, with no gap.
 */
@Timeout(150)
class ProxiedHeraldJsIT {
  private static RedisServerProcess redis;
  private static HeraldProcess node1;
  private static HeraldProcess node2;
  private static final Map<ProxyProcess.Kind, ProxyProcess> PROXIES =
      new EnumMap<>(ProxyProcess.Kind.class);
  private static Browser browser;

  @BeforeAll
  static void start() {
    assertThat(Browser.available())
        .as("Chromium and chromedriver (apt-get install -y chromium chromium-driver)")
        .isTrue();
    redis = RedisServerProcess.start();
    CompletableFuture<HeraldProcess> first =
        CompletableFuture.supplyAsync(
            () -> HeraldProcess.start("--broker", redis.uri(), "--shutdown-seconds", "1"));
    node2 = HeraldProcess.start("--broker", redis.uri(), "--shutdown-seconds", "1");
    node1 = first.join();
    // The recipes' own 75 s timeout: the nodes run with their default intervals.
    for (ProxyProcess.Kind kind : ProxyProcess.Kind.values()) {
      PROXIES.put(
          kind, ProxyProcess.start(kind, Duration.ofSeconds(75), node1.port(), node2.port()));
    }
    browser = new Browser();
  }

  @AfterAll
  static void stop() {
    if (browser != null) {
      browser.close();
    }
    PROXIES.values().forEach(ProxyProcess::close);
    for (AutoCloseable c : new AutoCloseable[] {node1, node2, redis}) {
      try {
        if (c != null) {
          c.close();
        }
      } catch (Exception ignored) {
        // best effort
      }
    }
  }

  private static void awaitReceived(ProxyProcess proxy, List<String> sent) {
    try {
      await()
          .atMost(Duration.ofSeconds(60))
          .until(() -> TransportDeliveryIT.receivedData(browser).size() >= sent.size());
    } catch (org.awaitility.core.ConditionTimeoutException e) {
      throw new AssertionError(
          "the page got "
              + TransportDeliveryIT.receivedData(browser)
              + " of "
              + sent
              + "; events "
              + browser.jsMaps("return window.events")
              + "\n"
              + proxy
              + " said:\n"
              + proxy.output(),
          e);
    }
  }

  static Stream<Arguments> proxiesAndTransports() {
    return Stream.of(ProxyProcess.Kind.values())
        .flatMap(kind -> Stream.of("websocket", "sse").map(t -> Arguments.of(kind, t)));
  }

  @ParameterizedTest(name = "{1} through {0}")
  @MethodSource("proxiesAndTransports")
  void aPageSubscribedThroughAProxyResumesOnTheOtherNodeWhenItsNodeIsKilled(
      ProxyProcess.Kind kind, String transport) {
    ProxyProcess proxy = PROXIES.get(kind);
    for (HeraldProcess n : List.of(node1, node2)) {
      if (!n.isAlive()) {
        n.start();
      }
    }
    String channel = Http.channel(proxy + "-" + transport);
    TransportDeliveryIT.openHarness(browser, proxy.baseUrl(), channel, transport);
    List<String> sent = new ArrayList<>();
    int n = 0;
    for (HeraldProcess killed : List.of(node1, node2)) {
      HeraldProcess other = killed == node1 ? node2 : node1;
      if (!other.isAlive()) {
        other.start();
      }
      for (int i = 0; i < 3; i++) {
        sent.add("m" + ++n);
        Http.publish(other.baseUrl(), channel, "m" + n);
      }
      awaitReceived(proxy, sent);
      killed.kill();
      for (int i = 0; i < 3; i++) {
        sent.add("m" + ++n);
        Http.publish(other.baseUrl(), channel, "m" + n);
      }
      awaitReceived(proxy, sent);
    }
    assertThat(TransportDeliveryIT.receivedData(browser)).containsExactlyElementsOf(sent);
    assertThat(browser.jsList("return window.received.map(m => m.offset)"))
        .containsExactlyElementsOf(
            IntStream.rangeClosed(1, sent.size()).mapToObj(i -> (Object) (long) i).toList());
    assertThat(browser.jsList("return window.received.map(m => m.transport)"))
        .as("every message came over %s", transport)
        .containsOnly(transport);
    assertThat(browser.jsMaps("return window.events.filter(e => e.type === 'gap')"))
        .as("no gap: nothing was lost")
        .isEmpty();
    assertThat(browser.jsMaps("return window.events.filter(e => e.type === 'disconnected')"))
        .as("the page's connection was cut by a kill and came back")
        .isNotEmpty();
    browser.open("about:blank");
  }
}
