package io.herald.server.client;

import static io.herald.server.client.ClientTestSupport.channel;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.herald.client.HeraldClient;
import io.herald.client.HeraldSubscription;
import io.herald.client.Published;
import io.herald.core.Transport;
import io.herald.redis.LoopbackRelay;
import io.herald.redis.RedisExtension;
import io.herald.server.HeraldServer;
import io.herald.server.LeakDetection;
import io.herald.server.ServerConfig;
import io.herald.server.TestClients;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Rolling restarts (issue 12): a node told to drain (what SIGTERM does) answers {@code /ready} 503
 * at once while it goes on serving, then closes its connections spread over the drain window
 * (WebSocket {@code 1001} with a reconnect hint, SSE {@code herald.end}, parked long polls answered
 * with their cursor), and the clients behind a load balancer resume on the other node with nothing
 * lost or doubled. Also: an SSE stream is chunked, so a cut is an error for the client, never a
 * clean end; the Java client resumes after one with nothing lost.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
@ExtendWith(LeakDetection.class)
class DrainIT {
  private static final Duration DELAY = Duration.ofSeconds(2);
  private static final Duration WINDOW = Duration.ofSeconds(4);
  @RegisterExtension static final RedisExtension redis = new RedisExtension();

  private static HeraldServer node() {
    HeraldServer node =
        HeraldServer.start(
            ServerConfig.builder()
                .host("127.0.0.1")
                .port(0)
                .broker(redis.uri())
                .sseHeartbeat(Duration.ofSeconds(1))
                .drainDelay(DELAY)
                .drainWindow(WINDOW)
                .shutdownTimeout(Duration.ofSeconds(2))
                .build());
    await().atMost(Duration.ofSeconds(20)).until(() -> node.hub().broker().isAvailable());
    return node;
  }

  private static HeraldClient client(String base) {
    return HeraldClient.builder(URI.create(base))
        .shortPollInterval(Duration.ofMillis(50))
        .longPollWait(Duration.ofSeconds(2))
        .reconnectDelay(Duration.ofMillis(100))
        .requestTimeout(Duration.ofSeconds(5))
        .build();
  }

  /** A raw WebSocket that records its close: when, the code and the reason. */
  static final class Closing implements WebSocket.Listener {
    final CompletableFuture<long[]> closedAt = new CompletableFuture<>();
    volatile int code;
    volatile String reason;
    final List<Long> messageTimes = new CopyOnWriteArrayList<>();

    @Override
    public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
      if (data.toString().contains("\"message\"")) {
        messageTimes.add(System.nanoTime());
      }
      ws.request(1);
      return null;
    }

    @Override
    public CompletionStage<?> onClose(WebSocket ws, int statusCode, String why) {
      code = statusCode;
      reason = why;
      closedAt.complete(new long[] {System.nanoTime()});
      return null;
    }

