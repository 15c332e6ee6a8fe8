package io.herald.server.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.herald.client.HeraldClient;
import io.herald.client.HeraldSubscription;
import io.herald.client.SubscriptionListener;
import io.herald.core.Message;
import io.herald.core.Position;
import io.herald.core.Transport;
import io.herald.redis.RedisServerProcess;
import io.herald.server.deploy.ProxyProcess.Kind;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The deploy/ recipes, run by Debian's nginx and HAProxy in front of two Herald nodes (separate
 * JVMs) on one real Redis: all four transports of the Java client go through each proxy; when a
 * node drains (SIGTERM) and when a node is killed (SIGKILL) mid-stream, every subscription resumes
 * on the other with every message once, in order; a long poll at the maximum wait and idle SSE and
 * WebSocket streams at twice the proxy's timeout stay healthy.
 *
 * <p>To reach the proxy's timeout quickly, the rendered recipes use a 5 s timeout instead of 75 s,
 * and the nodes' intervals are shortened in the same proportion as the recipe's rule asks: longest
 * wait 3 s, SSE heartbeat and WebSocket ping 2 s.
 */
@Timeout(value = 170, unit = TimeUnit.SECONDS)
class ProxiesIT {
  private static final Duration PROXY_TIMEOUT = Duration.ofSeconds(5);
  private static final int MAX_WAIT_SECONDS = 3;
  private static final Duration WAIT = Duration.ofSeconds(40);
  private static final AtomicInteger CHANNELS = new AtomicInteger();

  private static RedisServerProcess redis;
  private static HeraldProcess node1;
  private static HeraldProcess node2;
  private static final Map<Kind, ProxyProcess> PROXIES = new EnumMap<>(Kind.class);
  private static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @BeforeAll
  static void start() {
    redis = RedisServerProcess.start();
    String[] args = {
      "--broker", redis.uri(),
      "--max-wait-seconds", Integer.toString(MAX_WAIT_SECONDS),
      "--sse-heartbeat-seconds", "2",
      "--ws-ping-seconds", "2",
      "--shutdown-seconds", "1",
      "--drain-delay-seconds", "1",
      "--drain-window-seconds", "1"
    };
    CompletableFuture<HeraldProcess> first = CompletableFuture.supplyAsync(() -> node(args));
    node2 = node(args);
    node1 = first.join();
    for (Kind kind : Kind.values()) {
      PROXIES.put(kind, ProxyProcess.start(kind, PROXY_TIMEOUT, node1.port(), node2.port()));
    }
  }

  private static HeraldProcess node(String[] args) {
    return HeraldProcess.start(args);
  }

  @AfterAll
  static void stop() {
    PROXIES.values().forEach(ProxyProcess::close);
    List<String> leaks = new ArrayList<>();
    for (HeraldProcess n : new HeraldProcess[] {node1, node2}) {
      if (n != null) {
        n.kill();
        leaks.addAll(n.leaks());
        n.close();
      }
    }
    if (redis != null) {
      redis.close();
    }
    assertThat(leaks).as("Netty leak reports of the nodes").isEmpty();
  }

  /** A test may have killed a node; each starts with both up. */
  @BeforeEach
  void bothNodesUp() {
    for (HeraldProcess n : new HeraldProcess[] {node1, node2}) {
      if (!n.isAlive()) {
        n.start();
      }
    }
  }

  private static String channel(String prefix) {
    return prefix + "-" + ProcessHandle.current().pid() + "-" + CHANNELS.incrementAndGet();
  }

  private static HeraldClient client(ProxyProcess proxy) {
    return HeraldClient.builder(URI.create(proxy.baseUrl()))
        .shortPollInterval(Duration.ofMillis(100))
        .longPollWait(Duration.ofSeconds(2))
        .reconnectDelay(Duration.ofMillis(200))
        .requestTimeout(Duration.ofSeconds(10))
        .publishRetries(8)
        .build();
  }

