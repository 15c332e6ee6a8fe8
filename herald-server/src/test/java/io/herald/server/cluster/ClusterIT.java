package io.herald.server.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.herald.redis.RedisBroker;
import io.herald.redis.RedisExtension;
import io.herald.redis.RedisServerProcess;
import io.herald.server.HeraldServer;
import io.herald.server.LeakDetection;
import io.herald.server.ServerConfig;
import io.herald.server.TestClients;
import io.herald.server.TestClients.Sse;
import io.herald.server.TestClients.Ws;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Three Herald nodes on one machine and one real Redis: publications on any node reach subscribers
 * on every node over every transport; a client of a node that stops resumes on another with nothing
 * lost or duplicated; a Redis restart answers 503 and degrades /health meanwhile, keeps clients
 * connected, and lets messages flow again once Redis is back.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
@ExtendWith(LeakDetection.class)
class ClusterIT {
  private static final Duration WAIT = Duration.ofSeconds(20);
  @RegisterExtension static final RedisExtension redis = new RedisExtension();

  private final List<HeraldServer> nodes = new ArrayList<>();
  private final List<RedisServerProcess> ownRedis = new ArrayList<>();

  @AfterEach
  void stopNodes() {
    nodes.forEach(HeraldServer::close);
    nodes.clear();
    ownRedis.forEach(RedisServerProcess::close);
    ownRedis.clear();
  }

