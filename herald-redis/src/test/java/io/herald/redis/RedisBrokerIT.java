package io.herald.redis;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.herald.core.Broker;
import io.herald.core.BrokerContractTest;
import io.herald.core.BrokerListener;
import io.herald.core.BrokerUnavailableException;
import io.herald.core.History;
import io.herald.core.HistoryConfig;
import io.herald.core.Message;
import io.herald.redis.internal.RedisScripts;
import io.lettuce.core.RedisClient;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.codec.ByteArrayCodec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.slf4j.LoggerFactory;

/**
 * The broker contract for {@link RedisBroker} against a real redis-server on a free port, plus the
 * rules only a shared broker has: data loss changes the epoch, idle channels expire, Redis going
 * away and coming back, and lost live messages found by the head check.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class RedisBrokerIT extends BrokerContractTest {
  private static final Duration HEAD_CHECK = Duration.ofMillis(200);
  @RegisterExtension static final RedisExtension redis = new RedisExtension();

  private final List<Broker> own = new ArrayList<>();
  private final List<RedisServerProcess> ownRedis = new ArrayList<>();

  @AfterEach
  void closeOwn() {
    own.forEach(Broker::close);
    own.clear();
    ownRedis.forEach(RedisServerProcess::close);
    ownRedis.clear();
  }

  @Override
  protected Broker createBroker(HistoryConfig history) {
    RedisBroker b = new RedisBroker(config(redis.process(), history).build());
    // The constructor waits 2 s at most for the first connection; a loaded machine may need longer.
    await().atMost(WAIT).until(b::isAvailable);
    return b;
  }

  @Override
  protected Broker createBroker(HistoryConfig history, Duration idempotencyWindow) {
    RedisBroker b =
        new RedisBroker(
            config(redis.process(), history).idempotencyWindow(idempotencyWindow).build());
    await().atMost(WAIT).until(b::isAvailable);
    return b;
  }

  @Override
  protected boolean instancesShareChannels() {
    return true;
  }

  private static RedisBrokerConfig.Builder config(
      RedisServerProcess server, HistoryConfig history) {
    return RedisBrokerConfig.builder(server.uri())
        .history(history)
        .headCheckInterval(HEAD_CHECK)
        .reconnectDelayMax(Duration.ofMillis(500));
  }

  /** Records deliveries and resyncs per channel. Thread-safe. */
  static final class Recorder implements BrokerListener {
    final Map<String, Queue<Message>> messages = new ConcurrentHashMap<>();
    final Map<String, Queue<String>> resyncs = new ConcurrentHashMap<>();

    @Override
    public void onMessage(Message m) {
      messages.computeIfAbsent(m.channel(), c -> new ConcurrentLinkedQueue<>()).add(m);
    }

    @Override
    public void onResync(String channel) {
      resyncs.computeIfAbsent(channel, c -> new ConcurrentLinkedQueue<>()).add(channel);
    }

    List<Long> offsets(String channel) {
      return messages.getOrDefault(channel, new ConcurrentLinkedQueue<>()).stream()
          .map(Message::offset)
          .collect(Collectors.toList());
    }

    List<Message> delivered(String channel) {
      return List.copyOf(messages.getOrDefault(channel, new ConcurrentLinkedQueue<>()));
    }

    int resyncCount(String channel) {
      return resyncs.getOrDefault(channel, new ConcurrentLinkedQueue<>()).size();
    }
  }

  private RedisBroker startOwn(RedisBrokerConfig config, Recorder recorder) {
    RedisBroker b = startOwnMaybeDown(config, recorder);
    await().atMost(WAIT).until(b::isAvailable);
    return b;
  }

  private RedisBroker startOwnMaybeDown(RedisBrokerConfig config, Recorder recorder) {
    RedisBroker b = new RedisBroker(config);
    own.add(b);
    b.start(recorder);
    return b;
  }

  private static List<Long> range(long from, long to) {
    return LongStream.rangeClosed(from, to).boxed().collect(Collectors.toList());
  }

  private static Throwable failureOf(java.util.concurrent.CompletableFuture<?> f) {
    try {
      f.get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      return e.getCause();
    } catch (Exception e) {
      throw new AssertionError("expected a failure, got " + e, e);
    }
    throw new AssertionError("expected a failure, the future succeeded");
  }

  // ---- keys and scripts ----

  @Test
  void keysCarryTheChannelAsHashTag() throws Exception {
    Node node = start();
    String ch = channel("a");
    join(node.broker().publish(ch, "message", data(1)));
    assertThat(redis.command("TYPE", "herald:{" + ch + "}:stream")).isEqualTo("+stream");
    assertThat(redis.command("TYPE", "herald:{" + ch + "}:meta")).isEqualTo("+hash");
    long ttl = Long.parseLong(redis.command("PTTL", "herald:{" + ch + "}:stream").substring(1));
    assertThat(ttl)
        .as("TTL of an idle channel: history age plus margin")
        .isBetween(
            HistoryConfig.DEFAULT_MAX_AGE.toMillis(),
            HistoryConfig.DEFAULT_MAX_AGE.toMillis() + 60_000);
  }

  @Test
  void publishesAfterRedisForgotTheScripts() throws Exception {
    Node node = start();
    String ch = channel("a");
    join(node.broker().publish(ch, "message", data(1)));
    assertThat(redis.command("SCRIPT", "FLUSH")).isEqualTo("+OK");
    Message m = join(node.broker().publish(ch, "message", data(2)));
    assertThat(m.offset()).isEqualTo(2);
    assertThat(join(node.broker().history(ch, 0)).head()).isEqualTo(2);
  }

  @Test
  void describesTheUriWithoutPassword() {
    RedisBroker b =
        new RedisBroker("redis://:s3cret@127.0.0.1:" + redis.port() + "/0", HistoryConfig.DEFAULT);
    own.add(b);
    assertThat(b.describe()).isEqualTo("redis://127.0.0.1:" + redis.port());
    RedisBroker db3 = new RedisBroker("redis://user:s3cret@127.0.0.1:1/3", HistoryConfig.DEFAULT);
    own.add(db3);
    assertThat(db3.describe()).isEqualTo("redis://127.0.0.1:1/3").doesNotContain("s3cret");
  }

  // ---- nodes ----

  @Test
  void twoNodesReceiveEachOthersPublicationsInOneOrder() {
    Recorder ra = new Recorder();
    Recorder rb = new Recorder();
    RedisBroker a = startOwn(config(redis.process(), HistoryConfig.DEFAULT).build(), ra);
    RedisBroker b = startOwn(config(redis.process(), HistoryConfig.DEFAULT).build(), rb);
    String ch = channel("a");
    History ha = join(a.subscribe(ch));
    History hb = join(b.subscribe(ch));
    assertThat(ha.epoch()).isEqualTo(hb.epoch());
    List<Message> published = new ArrayList<>();
    for (int i = 1; i <= 20; i++) {
      published.add(join((i % 2 == 0 ? a : b).publish(ch, "message", data(i))));
    }
    await().atMost(WAIT).until(() -> ra.offsets(ch).size() == 20 && rb.offsets(ch).size() == 20);
    assertThat(ra.offsets(ch)).isEqualTo(range(1, 20));
    assertThat(rb.offsets(ch)).isEqualTo(range(1, 20));
    for (int i = 0; i < 20; i++) {
      assertThat(ra.delivered(ch).get(i).envelope()).isEqualTo(published.get(i).envelope());
      assertThat(rb.delivered(ch).get(i).envelope()).isEqualTo(published.get(i).envelope());
    }
    assertThat(a.subscribedChannels()).isEqualTo(1);
  }

  // ---- epochs and expiry ----

  @Test
  void lostDataGivesTheChannelANewEpoch() {
    RedisServerProcess server = RedisServerProcess.start();
    ownRedis.add(server);
    Recorder r = new Recorder();
    RedisBroker b = startOwn(config(server, HistoryConfig.DEFAULT).build(), r);
    String ch = channel("a");
    String sub = channel("sub");
    join(b.subscribe(sub));
    List<Message> before = publish(b, ch, 3);
    server.flushAll();

    History h = join(b.history(ch, 0));
    assertThat(h.epoch()).isNotEqualTo(before.get(0).epoch());
    assertThat(h.head()).isZero();
    assertThat(h.messages()).isEmpty();
    Message m = join(b.publish(ch, "message", data(4)));
    assertThat(m.epoch()).isEqualTo(h.epoch());
    assertThat(m.offset()).isEqualTo(1);
    // A node subscribed to a channel whose data vanished is told to read it again.
    await().atMost(WAIT).until(() -> r.resyncCount(sub) > 0);
  }

  @Test
  void afterDataLossASubscribedNodeGetsEveryMessageOfTheNewEpoch() {
    RedisServerProcess server = RedisServerProcess.start();
    ownRedis.add(server);
    Recorder r = new Recorder();
    RedisBroker a = startOwn(config(server, HistoryConfig.DEFAULT).build(), r);
    RedisBroker b = startOwn(config(server, HistoryConfig.DEFAULT).build(), new Recorder());
    String ch = channel("a");
    String oldEpoch = join(a.subscribe(ch)).epoch();
    publish(a, ch, 5);
    await().atMost(WAIT).until(() -> r.offsets(ch).size() == 5);
    server.flushAll();
    List<Message> fresh = publish(b, ch, 2);
    assertThat(fresh.get(0).epoch()).isNotEqualTo(oldEpoch);

    // Node a's offset 5 belongs to the old epoch: it gets the new epoch's messages from the start.
    History h = join(a.history(ch, 5));
    assertThat(h.epoch()).isEqualTo(fresh.get(0).epoch());
    assertThat(h.head()).isEqualTo(2);
    assertThat(h.messages()).extracting(Message::offset).containsExactly(1L, 2L);
    // Once it knows the new epoch, offsets are read in it again.
    assertThat(join(a.history(ch, 1)).messages()).extracting(Message::offset).containsExactly(2L);
    // A node that never subscribed asks plainly.
    assertThat(join(b.history(ch, 5)).messages()).isEmpty();
  }

  @Test
  void anIdleChannelExpiresAndComesBackWithANewEpoch() throws Exception {
    RedisBroker b =
        startOwn(
            config(redis.process(), new HistoryConfig(100, Duration.ofSeconds(1)))
                .keyTtlMargin(Duration.ofSeconds(1))
                .build(),
            new Recorder());
    String ch = channel("a");
    Message m = join(b.publish(ch, "message", data(1)));
    // Watch the key directly: reading through the broker would keep the channel alive.
    await()
        .atMost(WAIT)
        .until(() -> redis.command("EXISTS", "herald:{" + ch + "}:meta").equals(":0"));
    History h = join(b.history(ch, 0));
    assertThat(h.epoch()).isNotEqualTo(m.epoch());
    assertThat(h.head()).isZero();
  }

  @Test
  void aSubscribedChannelKeepsItsEpochAndHeadWhileItsMessagesExpire() throws Exception {
    Recorder r = new Recorder();
    RedisBroker b =
        startOwn(
            config(redis.process(), new HistoryConfig(100, Duration.ofSeconds(1)))
                .keyTtlMargin(Duration.ofSeconds(1))
                .build(),
            r);
    String ch = channel("a");
    join(b.subscribe(ch));
    List<Message> published = publish(b, ch, 3);
    // Past the keys' TTL (2 s); the head check keeps a subscribed channel's keys alive.
    long until = System.currentTimeMillis() + 3_000;
    await().atMost(WAIT).until(() -> System.currentTimeMillis() > until);
    assertThat(redis.command("EXISTS", "herald:{" + ch + "}:meta")).isEqualTo(":1");
    History h = join(b.history(ch, 0));
    assertThat(h.messages()).isEmpty();
    assertThat(h.epoch()).isEqualTo(published.get(0).epoch());
    assertThat(h.head()).isEqualTo(3);
    assertThat(join(b.publish(ch, "message", data(4))).offset()).isEqualTo(4);
  }

  @Test
  void messagesOlderThanTheMaxAgeAreTrimmedFromTheStream() throws Exception {
    Node node = start(new HistoryConfig(1000, Duration.ofSeconds(3)));
    String ch = channel("a");
    List<Message> old = publish(node.broker(), ch, 37);
    long oldTime = old.get(old.size() - 1).time();
    await().atMost(WAIT).until(() -> System.currentTimeMillis() > oldTime + 1_500);
    List<Message> fresh = publish(node.broker(), ch, 23);
    // The old ones expire 3 s after they were published; the fresh ones 1.5 s later.
    await().atMost(WAIT).until(() -> join(node.broker().history(ch, 0)).messages().size() == 23);
    History h = join(node.broker().history(ch, 0));
    assertThat(h.head()).isEqualTo(60);
    assertThat(h.messages()).extracting(Message::offset).isEqualTo(range(38, 60));
    assertThat(h.messages().get(0).envelope()).isEqualTo(fresh.get(0).envelope());
    assertThat(redis.command("XLEN", "herald:{" + ch + "}:stream")).isEqualTo(":23");
  }

  // ---- losses and outages ----

  @Test
  void aLostLiveMessageIsFoundByTheHeadCheck() throws Exception {
    Recorder r = new Recorder();
    RedisBroker b = startOwn(config(redis.process(), HistoryConfig.DEFAULT).build(), r);
    String ch = channel("a");
    join(b.subscribe(ch));
    join(b.publish(ch, "message", data(1)));
    await().atMost(WAIT).until(() -> r.offsets(ch).size() == 1);
    assertThat(r.resyncCount(ch)).isZero();

    // Publish offset 2 as the broker does, but relay it where nobody listens: a lost Pub/Sub
    // message.
    RedisClient client = RedisClient.create(redis.uri());
    try (StatefulRedisConnection<byte[], byte[]> c = client.connect(ByteArrayCodec.INSTANCE)) {
      byte[][] keys = {
        ("herald:{" + ch + "}:meta").getBytes(UTF_8), ("herald:{" + ch + "}:stream").getBytes(UTF_8)
      };
      List<Object> res =
          c.sync()
              .eval(
                  RedisScripts.PUBLISH.text(),
                  ScriptOutputType.MULTI,
                  keys,
                  "unused".getBytes(UTF_8),
                  "message".getBytes(UTF_8),
                  data(2),
                  "1000".getBytes(UTF_8),
                  "3600000".getBytes(UTF_8),
                  "3660000".getBytes(UTF_8),
                  "nobody-listens".getBytes(UTF_8));
      assertThat(res.get(1)).isEqualTo(2L);
    } finally {
      client.shutdown();
    }
    await().atMost(WAIT).until(() -> r.resyncCount(ch) > 0);
    assertThat(r.offsets(ch)).containsExactly(1L);
    assertThat(join(b.history(ch, 1)).messages()).extracting(Message::offset).containsExactly(2L);
    // Told once: the check now counts offset 2 as known and stays quiet.
    int told = r.resyncCount(ch);
    long quietUntil = System.currentTimeMillis() + 5 * HEAD_CHECK.toMillis();
    await().atMost(WAIT).until(() -> System.currentTimeMillis() > quietUntil);
    assertThat(r.resyncCount(ch)).isEqualTo(told);
  }

  @Test
  void aMessageInFlightIsNotTakenForLost() {
    Recorder r = new Recorder();
    RedisBroker b = startOwn(config(redis.process(), HistoryConfig.DEFAULT).build(), r);
    String ch = channel("a");
    join(b.subscribe(ch));
    long until = System.currentTimeMillis() + 10 * HEAD_CHECK.toMillis();
    int n = 0;
    while (System.currentTimeMillis() < until) {
      join(b.publish(ch, "message", data(++n)));
    }
    int total = n;
    await().atMost(WAIT).until(() -> r.offsets(ch).size() == total);
    assertThat(r.resyncCount(ch)).isZero();
  }

  @Test
  void redisDownFailsPublicationsAndRedisBackResubscribesAndResyncs() {
    RedisServerProcess server = RedisServerProcess.start();
    ownRedis.add(server);
    Recorder r = new Recorder();
    // A head check too rare to matter here: the resync must come from the reconnect itself.
    RedisBroker b =
        startOwn(
            config(server, HistoryConfig.DEFAULT).headCheckInterval(Duration.ofMinutes(5)).build(),
            r);
    String ch = channel("a");
    join(b.subscribe(ch));
    join(b.publish(ch, "message", data(1)));
    await().atMost(WAIT).until(() -> r.offsets(ch).size() == 1);
    assertThat(b.isAvailable()).isTrue();

    server.stop();
    await().atMost(WAIT).until(() -> !b.isAvailable());
    assertThat(failureOf(b.publish(ch, "message", data(2))))
        .isInstanceOf(BrokerUnavailableException.class)
        .hasMessageContaining("unavailable");
    assertThat(failureOf(b.history(ch, 0))).isInstanceOf(BrokerUnavailableException.class);
    assertThat(failureOf(b.subscribe(channel("b")))).isInstanceOf(BrokerUnavailableException.class);
    assertThat(r.resyncCount(ch)).isZero();

    ListAppender<ILoggingEvent> log = new ListAppender<>();
    Logger logger = (Logger) LoggerFactory.getLogger(RedisBroker.class);
    log.start();
    logger.addAppender(log);
    try {
      server.restart(); // same port, no data
      await().atMost(WAIT).until(b::isAvailable);
      await().atMost(WAIT).until(() -> r.resyncCount(ch) > 0);
      await()
          .atMost(WAIT)
          .until(
              () ->
                  log.list.stream()
                      .anyMatch(
                          e ->
                              e.getFormattedMessage()
                                  .equals("redis reconnected, resubscribed 1 channels")));
    } finally {
      logger.detachAppender(log);
    }
    Message m = join(b.publish(ch, "message", data(3)));
    assertThat(m.offset()).as("Redis lost its data: a new epoch").isEqualTo(1);
    await().atMost(WAIT).until(() -> r.delivered(ch).size() == 2);
    assertThat(r.delivered(ch).get(1).envelope()).isEqualTo(m.envelope());
    assertThat(b.subscribedChannels()).isEqualTo(1);
  }

  @Test
  void startsWhileRedisIsDownAndConnectsWhenItComesUp() {
    RedisServerProcess server = RedisServerProcess.start();
    ownRedis.add(server);
    server.stop();
    long t0 = System.nanoTime();
    RedisBroker b =
        startOwnMaybeDown(config(server, HistoryConfig.DEFAULT).build(), new Recorder());
    assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(3));
    assertThat(b.isAvailable()).isFalse();
    assertThatThrownBy(() -> b.publish(channel("a"), "message", data(1)).join())
        .hasCauseInstanceOf(BrokerUnavailableException.class);
    server.restart();
    await().atMost(WAIT).until(b::isAvailable);
    assertThat(join(b.publish(channel("a"), "message", data(1))).offset()).isEqualTo(1);
  }
}