  /** Records what one subscription delivers. Thread-safe. */
  static final class Recorded implements SubscriptionListener {
    final Transport transport;
    final List<Long> offsets = new CopyOnWriteArrayList<>();
    final List<String> gaps = new CopyOnWriteArrayList<>();
    final List<Throwable> errors = new CopyOnWriteArrayList<>();
    volatile boolean subscribed;

    Recorded(Transport transport) {
      this.transport = transport;
    }

    @Override
    public void onSubscribed(String channel, Position position, boolean recovered) {
      subscribed = true;
    }

    @Override
    public void onMessage(Message message) {
      offsets.add(message.offset());
    }

    @Override
    public void onGap(String channel, Position position) {
      gaps.add(channel + "@" + position);
    }

    @Override
    public void onError(Throwable error) {
      errors.add(error);
    }

    @Override
    public String toString() {
      return transport.wireName()
          + " offsets "
          + offsets
          + " gaps "
          + gaps
          + " errors "
          + errors.stream().map(Throwable::toString).collect(Collectors.joining("; "));
    }
  }

  private static void publish(HeraldClient client, String channel, int from, int to) {
    for (int i = from; i <= to; i++) {
      client.publishText(channel, null, "m" + i).join();
    }
  }

  private static void awaitAll(List<Recorded> all, int messages, ProxyProcess proxy) {
    try {
      await().atMost(WAIT).until(() -> all.stream().allMatch(r -> r.offsets.size() >= messages));
    } catch (org.awaitility.core.ConditionTimeoutException e) {
      throw new AssertionError(
          "through "
              + proxy
              + ", not every subscription got "
              + messages
              + " messages:\n"
              + all.stream().map(Recorded::toString).collect(Collectors.joining("\n"))
              + "\n"
              + proxy.kind()
              + " said:\n"
              + proxy.output(),
          e);
    }
  }

  private static final Pattern STREAMS =
      Pattern.compile("herald_subscriptions\\{transport=\"(websocket|sse)\"} (\\S+)");