  private List<HeraldServer> startNodes(RedisServerProcess server, int count) {
    List<HeraldServer> started = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      HeraldServer node =
          HeraldServer.start(
              ServerConfig.builder()
                  .port(0)
                  .broker(server.uri())
                  .shutdownTimeout(Duration.ofSeconds(2))
                  .build());
      nodes.add(node);
      started.add(node);
    }
    for (HeraldServer node : started) {
      // A node answers 503 until its broker has connected (at most 2 s of its start wait for that).
      await().atMost(WAIT).until(() -> node.hub().broker().isAvailable());
    }
    return started;
  }

  // ---------------------------------------------------------------- client helpers

  /** One SSE event: its id, event name ({@code message} when the line was left out) and data. */
  record Event(String id, String event, JsonNode data) {}

  private static Event nextEvent(Sse sse) {
    while (true) {
      String raw = sse.nextEvent();
      assertThat(raw).as("the SSE stream is still open").isNotEqualTo("<eof>");
      String id = null;
      String event = "message";
      StringBuilder data = new StringBuilder();
      for (String line : raw.split("\n")) {
        if (line.startsWith("id:")) {
          id = value(line);
        } else if (line.startsWith("event:")) {
          event = value(line);
        } else if (line.startsWith("data:")) {
          data.append(value(line));
        }
      }
      if (data.length() > 0) { // not a heartbeat or retry line
        return new Event(id, event, TestClients.json(data.toString()));
      }
    }
  }

  private static String value(String line) {
    String v = line.substring(line.indexOf(':') + 1);
    return v.startsWith(" ") ? v.substring(1) : v;
  }

  /** The next message envelope on an SSE stream, skipping {@code herald.*} notices. */
  private static Event nextMessage(Sse sse) {
    while (true) {
      Event e = nextEvent(sse);
      if (!e.event().startsWith("herald.")) {
        return e;
      }
    }
  }

  /**
   * The next message on a WebSocket as its envelope (without {@code type}), skipping other frames.
   */
  private static JsonNode nextMessage(Ws ws) {
    while (true) {
      JsonNode frame = ws.next();
      if (frame.path("type").asText().equals("message")) {
        ObjectNode envelope = ((ObjectNode) frame).deepCopy();
        envelope.remove("type");
        return envelope;
      }
    }
  }

  private static String wsUrl(HeraldServer node) {
    return node.baseUrl().replaceFirst("^http", "ws");
  }

  private static JsonNode poll(HeraldServer node, String channel, String query) {
    HttpResponse<String> r = TestClients.get(node.baseUrl() + "/channels/" + channel + query);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return TestClients.json(r.body());
  }

  private static JsonNode publish(HeraldServer node, String channel, long n) {
    return TestClients.publish(node.baseUrl(), channel, "{\"n\":" + n + "}");
  }

  private static List<Long> range(long from, long to) {
    return LongStream.rangeClosed(from, to).boxed().collect(Collectors.toList());
  }

  private static List<Long> offsets(List<JsonNode> envelopes) {
    return envelopes.stream().map(e -> e.get("offset").asLong()).collect(Collectors.toList());
  }

  // ---------------------------------------------------------------- tests

  @ParameterizedTest(name = "SSE on node {0}, WebSocket on the next, long poll on the one after")
  @ValueSource(ints = {0, 1, 2})
  void publicationsOnEveryNodeReachSubscribersOnEveryNodeOverEveryTransport(int rotation) {
    List<HeraldServer> n = startNodes(redis.process(), 3);
    HeraldServer sseNode = n.get(rotation);
    HeraldServer wsNode = n.get((rotation + 1) % 3);
    HeraldServer pollNode = n.get((rotation + 2) % 3);
    String ch = TestClients.channel("cluster-fanout");
    try (Sse sse = new Sse(sseNode.baseUrl() + "/channels/" + ch);
        Ws ws = new Ws(wsUrl(wsNode) + "/channels/" + ch)) {
      Event subscribed = nextEvent(sse);
      assertThat(subscribed.event()).isEqualTo("herald.subscribed");
      assertThat(ws.next().path("type").asText()).isEqualTo("subscribed");
      String pollCursor = poll(pollNode, ch, "").get("cursor").asText();

      List<JsonNode> published = new ArrayList<>();
      for (int i = 1; i <= 9; i++) {
        published.add(publish(n.get(i % 3), ch, i));
      }
      assertThat(published)
          .extracting(p -> p.get("offset").asLong())
          .containsExactlyElementsOf(range(1, 9));
      String epoch = published.get(0).get("epoch").asText();
      assertThat(published).extracting(p -> p.get("epoch").asText()).containsOnly(epoch);
      assertThat(subscribed.id()).isEqualTo(epoch + ":0");

      List<JsonNode> viaSse = new ArrayList<>();
      List<String> sseIds = new ArrayList<>();
      for (int i = 0; i < 9; i++) {
        Event e = nextMessage(sse);
        viaSse.add(e.data());
        sseIds.add(e.id());
      }
      List<JsonNode> viaWs = new ArrayList<>();
      for (int i = 0; i < 9; i++) {
        viaWs.add(nextMessage(ws));
      }
      List<JsonNode> viaLongPoll = new ArrayList<>();
      while (viaLongPoll.size() < 9) {
        JsonNode r = poll(pollNode, ch, "?wait=5&since=" + pollCursor);
        assertThat(r.get("recovered").asBoolean()).isTrue();
        r.get("messages").forEach(viaLongPoll::add);
        pollCursor = r.get("cursor").asText();
      }
      assertThat(offsets(viaSse)).isEqualTo(range(1, 9));
      assertThat(sseIds).endsWith(epoch + ":9");
      assertThat(viaWs).isEqualTo(viaSse);
      assertThat(viaLongPoll).isEqualTo(viaSse);
      assertThat(pollCursor).isEqualTo(epoch + ":9");
      for (int i = 0; i < 9; i++) {
        assertThat(viaSse.get(i).get("data").get("n").asLong()).isEqualTo(i + 1);
        assertThat(viaSse.get(i).get("channel").asText()).isEqualTo(ch);
      }
      // A short poll on any node from the epoch's start answers the same history.
      for (HeraldServer node : n) {
        JsonNode r = poll(node, ch, "?since=" + epoch + ":0");
        List<JsonNode> got = new ArrayList<>();
        r.get("messages").forEach(got::add);
        assertThat(got).isEqualTo(viaSse);
        assertThat(r.get("recovered").asBoolean()).isTrue();
      }
    }
  }

  @Test
  void nodesSubscribeInRedisOnlyToTheChannelsTheirClientsUse() {
    List<HeraldServer> n = startNodes(redis.process(), 3);
    String watched = TestClients.channel("cluster-watched");
    String unwatched = TestClients.channel("cluster-unwatched");
    try (Sse sse = new Sse(n.get(0).baseUrl() + "/channels/" + watched)) {
      assertThat(nextEvent(sse).event()).isEqualTo("herald.subscribed");
      publish(n.get(1), watched, 1);
      publish(n.get(2), unwatched, 1);
      assertThat(nextMessage(sse).data().get("data").get("n").asLong()).isEqualTo(1);
      assertThat(redisBroker(n.get(0)).subscribedChannels()).isEqualTo(1);
      assertThat(redisBroker(n.get(1)).subscribedChannels())
          .as("a node that only publishes")
          .isZero();
      assertThat(redisBroker(n.get(2)).subscribedChannels()).isZero();
      assertThat(n.get(0).hub().activeChannels()).isEqualTo(1);
    }
  }

  private static RedisBroker redisBroker(HeraldServer node) {
    return (RedisBroker) node.hub().broker();
  }

  @Test
  void aClientOfAStoppedNodeResumesOnAnotherNodeWithNothingLostOrDuplicated() throws Exception {
    ScheduledExecutorService pacer = Executors.newSingleThreadScheduledExecutor();
    try {
      resumeAcrossNodes(pacer);
    } finally {
      pacer.shutdownNow();
    }
  }

  private void resumeAcrossNodes(ScheduledExecutorService pacer) throws Exception {
    List<HeraldServer> n = startNodes(redis.process(), 3);
    HeraldServer a = n.get(0);
    HeraldServer b = n.get(1);
    HeraldServer c = n.get(2);
    String ch = TestClients.channel("cluster-resume");
    int total = 100;
    List<JsonNode> received = new ArrayList<>();
    String cursor;
    AtomicReference<Throwable> publishError = new AtomicReference<>();
    CompletableFuture<Void> publisher;

    // 1. SSE on node A, while node C takes one publication every 20 ms.
    try (Sse sse = new Sse(a.baseUrl() + "/channels/" + ch)) {
      cursor = nextEvent(sse).id();
      AtomicInteger next = new AtomicInteger(1);
      publisher = new CompletableFuture<>();
      CompletableFuture<Void> published = publisher;
      pacer.scheduleAtFixedRate(
          () -> {
            int i = next.getAndIncrement();
            if (i > total) {
              published.complete(null);
              throw new CancellationException("done"); // ends the schedule
            }
            try {
              publish(c, ch, i);
            } catch (RuntimeException | Error t) {
              publishError.compareAndSet(null, t);
              published.complete(null);
              throw t; // ends the schedule
            }
          },
          0,
          20,
          TimeUnit.MILLISECONDS);
      while (received.size() < 20) {
        Event e = nextMessage(sse);
        received.add(e.data());
        cursor = e.id();
      }
      // 2. Node A stops mid-stream: its SSE stream ends.
      a.close();
      while (true) {
        String raw = sse.nextEvent();
        if (raw.equals("<eof>")) {
          break;
        }
        // events A sent before it stopped still count
        Event e = parseIfMessage(raw);
        if (e != null) {
          received.add(e.data());
          cursor = e.id();
        }
      }
    }
    // 3. Long polling on node B from the SSE cursor.
    while (received.size() < 50) {
      JsonNode r = poll(b, ch, "?wait=5&since=" + cursor);
      assertThat(r.get("recovered").asBoolean()).as("resume on node B from %s", cursor).isTrue();
      r.get("messages").forEach(received::add);
      cursor = r.get("cursor").asText();
    }
    // 4. WebSocket on node C from the long poll's cursor.
    try (Ws ws = new Ws(wsUrl(c) + "/channels/" + ch + "?since=" + cursor)) {
      JsonNode subscribed = ws.next();
      assertThat(subscribed.path("type").asText()).isEqualTo("subscribed");
      assertThat(subscribed.path("recovered").asBoolean())
          .as("resume on node C from %s", cursor)
          .isTrue();
      assertThat(subscribed.path("position").asText()).isEqualTo(cursor);
      while (received.size() < total) {
        received.add(nextMessage(ws));
      }
    }
    publisher.get(WAIT.toSeconds(), TimeUnit.SECONDS);
    assertThat(publishError.get()).isNull();
    assertThat(offsets(received))
        .as("every offset exactly once, in order")
        .isEqualTo(range(1, total));
    assertThat(received)
        .extracting(e -> e.get("data").get("n").asLong())
        .isEqualTo(range(1, total));
    assertThat(received)
        .extracting(e -> e.get("epoch").asText())
        .containsOnly(received.get(0).get("epoch").asText());
  }

  private static Event parseIfMessage(String raw) {
    String id = null;
    String event = "message";
    StringBuilder data = new StringBuilder();
    for (String line : raw.split("\n")) {
      if (line.startsWith("id:")) {
        id = value(line);
      } else if (line.startsWith("event:")) {
        event = value(line);
      } else if (line.startsWith("data:")) {
        data.append(value(line));
      }
    }
    return data.length() > 0 && !event.startsWith("herald.")
        ? new Event(id, event, TestClients.json(data.toString()))
        : null;
  }

  @Test
  void redisRestartAnswers503MeanwhileKeepsClientsConnectedAndDeliveryResumes() {
    RedisServerProcess server = RedisServerProcess.start();
    ownRedis.add(server);
    List<HeraldServer> n = startNodes(server, 3);
    HeraldServer a = n.get(0);
    HeraldServer b = n.get(1);
    HeraldServer c = n.get(2);
    String ch = TestClients.channel("cluster-outage");
    try (Sse sse = new Sse(a.baseUrl() + "/channels/" + ch);
        Ws ws = new Ws(wsUrl(b) + "/channels/" + ch)) {
      assertThat(nextEvent(sse).event()).isEqualTo("herald.subscribed");
      assertThat(ws.next().path("type").asText()).isEqualTo("subscribed");
      for (int i = 1; i <= 3; i++) {
        publish(c, ch, i);
      }
      String epoch = null;
      for (int i = 1; i <= 3; i++) {
        Event e = nextMessage(sse);
        assertThat(e.data().get("offset").asLong()).isEqualTo(i);
        assertThat(nextMessage(ws).get("offset").asLong()).isEqualTo(i);
        epoch = e.data().get("epoch").asText();
      }

      server.stop();
      for (HeraldServer node : n) {
        await()
            .atMost(WAIT)
            .until(() -> TestClients.get(node.baseUrl() + "/health").statusCode() == 503);
        JsonNode health = TestClients.json(TestClients.get(node.baseUrl() + "/health").body());
        assertThat(health.get("status").asText()).isEqualTo("degraded");
        assertThat(health.get("broker").asText()).isEqualTo("down");
      }
      for (HeraldServer node : n) {
        HttpResponse<String> r =
            TestClients.post(
                node.baseUrl() + "/channels/" + ch,
                "application/json",
                "{\"n\":0}".getBytes(StandardCharsets.UTF_8));
        assertThat(r.statusCode()).as(r.body()).isEqualTo(503);
        assertThat(TestClients.json(r.body()).get("error").get("code").asText())
            .isEqualTo("unavailable");
      }
      assertThat(sse.lines).as("the SSE stream stays open").doesNotContain("<eof>");
      assertThat(ws.closed).as("the WebSocket stays open").isNotDone();

      server.restart(); // same port, empty: every channel gets a new epoch
      for (HeraldServer node : n) {
        await()
            .atMost(WAIT)
            .until(() -> TestClients.get(node.baseUrl() + "/health").statusCode() == 200);
      }
      JsonNode p = publish(c, ch, 4);
      assertThat(p.get("epoch").asText()).isNotEqualTo(epoch);
      Event e = nextMessage(sse);
      assertThat(e.data().get("data").get("n").asLong()).isEqualTo(4);
      assertThat(e.data().get("epoch").asText()).isEqualTo(p.get("epoch").asText());
      assertThat(e.data().get("offset").asLong()).isEqualTo(p.get("offset").asLong());
      JsonNode w = nextMessage(ws);
      assertThat(w).isEqualTo(e.data());
      assertThat(ws.closed).isNotDone();
    }
  }
}
