package io.herald.redis;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.herald.core.BrokerListener;
import io.herald.core.BrokerUnavailableException;
import io.herald.core.ErrorCode;
import io.herald.core.History;
import io.herald.core.HistoryConfig;
import io.herald.core.Message;
import io.herald.core.PublishOutcomeUnknownException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Publication outcomes while Redis is frozen (SIGSTOP: its socket open, nothing answered), then
 * thawed (SIGCONT): {@code 503} only for publications never sent, which are never delivered; {@code
 * 504} for those that may run later, which a retry with the same idempotency key settles with
 * exactly one delivery; the broker reported down while frozen.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class RedisFreezeIT {
  private static final Duration WAIT = Duration.ofSeconds(30);
  private static final Duration COMMAND_TIMEOUT = Duration.ofMillis(300);
  private static final Pattern N = Pattern.compile("\\{\"n\":(-?\\d+)\\}");

  private RedisServerProcess redis;
  private RedisBroker broker;
  private ScheduledExecutorService publisher;

  @AfterEach
  void close() {
    if (publisher != null) {
      publisher.shutdownNow();
    }
    if (broker != null) {
      broker.close();
    }
    if (redis != null) {
      redis.close();
    }
  }

  /** What one publication answered. */
  private enum Outcome {
    PUBLISHED,
    UNAVAILABLE,
    UNKNOWN
  }

  private static Outcome outcome(CompletableFuture<Message> f) {
    try {
      f.get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
      return Outcome.PUBLISHED;
    } catch (java.util.concurrent.ExecutionException e) {
      Throwable cause = e.getCause() instanceof CompletionException c ? c.getCause() : e.getCause();
      if (cause instanceof BrokerUnavailableException) {
        return Outcome.UNAVAILABLE;
      }
      if (cause instanceof PublishOutcomeUnknownException u) {
        assertThat(u.code()).isEqualTo(ErrorCode.PUBLISH_OUTCOME_UNKNOWN);
        assertThat(u.getMessage()).contains("retry with the same Idempotency-Key");
        return Outcome.UNKNOWN;
      }
      throw new AssertionError("unexpected failure", cause);
    } catch (Exception e) {
      throw new AssertionError("no answer in " + WAIT, e);
    }
  }

  @Test
  void aFrozenRedisAnswers503OnlyForPublicationsNeverSentAnd504sRetriedWithTheirKeyLandOnce()
      throws Exception {
    redis = RedisServerProcess.start();
    Queue<Message> live = new ConcurrentLinkedQueue<>();
    broker =
        new RedisBroker(
            RedisBrokerConfig.builder(redis.uri())
                .history(HistoryConfig.DEFAULT)
                .commandTimeout(COMMAND_TIMEOUT)
                .reconnectDelayMax(Duration.ofMillis(500))
                .build());
    broker.start(
        new BrokerListener() {
          @Override
          public void onMessage(Message message) {
            live.add(message);
          }

          @Override
          public void onResync(String channel) {}
        });
    await().atMost(WAIT).until(broker::isAvailable);
    String ch = "freeze:" + Long.toString(System.nanoTime(), 36);
    broker.subscribe(ch).get(WAIT.toMillis(), TimeUnit.MILLISECONDS);

    // 200 publications a second, each with its own key, before, during and after a freeze.
    List<CompletableFuture<Message>> sent = new ArrayList<>();
    AtomicInteger next = new AtomicInteger();
    publisher = Executors.newSingleThreadScheduledExecutor();
    ScheduledFuture<?> ticking =
        publisher.scheduleAtFixedRate(
            () -> {
              int n = next.getAndIncrement();
              CompletableFuture<Message> f = broker.publish(ch, "message", data(n), "key-" + n);
              synchronized (sent) {
                sent.add(f);
              }
            },
            0,
            5,
            TimeUnit.MILLISECONDS);
    await().atMost(WAIT).until(() -> next.get() >= 100);
    redis.freeze();
    await().atMost(WAIT).until(() -> !broker.isAvailable());
    int atDetection = next.get();
    await().atMost(WAIT).until(() -> next.get() >= atDetection + 200); // about a second frozen
    redis.thaw();
    await().atMost(WAIT).until(broker::isAvailable);
    int atThaw = next.get();
    await().atMost(WAIT).until(() -> next.get() >= atThaw + 100);
    ticking.cancel(false);
    publisher.submit(() -> {}).get(); // the last tick has run

    List<CompletableFuture<Message>> all;
    synchronized (sent) {
      all = List.copyOf(sent);
    }
    Map<Outcome, List<Integer>> byOutcome = new HashMap<>();
    for (int n = 0; n < all.size(); n++) {
      byOutcome.computeIfAbsent(outcome(all.get(n)), o -> new ArrayList<>()).add(n);
    }
    List<Integer> unavailable = byOutcome.getOrDefault(Outcome.UNAVAILABLE, List.of());
    List<Integer> unknown = byOutcome.getOrDefault(Outcome.UNKNOWN, List.of());
    assertThat(unavailable).as("publications refused while Redis was known frozen").isNotEmpty();
    assertThat(unknown).as("publications in flight when Redis froze").isNotEmpty();

    // Each unknown outcome retried with its key, until it is settled.
    for (int n : unknown) {
      await()
          .atMost(WAIT)
          .until(
              () ->
                  outcome(broker.publish(ch, "message", data(n), "key-" + n)) == Outcome.PUBLISHED);
    }

    // A marker published last: once it is in the history, everything sent before it has run.
    Message marker =
        broker.publish(ch, "message", data(-1)).get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
    History h = broker.history(ch, 0).get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
    assertThat(h.head()).isEqualTo(marker.offset());
    Map<Integer, Integer> times = new HashMap<>();
    for (Message m : h.messages()) {
      Matcher mt = N.matcher(new String(m.data(), UTF_8));
      assertThat(mt.matches()).isTrue();
      times.merge(Integer.parseInt(mt.group(1)), 1, Integer::sum);
    }
    for (int n : unavailable) {
      assertThat(times).as("publication %d answered 503 was published", n).doesNotContainKey(n);
    }
    for (int n : unknown) {
      assertThat(times.get(n)).as("publication %d answered 504, then retried", n).isEqualTo(1);
    }
    for (int n : byOutcome.getOrDefault(Outcome.PUBLISHED, List.of())) {
      assertThat(times.get(n)).as("publication %d answered 201", n).isEqualTo(1);
    }
    assertThat(h.messages()).hasSize(times.size());
    await().atMost(WAIT).until(() -> live.stream().anyMatch(m -> m.offset() == marker.offset()));
    assertThat(live).extracting(Message::offset).doesNotHaveDuplicates();
  }

  @Test
  void aPublicationInFlightWhenTheConnectionDropsIs504AndIsNeverReplayedAfterTheReconnect()
      throws Exception {
    redis = RedisServerProcess.start();
    broker =
        new RedisBroker(
            RedisBrokerConfig.builder(redis.uri())
                .history(HistoryConfig.DEFAULT)
                .commandTimeout(Duration.ofSeconds(20)) // the drop comes first
                .reconnectDelayMax(Duration.ofMillis(500))
                .build());
    broker.start(
        new BrokerListener() {
          @Override
          public void onMessage(Message message) {}

          @Override
          public void onResync(String channel) {}
        });
    await().atMost(WAIT).until(broker::isAvailable);
    String ch = "drop:" + Long.toString(System.nanoTime(), 36);
    broker.publish(ch, "message", data(1), "k1").get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
    redis.freeze();
    byte[] big = ("{\"n\":2,\"pad\":\"" + "x".repeat(20_000) + "\"}").getBytes(UTF_8);
    CompletableFuture<Message> inFlight = broker.publish(ch, "message", big, "k2");
    // written: the frozen server's socket holds the command's bytes, unread
    await().atMost(WAIT).until(() -> unreadBytesAt(redis.port()) >= big.length);
    redis.kill(); // the frozen server never ran it; its socket closes
    redis.restart(); // empty, on the same port: a command replayed after the reconnect would run
    await().atMost(WAIT).until(broker::isAvailable);
    assertThat(outcome(inFlight)).isEqualTo(Outcome.UNKNOWN);
    Message next =
        broker.publish(ch, "message", data(3), "k3").get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
    assertThat(next.offset()).as("a new epoch whose first publication is this one").isEqualTo(1);
    History h = broker.history(ch, 0).get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
    assertThat(h.messages())
        .extracting(m -> new String(m.data(), UTF_8))
        .containsExactly("{\"n\":3}");
  }

  @Test
  void aPublicationWrittenBeforeTheConnectionIsCutIs504AndLettuceNeverSendsItAgain()
      throws Exception {
    redis = RedisServerProcess.start();
    try (LoopbackRelay proxy = LoopbackRelay.to(redis.port()).start()) {
      broker =
          new RedisBroker(
              RedisBrokerConfig.builder("redis://127.0.0.1:" + proxy.port())
                  .history(HistoryConfig.DEFAULT)
                  .commandTimeout(Duration.ofSeconds(20)) // the cut comes first
                  .reconnectDelayMax(Duration.ofMillis(500))
                  .build());
      broker.start(
          new BrokerListener() {
            @Override
            public void onMessage(Message message) {}

            @Override
            public void onResync(String channel) {}
          });
      await().atMost(WAIT).until(broker::isAvailable);
      String ch = "cut:" + Long.toString(System.nanoTime(), 36);
      broker.publish(ch, "message", data(1)).get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
      redis.freeze();
      byte[] big = ("{\"n\":2,\"pad\":\"" + "x".repeat(20_000) + "\"}").getBytes(UTF_8);
      // no idempotency key: a second sending would publish it twice
      CompletableFuture<Message> inFlight = broker.publish(ch, "message", big);
      await().atMost(WAIT).until(() -> unreadBytesAt(redis.port()) >= big.length);
      proxy.cutAll(); // FIN to Lettuce; the frozen Redis still holds the command and will run it
      redis.thaw();
      await().atMost(WAIT).until(broker::isAvailable); // reconnected through the proxy
      assertThat(outcome(inFlight)).isEqualTo(Outcome.UNKNOWN);
      Message last =
          broker.publish(ch, "message", data(3)).get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
      History h = broker.history(ch, 0).get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
      assertThat(h.head()).isEqualTo(last.offset());
      assertThat(h.messages())
          .extracting(m -> new String(m.data(), UTF_8).substring(0, 6))
          .as("Redis ran the cut connection's command once; Lettuce did not send it again")
          .containsExactly("{\"n\":1", "{\"n\":2", "{\"n\":3");
    }
  }

  /**
   * The most bytes received and not yet read by any established TCP socket whose local port is
   * {@code port} (Linux {@code /proc/net/tcp} and {@code tcp6}: the {@code rx_queue} column).
   */
  private static long unreadBytesAt(int port) throws java.io.IOException {
    long most = 0;
    for (String file : new String[] {"/proc/net/tcp", "/proc/net/tcp6"}) {
      java.nio.file.Path path = java.nio.file.Path.of(file);
      if (!java.nio.file.Files.exists(path)) {
        continue;
      }
      for (String line : java.nio.file.Files.readAllLines(path)) {
        String[] f = line.trim().split("\\s+");
        if (f.length < 5 || !f[3].equals("01")) { // 01: ESTABLISHED
          continue;
        }
        String local = f[1];
        int localPort = Integer.parseInt(local.substring(local.indexOf(':') + 1), 16);
        if (localPort == port) {
          String queues = f[4];
          most = Math.max(most, Long.parseLong(queues.substring(queues.indexOf(':') + 1), 16));
        }
      }
    }
    return most;
  }

  private static byte[] data(int n) {
    return ("{\"n\":" + n + "}").getBytes(UTF_8);
  }
}