  /** The WebSocket and SSE subscriptions open on {@code node}, by transport, from its /metrics. */
  private static Map<String, Long> streamsOn(HeraldProcess node) throws Exception {
    HttpResponse<String> metrics =
        HTTP.send(
            HttpRequest.newBuilder(URI.create(node.baseUrl() + "/metrics"))
                .timeout(Duration.ofSeconds(10))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    Map<String, Long> streams = new TreeMap<>(Map.of("sse", 0L, "websocket", 0L));
    for (String line : metrics.body().split("\n")) {
      Matcher m = STREAMS.matcher(line);
      if (m.matches()) {
        streams.put(m.group(1), (long) Double.parseDouble(m.group(2)));
      }
    }
    return streams;
  }

  /** Waits until the streams open on {@code node} are exactly the streaming ones of {@code all}. */
  private static void awaitStreams(HeraldProcess node, List<Recorded> all, ProxyProcess proxy) {
    Map<String, Long> expected = new TreeMap<>(Map.of("sse", 0L, "websocket", 0L));
    all.stream()
        .filter(r -> r.transport.streaming())
        .forEach(r -> expected.merge(r.transport.wireName(), 1L, Long::sum));
    AtomicReference<Map<String, Long>> seen = new AtomicReference<>();
    try {
      await()
          .atMost(WAIT)
          .until(
              () -> {
                seen.set(streamsOn(node));
                return seen.get().equals(expected);
              });
    } catch (org.awaitility.core.ConditionTimeoutException e) {
      throw new AssertionError(
          String.format(
              "through %s, %s should have the streams %s, has %s%n%s said:%n%s",
              proxy, node, expected, seen.get(), proxy.kind(), proxy.output()),
          e);
    }
  }

  @ParameterizedTest
  @EnumSource(Kind.class)
  void everyTransportResumesOnTheOtherNodeWhenOneDrainsOrIsKilledWithNothingLostOrDoubled(Kind kind)
      throws Exception {
    ProxyProcess proxy = PROXIES.get(kind);
    String ch = channel("proxied-" + kind.name().toLowerCase());
    List<Recorded> all = new ArrayList<>();
    List<HeraldSubscription> subscriptions = new ArrayList<>();
    HeraldClient client = client(proxy);
    try {
      // Streams of earlier tests are gone (closing is asynchronous): node2's count is ours alone.
      awaitStreams(node2, List.of(), proxy);
      // Two of each, opened one after the other, so that the balancer spreads them.
      for (int i = 0; i < 2; i++) {
        for (Transport t : Transport.values()) {
          Recorded r = new Recorded(t);
          all.add(r);
          subscriptions.add(client.subscribe(List.of(ch), t, null, r));
        }
      }
      await().atMost(WAIT).until(() -> all.stream().allMatch(r -> r.subscribed));
      publish(client, ch, 1, 10);
      awaitAll(all, 10, proxy);

      // Stop one node with SIGTERM (it drains: /ready 503, then its connections are closed) while
      // publishing through the proxy; bring it back. Every stream is now on the other node: kill
      // that one (SIGKILL), deliver more: every streaming connection is cut by the kill.
      CompletableFuture<Void> drained = CompletableFuture.runAsync(node1::terminate);
      publish(client, ch, 11, 20);
      drained.join();
      awaitAll(all, 20, proxy);
      // node1 is gone, so a stream open now is on node2; wait until all are. A stream closed by
      // the drain reconnects after its hint, possibly held in the proxy's retries (HAProxy's
      // health checks see a node go and come back seconds late); one still reconnecting when
      // node1 is back could land there, where the kill of node2 would not cut it.
      awaitStreams(node2, all, proxy);
      node1.start();
      node2.kill();
      publish(client, ch, 21, 30);
      awaitAll(all, 30, proxy);

      List<Long> expected = LongStream.rangeClosed(1, 30).boxed().toList();
      for (Recorded r : all) {
        assertThat(r.offsets).as("%s through %s", r, kind).isEqualTo(expected);
        assertThat(r.gaps).as("%s through %s", r, kind).isEmpty();
        if (r.transport.streaming()) {
          assertThat(r.errors)
              .as(
                  "a %s stream was cut by a kill and resumed: %s%n%s said:%n%s",
                  r.transport, r, kind, proxy.output())
              .isNotEmpty();
        }
      }
    } finally {
      subscriptions.forEach(HeraldSubscription::close);
    }
  }

  @ParameterizedTest
  @EnumSource(Kind.class)
  void longPollsAtTheMaximumWaitAndIdleStreamsAtTwiceTheProxyTimeoutStayHealthy(Kind kind)
      throws Exception {
    ProxyProcess proxy = PROXIES.get(kind);
    String ch = channel("idle-" + kind.name().toLowerCase());
    List<Recorded> streams = new ArrayList<>();
    List<HeraldSubscription> subscriptions = new ArrayList<>();
    HeraldClient client = client(proxy);
    try {
      for (Transport t : List.of(Transport.SSE, Transport.WEBSOCKET)) {
        Recorded r = new Recorded(t);
        streams.add(r);
        subscriptions.add(client.subscribe(List.of(ch), t, null, r));
      }
      await().atMost(WAIT).until(() -> streams.stream().allMatch(r -> r.subscribed));

      // Meanwhile, rounds of long polls at the maximum wait (asking more is cut to it): each is
      // answered 200 with no message by the node, before the proxy's timeout, on both nodes.
      long idleUntil = System.nanoTime() + PROXY_TIMEOUT.multipliedBy(2).plusSeconds(1).toNanos();
      int rounds = 0;
      while (System.nanoTime() < idleUntil) {
        List<CompletableFuture<HttpResponse<String>>> polls = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
          polls.add(
              HTTP.sendAsync(
                  HttpRequest.newBuilder(
                          URI.create(
                              proxy.baseUrl()
                                  + "/channels/"
                                  + ch
                                  + "?wait="
                                  + (i % 2 == 0 ? MAX_WAIT_SECONDS : 600)))
                      .timeout(Duration.ofSeconds(30))
                      .build(),
                  HttpResponse.BodyHandlers.ofString()));
        }
        for (CompletableFuture<HttpResponse<String>> poll : polls) {
          HttpResponse<String> answer = poll.get(40, TimeUnit.SECONDS);
          assertThat(answer.statusCode())
              .as("a long poll at the maximum wait through %s: %s", kind, answer.body())
              .isEqualTo(200);
          assertThat(answer.body()).contains("\"messages\":[]");
        }
        rounds++;
      }
      assertThat(rounds).isGreaterThanOrEqualTo(3);
      // The streams stayed open through twice the proxy's timeout of silence.
      for (Recorded r : streams) {
        assertThat(r.errors).as("%s idle through %s", r, kind).isEmpty();
      }
      publish(client, ch, 1, 1);
      await().atMost(WAIT).until(() -> streams.stream().allMatch(r -> r.offsets.size() == 1));
      for (Recorded r : streams) {
        assertThat(r.errors).as("%s idle through %s", r, kind).isEmpty();
        assertThat(r.offsets).containsExactly(1L);
      }
      // No node was marked failed: requests still reach both (each answers its own /health).
      for (int i = 0; i < 4; i++) {
        HttpResponse<String> health =
            HTTP.send(
                HttpRequest.newBuilder(URI.create(proxy.baseUrl() + "/health")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(health.statusCode()).as("%s: %s", kind, health.body()).isEqualTo(200);
      }
    } finally {
      subscriptions.forEach(HeraldSubscription::close);
    }
  }

  /**
   * A misconfiguration the recipes survive: a proxy timeout (2 s) below the nodes' maximum wait (3
   * s). Each long poll then ends in the proxy's 504, but no node is taken out and other requests
   * still pass: nginx sends long polls to a pool with {@code max_fails=0} (nginx counts every
   * timeout as a failure, whatever {@code proxy_next_upstream} says: with one pool, these 16
   * timeouts marked both nodes failed and it answered {@code 502 no live upstreams}); HAProxy
   * judges nodes by its health checks and does not retry on {@code response-timeout}.
   */
  @ParameterizedTest
  @EnumSource(Kind.class)
  void longPollsOutlivingTheProxyTimeoutNeverTakeANodeOut(Kind kind) throws Exception {
    String ch = channel("outlived-" + kind.name().toLowerCase());
    try (ProxyProcess tight =
        ProxyProcess.start(kind, Duration.ofSeconds(2), node1.port(), node2.port())) {
      for (int r = 0; r < 4; r++) {
        int round = r;
        List<CompletableFuture<HttpResponse<String>>> polls = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
          polls.add(
              HTTP.sendAsync(
                  HttpRequest.newBuilder(
                          URI.create(
                              tight.baseUrl() + "/channels/" + ch + "?wait=" + MAX_WAIT_SECONDS))
                      .timeout(Duration.ofSeconds(30))
                      .build(),
                  HttpResponse.BodyHandlers.ofString()));
        }
        for (CompletableFuture<HttpResponse<String>> poll : polls) {
          HttpResponse<String> answer = poll.get(40, TimeUnit.SECONDS);
          assertThat(answer.statusCode())
              .as("the proxy's own timeout, round %d: %s\n%s", round, answer.body(), tight.output())
              .isEqualTo(504);
        }
      }
      for (int i = 0; i < 4; i++) {
        HttpResponse<String> health =
            HTTP.send(
                HttpRequest.newBuilder(URI.create(tight.baseUrl() + "/health")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(health.statusCode())
            .as("%s after 16 timed-out long polls: %s\n%s", kind, health.body(), tight.output())
            .isEqualTo(200);
      }
    }
  }
}