    @Override
    public void onError(WebSocket ws, Throwable error) {
      code = -1;
      closedAt.complete(new long[] {System.nanoTime()});
    }
  }

  /** A raw SSE stream: when {@code herald.end} arrived, its data and the line before it. */
  static final class Stream {
    final CompletableFuture<Long> endedAt = new CompletableFuture<>();
    volatile String endData;
    volatile String retryLine;
    final List<Long> messageTimes = new CopyOnWriteArrayList<>();

    Stream(String url) {
      Thread t =
          new Thread(
              () -> {
                try {
                  HttpResponse<java.util.stream.Stream<String>> r =
                      TestClients.HTTP.send(
                          HttpRequest.newBuilder(URI.create(url))
                              .header("Accept", "text/event-stream")
                              .build(),
                          HttpResponse.BodyHandlers.ofLines());
                  String[] previous = {"", ""};
                  r.body()
                      .forEach(
                          line -> {
                            if (line.startsWith("data: {\"channel\"")) {
                              messageTimes.add(System.nanoTime());
                            }
                            if (line.startsWith("data: ")
                                && previous[1].equals("event: herald.end")) {
                              endData = line.substring(6);
                              retryLine = previous[0];
                              endedAt.complete(System.nanoTime());
                            }
                            previous[0] = previous[1];
                            previous[1] = line;
                          });
                } catch (Exception e) {
                  endedAt.completeExceptionally(e);
                }
                endedAt.completeExceptionally(new AssertionError("no herald.end before the end"));
              },
              "drain-sse");
      t.setDaemon(true);
      t.start();
    }
  }

  @Test
  void readinessFlipsFirstThenConnectionsCloseSpreadOverTheWindowAndClientsResumeWithNothingLost()
      throws Exception {
    HeraldServer a = node();
    HeraldServer b = node();
    LoopbackRelay balancer = LoopbackRelay.to(a.port()).start();
    String ch = channel("drain");
    String quiet = channel("drain-quiet");
    HeraldClient viaBalancer = client(balancer.baseUrl());
    HeraldClient publisher = client(b.baseUrl());
    Map<Transport, Recorder> recorders = new EnumMap<>(Transport.class);
    List<HeraldSubscription> subs = new ArrayList<>();
    List<Closing> sockets = new ArrayList<>();
    List<WebSocket> rawSockets = new ArrayList<>();
    List<Stream> streams = new ArrayList<>();
    List<CompletableFuture<Long>> pollTimes = new ArrayList<>();
    List<CompletableFuture<HttpResponse<String>>> polls = new ArrayList<>();
    AtomicBoolean publishing = new AtomicBoolean(true);
    List<Published> published = new CopyOnWriteArrayList<>();
    Thread pub = null;
    try {
      for (Transport t : Transport.values()) {
        Recorder r = new Recorder();
        recorders.put(t, r);
        subs.add(viaBalancer.subscribe(List.of(ch), t, null, r));
        r.awaitSubscribed(ch);
      }
      String ws = a.baseUrl().replace("http", "ws") + "/channels/" + ch;
      for (int i = 0; i < 6; i++) {
        Closing c = new Closing();
        rawSockets.add(TestClients.HTTP.newWebSocketBuilder().buildAsync(URI.create(ws), c).join());
        sockets.add(c);
        streams.add(new Stream(a.baseUrl() + "/channels/" + ch));
      }
      for (int i = 0; i < 4; i++) {
        CompletableFuture<Long> at = new CompletableFuture<>();
        pollTimes.add(at);
        polls.add(
            TestClients.HTTP
                .sendAsync(
                    HttpRequest.newBuilder(
                            URI.create(a.baseUrl() + "/channels/" + quiet + "?wait=60"))
                        .build(),
                    HttpResponse.BodyHandlers.ofString())
                .whenComplete((r, e) -> at.complete(System.nanoTime())));
      }
      // 4 Java clients' connections (at least), 6 WebSockets, 6 streams, 4 parked polls
      await().atMost(Duration.ofSeconds(20)).until(() -> a.connectionCount() >= 20);
      pub =
          new Thread(
              () -> {
                int i = 0;
                while (publishing.get()) {
                  published.add(publisher.publishText(ch, null, "m" + ++i).join());
                  try {
                    Thread.sleep(20); // the publication rate, not a wait for something
                  } catch (InterruptedException e) {
                    return;
                  }
                }
              },
              "drain-publisher");
      pub.start();
      await().atMost(Duration.ofSeconds(20)).until(() -> published.size() >= 5);

      Thread drainer = new Thread(a::drain, "drain");
      drainer.start();
      await()
          .atMost(Duration.ofSeconds(10))
          .pollInterval(Duration.ofMillis(20))
          .until(() -> TestClients.get(a.baseUrl() + "/ready").statusCode() == 503);
      long notReady = System.nanoTime();
      balancer.targets(b.port()); // the load balancer's readiness check takes A out
      HttpResponse<String> ready = TestClients.get(a.baseUrl() + "/ready");
      assertThat(TestClients.json(ready.body()).path("reason").asText()).isEqualTo("draining");
      assertThat(TestClients.get(a.baseUrl() + "/live").statusCode()).isEqualTo(200);
      assertThat(TestClients.get(b.baseUrl() + "/ready").statusCode()).isEqualTo(200);

      drainer.join(TimeUnit.SECONDS.toMillis(60));
      assertThat(drainer.isAlive()).as("the drain ends within its bound").isFalse();

      List<Long> closes = new ArrayList<>();
      for (Closing c : sockets) {
        closes.add(c.closedAt.get(10, TimeUnit.SECONDS)[0]);
        assertThat(c.code).isEqualTo(1001);
        JsonNode hint = TestClients.json(c.reason);
        assertThat(hint.path("reason").asText()).isEqualTo("draining");
        assertThat(hint.path("retryAfterMillis").asLong(-1)).isBetween(0L, 1000L);
      }
      for (Stream s : streams) {
        closes.add(s.endedAt.get(10, TimeUnit.SECONDS));
        JsonNode end = TestClients.json(s.endData);
        assertThat(end.path("reason").asText()).isEqualTo("draining");
        assertThat(s.retryLine).isEqualTo("retry: " + end.path("retryAfterMillis").asLong());
      }
      for (int i = 0; i < polls.size(); i++) {
        HttpResponse<String> r = polls.get(i).get(10, TimeUnit.SECONDS);
        assertThat(r.statusCode()).isEqualTo(200);
        JsonNode body = TestClients.json(r.body());
        assertThat(body.path("messages").size()).isZero();
        assertThat(body.path("cursor").asText()).isNotEmpty();
        closes.add(pollTimes.get(i).get());
      }
      long first = closes.stream().mapToLong(Long::longValue).min().orElseThrow();
      long last = closes.stream().mapToLong(Long::longValue).max().orElseThrow();
      assertThat(first).as("readiness flips before any connection closes").isGreaterThan(notReady);
      assertThat(TimeUnit.NANOSECONDS.toMillis(last - first))
          .as("the closes are spread over the %s window, not all at once", WINDOW)
          .isGreaterThan(WINDOW.toMillis() / 3);
      assertThat(
              sockets.stream().anyMatch(c -> c.messageTimes.stream().anyMatch(t -> t > notReady))
                  || streams.stream()
                      .anyMatch(s -> s.messageTimes.stream().anyMatch(t -> t > notReady)))
          .as("the node still delivers while not ready")
          .isTrue();

      publishing.set(false);
      pub.join(TimeUnit.SECONDS.toMillis(30));
      List<Long> expected = published.stream().map(Published::offset).toList();
      for (Map.Entry<Transport, Recorder> e : recorders.entrySet()) {
        Recorder r = e.getValue();
        r.awaitUntil(
            e.getKey() + " has every publication",
            60,
            () -> r.offsets(ch).size() >= expected.size());
        assertThat(r.offsets(ch)).as(e.getKey().wireName()).isEqualTo(expected);
        assertThat(r.gaps).as(e.getKey().wireName()).isEmpty();
      }
      assertThat(recorders.get(Transport.SSE).errors)
          .as("herald.end is a clean end, not a failure")
          .noneMatch(err -> String.valueOf(err.getMessage()).contains("without herald.end"));
      // (a WebSocket handshake the JDK sent on a keep-alive connection still open to A during the
      // window may be refused with 503 and retried: that is reported, the 1001 itself is not)
      assertThat(recorders.get(Transport.WEBSOCKET).errors)
          .as("1001 with a hint is a clean end, not a failure")
          .noneMatch(err -> String.valueOf(err.getMessage()).contains("1001"));
    } finally {
      publishing.set(false);
      if (pub != null) {
        pub.join(TimeUnit.SECONDS.toMillis(30));
      }
      subs.forEach(HeraldSubscription::close);
      rawSockets.forEach(WebSocket::abort);
      balancer.close();
      a.close();
      b.close();
    }
  }

  @Test
  void aCutSseStreamIsAnErrorForTheClientWhileHeraldEndIsACleanEnd() throws Exception {
    HeraldServer server = ClientTestSupport.server();
    LoopbackRelay proxy = LoopbackRelay.to(server.port()).start();
    String ch = channel("cut");
    try {
      HttpResponse<InputStream> cut =
          TestClients.HTTP.send(
              HttpRequest.newBuilder(URI.create(proxy.baseUrl() + "/channels/" + ch))
                  .header("Accept", "text/event-stream")
                  .build(),
              HttpResponse.BodyHandlers.ofInputStream());
      assertThat(cut.headers().firstValue("transfer-encoding")).hasValue("chunked");
      InputStream in = cut.body();
      assertThat(new String(in.readNBytes(10), StandardCharsets.UTF_8)).startsWith("retry:");
      proxy.cutAll(); // a FIN in the middle of the stream, as a crashed node's
      assertThatThrownBy(() -> in.readAllBytes())
          .as("a cut before the last chunk is an error, not an end of stream")
          .isInstanceOf(IOException.class);

      HttpResponse<InputStream> ended =
          TestClients.HTTP.send(
              HttpRequest.newBuilder(URI.create(server.baseUrl() + "/channels/" + ch))
                  .header("Accept", "text/event-stream")
                  .build(),
              HttpResponse.BodyHandlers.ofInputStream());
      InputStream clean = ended.body();
      assertThat(new String(clean.readNBytes(10), StandardCharsets.UTF_8)).startsWith("retry:");
      server.close(); // a shutdown ends the stream with herald.end and the last chunk
      String rest = new String(clean.readAllBytes(), StandardCharsets.UTF_8);
      assertThat(rest).contains("event: herald.end\ndata: {\"reason\":\"draining\"");
    } finally {
      proxy.close();
      server.close();
    }
  }

  @Test
  void theJavaClientResumesAfterACutStreamWithNothingLost() {
    HeraldServer server = ClientTestSupport.server();
    LoopbackRelay proxy = LoopbackRelay.to(server.port()).start();
    HeraldClient direct = ClientTestSupport.client(server);
    String ch = channel("cut-java");
    Recorder r = new Recorder();
    try (HeraldSubscription s =
        client(proxy.baseUrl()).subscribe(List.of(ch), Transport.SSE, null, r)) {
      r.awaitSubscribed(ch);
      ClientTestSupport.publish(direct, ch, "a", 1, 5);
      r.awaitMessages(5);
      proxy.cutAll();
      r.awaitUntil("an error for the cut stream", 15, () -> !r.errors.isEmpty());
      ClientTestSupport.publish(direct, ch, "b", 1, 5);
      r.awaitMessages(10);
      assertThat(r.offsets(ch)).isEqualTo(ClientTestSupport.range(1, 10));
      assertThat(r.gaps).isEmpty();
      assertThat(r.subscribedLog).hasSize(1);
      assertThat(s.done()).isNotDone();
    } finally {
      proxy.close();
      server.close();
    }
  }
}
