package io.herald.core;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.LongStream;
import org.awaitility.core.ConditionFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Timeout;

/**
 * The rules every {@link Broker} keeps (see its javadoc), as one suite that each implementation
 * runs by extending this class and implementing {@link #createBroker}. Shipped to other modules
 * through herald-core's test-jar.
 *
 * <p>The suite makes no timing assumptions: a broker may deliver on its own threads, asynchronously
 * and through another process, so every wait for the listener is bounded with Awaitility and every
 * future is awaited with a timeout. Each test uses channels of its own, with a random suffix, so a
 * broker whose data outlives the test (Redis) starts every test on fresh channels.
 *
 * <p>A broker whose instances share channels (several nodes over one Redis) overrides {@link
 * #instancesShareChannels()} to also run the rules between two nodes.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
public abstract class BrokerContractTest {
  /** Bound on every wait for a broker's answer or delivery. */
  protected static final Duration WAIT = Duration.ofSeconds(15);

  /** A bounded wait that polls every 5 ms, so tests do not idle between checks. */
  protected static ConditionFactory eventually() {
    return await().atMost(WAIT).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(5));
  }

  private final List<Broker> brokers = new ArrayList<>();
  private String testName = "t";

  /**
   * A new, not yet started broker keeping {@code history} per channel. Called once per test, or
   * twice for the rules between nodes. The suite starts it and closes it after the test.
   */
  protected abstract Broker createBroker(HistoryConfig history);

  /**
   * A new, not yet started broker with the default history that remembers idempotency keys for
   * {@code idempotencyWindow}. Each implementation overrides it; the suite starts and closes it.
   */
  protected Broker createBroker(HistoryConfig history, Duration idempotencyWindow) {
    Assumptions.abort("this broker cannot be made with another idempotency window");
    return null;
  }

  /**
   * Whether two brokers made by {@link #createBroker} are two nodes over the same channels (true
   * for Redis, false for the in-memory broker). When true the rules between nodes run too.
   */
  protected boolean instancesShareChannels() {
    return false;
  }

  /** Records what a broker delivers, per channel, in delivery order. Thread-safe. */
  protected static final class RecordingListener implements BrokerListener {
    private final Map<String, Queue<Message>> messages = new ConcurrentHashMap<>();
    private final Map<String, Queue<String>> resyncs = new ConcurrentHashMap<>();

    @Override
    public void onMessage(Message message) {
      messages.computeIfAbsent(message.channel(), c -> new ConcurrentLinkedQueue<>()).add(message);
    }

    @Override
    public void onResync(String channel) {
      resyncs.computeIfAbsent(channel, c -> new ConcurrentLinkedQueue<>()).add(channel);
    }

    /** The messages delivered for {@code channel}, in delivery order. */
    public List<Message> messages(String channel) {
      Queue<Message> q = messages.get(channel);
      return q == null ? List.of() : List.copyOf(q);
    }

    /** The distinct offsets delivered for {@code channel}, in delivery order. */
    public List<Long> distinctOffsets(String channel) {
      return messages(channel).stream()
          .map(Message::offset)
          .distinct()
          .collect(Collectors.toList());
    }
  }

  /** A started broker with its listener. */
  protected record Node(Broker broker, RecordingListener listener) {}

  @org.junit.jupiter.api.BeforeEach
  void rememberName(TestInfo info) {
    testName = info.getTestMethod().map(m -> m.getName()).orElse("t");
  }

  @AfterEach
  void closeBrokers() {
    for (Broker b : brokers) {
      b.close();
    }
    brokers.clear();
  }

  /** Creates and starts a broker with a recording listener; it is closed after the test. */
  protected Node start(HistoryConfig history) {
    Broker broker = createBroker(history);
    brokers.add(broker);
    RecordingListener listener = new RecordingListener();
    broker.start(listener);
    return new Node(broker, listener);
  }

  /** Creates and starts a broker remembering idempotency keys for {@code window}. */
  protected Node startWithIdempotencyWindow(Duration window) {
    Broker broker = createBroker(HistoryConfig.DEFAULT, window);
    brokers.add(broker);
    RecordingListener listener = new RecordingListener();
    broker.start(listener);
    return new Node(broker, listener);
  }

  /** Creates and starts a broker with the default history. */
  protected Node start() {
    return start(HistoryConfig.DEFAULT);
  }

  /** A channel name no other test (or earlier run) uses. */
  protected String channel(String tag) {
    String suffix = Long.toString(ThreadLocalRandom.current().nextLong() & Long.MAX_VALUE, 36);
    return Names.channel("contract:" + testName + "." + tag + "." + suffix);
  }

  /** The data of the {@code n}th test message: {@code {"n":n}}. */
  protected static byte[] data(long n) {
    return ("{\"n\":" + n + "}").getBytes(UTF_8);
  }

  /** Waits, bounded by {@link #WAIT}, for a broker's future. */
  protected static <T> T join(CompletableFuture<T> future) {
    try {
      return future.get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (Exception e) {
      throw new AssertionError("the broker did not answer in " + WAIT + ": " + e, e);
    }
  }

  /** Publishes {@code count} messages one after the other and returns them as published. */
  protected static List<Message> publish(Broker broker, String channel, int count) {
    List<Message> out = new ArrayList<>(count);
    for (int i = 1; i <= count; i++) {
      out.add(join(broker.publish(channel, "message", data(i))));
    }
    return out;
  }

  private static List<Long> offsets(List<Message> messages) {
    return messages.stream().map(Message::offset).collect(Collectors.toList());
  }

  private static List<Long> range(long fromInclusive, long toInclusive) {
    return LongStream.rangeClosed(fromInclusive, toInclusive).boxed().collect(Collectors.toList());
  }

  /** Delivered messages must arrive ascending; repeats are allowed, going back is not. */
  private static void assertAscending(List<Message> delivered) {
    for (int i = 1; i < delivered.size(); i++) {
      assertThat(delivered.get(i).offset())
          .as("delivery order of %s", offsets(delivered))
          .isGreaterThanOrEqualTo(delivered.get(i - 1).offset());
    }
  }

  private static void assertSameEnvelopes(List<Message> actual, List<Message> expected) {
    assertThat(actual).hasSameSizeAs(expected);
    for (int i = 0; i < actual.size(); i++) {
      assertThat(new String(actual.get(i).envelope(), UTF_8))
          .isEqualTo(new String(expected.get(i).envelope(), UTF_8));
    }
  }

  // ---- offsets and epochs ----

  @Test
  void offsetsAreConsecutiveFromOneInOneEpoch() {
    Node node = start();
    String ch = channel("a");
    List<Message> published = publish(node.broker(), ch, 20);
    assertThat(offsets(published)).isEqualTo(range(1, 20));
    assertThat(published).extracting(Message::epoch).containsOnly(published.get(0).epoch());
  }

  @Test
  void epochsAreOneToSixteenLowercaseLettersOrDigits() {
    Node node = start();
    Message m = join(node.broker().publish(channel("a"), "message", data(1)));
    assertThat(Position.isEpoch(m.epoch())).as("epoch '%s'", m.epoch()).isTrue();
    History h = join(node.broker().history(channel("b"), 0));
    assertThat(Position.isEpoch(h.epoch())).as("epoch '%s'", h.epoch()).isTrue();
  }

  @Test
  void publishAnswersTheMessageAsGiven() {
    Node node = start();
    String ch = channel("a");
    byte[] data = "{\"sym\":\"BTC\",\"px\":42000,\"s\":\"é \\\" \\n ✓\"}".getBytes(UTF_8);
    long before = System.currentTimeMillis();
    Message m = join(node.broker().publish(ch, "price-tick", data));
    assertThat(m.channel()).isEqualTo(ch);
    assertThat(m.event()).isEqualTo("price-tick");
    assertThat(new String(m.data(), UTF_8)).isEqualTo(new String(data, UTF_8));
    assertThat(m.offset()).isEqualTo(1);
    // The broker's clock may be another machine's: allow a generous skew, never zero.
    assertThat(m.time()).isBetween(before - 60_000, System.currentTimeMillis() + 60_000);
  }

  @Test
  void publishCreatesAChannelThatWasNeverUsed() {
    Node node = start();
    String ch = channel("a");
    Message m = join(node.broker().publish(ch, "message", data(1)));
    History h = join(node.broker().history(ch, 0));
    assertThat(h.epoch()).isEqualTo(m.epoch());
    assertThat(h.head()).isEqualTo(1);
  }

  @Test
  void subscribeCreatesANewChannelWithHeadZero() {
    Node node = start();
    String ch = channel("a");
    History h = join(node.broker().subscribe(ch));
    assertThat(h.head()).isZero();
    assertThat(h.messages()).isEmpty();
    assertThat(Position.isEpoch(h.epoch())).isTrue();
    // The channel exists now: its epoch holds, and the first publication gets offset 1 in it.
    assertThat(join(node.broker().history(ch, 0)).epoch()).isEqualTo(h.epoch());
    Message m = join(node.broker().publish(ch, "message", data(1)));
    assertThat(m.epoch()).isEqualTo(h.epoch());
    assertThat(m.offset()).isEqualTo(1);
  }

  @Test
  void historyCreatesANewChannelWithHeadZero() {
    Node node = start();
    String ch = channel("a");
    History h = join(node.broker().history(ch, 0));
    assertThat(h.head()).isZero();
    assertThat(h.messages()).isEmpty();
    assertThat(Position.isEpoch(h.epoch())).isTrue();
    // An empty channel nobody subscribes to may be dropped at any time (PROTOCOL.md section 1), so
    // the epoch may change before the next call; the offsets still start at 1.
    Message m = join(node.broker().publish(ch, "message", data(1)));
    assertThat(m.offset()).isEqualTo(1);
  }

  @Test
  void concurrentPublishersOnOneChannelGetDistinctConsecutiveOffsets() throws Exception {
    Node node = start();
    String ch = channel("a");
    int threads = 4;
    int each = 100;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      CountDownLatch go = new CountDownLatch(1);
      List<Future<List<Message>>> results = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        results.add(
            pool.submit(
                () -> {
                  go.await();
                  List<CompletableFuture<Message>> futures = new ArrayList<>();
                  for (int i = 0; i < each; i++) {
                    futures.add(node.broker().publish(ch, "message", data(i)));
                  }
                  List<Message> out = new ArrayList<>();
                  for (CompletableFuture<Message> f : futures) {
                    out.add(join(f));
                  }
                  return out;
                }));
      }
      go.countDown();
      List<Message> all = new ArrayList<>();
      for (Future<List<Message>> r : results) {
        all.addAll(r.get(WAIT.toMillis(), TimeUnit.MILLISECONDS));
      }
      assertThat(all)
          .extracting(Message::offset)
          .doesNotHaveDuplicates()
          .containsExactlyInAnyOrderElementsOf(range(1, threads * each));
      assertThat(all).extracting(Message::epoch).containsOnly(all.get(0).epoch());
      History h = join(node.broker().history(ch, 0));
      assertThat(h.head()).isEqualTo(threads * each);
      assertThat(offsets(h.messages())).isEqualTo(range(1, threads * each));
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void channelsAreIndependent() {
    Node node = start();
    String a = channel("a");
    String b = channel("b");
    List<Message> onA = new ArrayList<>();
    List<Message> onB = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      onA.add(join(node.broker().publish(a, "message", data(i))));
      onB.add(join(node.broker().publish(b, "message", data(i))));
      onB.add(join(node.broker().publish(b, "message", data(i))));
    }
    assertThat(offsets(onA)).isEqualTo(range(1, 5));
    assertThat(offsets(onB)).isEqualTo(range(1, 10));
    assertThat(join(node.broker().history(a, 0)).head()).isEqualTo(5);
    assertThat(join(node.broker().history(b, 0)).head()).isEqualTo(10);
    assertThat(join(node.broker().history(a, 0)).messages())
        .extracting(Message::channel)
        .containsOnly(a);
  }

  // ---- live delivery ----

  @Test
  void publicationsToASubscribedChannelAreRelayedInOffsetOrder() {
    Node node = start();
    String ch = channel("a");
    join(node.broker().subscribe(ch));
    List<Message> published = publish(node.broker(), ch, 50);
    eventually().until(() -> node.listener().distinctOffsets(ch).size() == 50);
    List<Message> delivered = node.listener().messages(ch);
    assertAscending(delivered);
    assertThat(node.listener().distinctOffsets(ch)).isEqualTo(range(1, 50));
  }

  @Test
  void publicationsSentWithoutWaitingAreRelayedInOffsetOrder() {
    Node node = start();
    String ch = channel("a");
    join(node.broker().subscribe(ch));
    List<CompletableFuture<Message>> futures = new ArrayList<>();
    for (int i = 1; i <= 100; i++) {
      futures.add(node.broker().publish(ch, "message", data(i)));
    }
    futures.forEach(BrokerContractTest::join);
    eventually().until(() -> node.listener().distinctOffsets(ch).size() == 100);
    assertAscending(node.listener().messages(ch));
    assertThat(node.listener().distinctOffsets(ch)).isEqualTo(range(1, 100));
  }

  @Test
  void relayedMessagesHaveTheEnvelopeBytesOfThePublishedOnes() {
    Node node = start();
    String ch = channel("a");
    join(node.broker().subscribe(ch));
    List<Message> published = new ArrayList<>();
    published.add(join(node.broker().publish(ch, "message", data(1))));
    published.add(
        join(
            node.broker()
                .publish(ch, "chat.line", Json.stringValue("a \"quoted\" line\n\u00e9\u2713"))));
    published.add(
        join(node.broker().publish(ch, "message", "[1,2.5,null,true,{\"k\":[]}]".getBytes(UTF_8))));
    // White space and number spellings are the publisher's: a broker must not re-encode the data.
    published.add(
        join(
            node.broker()
                .publish(
                    ch,
                    "message",
                    "{ \"px\" : 1.50, \"big\": 1e400, \"u\":\"\\u00e9\" }".getBytes(UTF_8))));
    eventually().until(() -> node.listener().distinctOffsets(ch).size() == 4);
    List<Message> delivered = new ArrayList<>();
    for (Message m : node.listener().messages(ch)) {
      if (delivered.isEmpty() || delivered.get(delivered.size() - 1).offset() != m.offset()) {
        delivered.add(m);
      }
    }
    assertSameEnvelopes(delivered, published);
    assertSameEnvelopes(join(node.broker().history(ch, 0)).messages(), published);
    for (int i = 0; i < published.size(); i++) {
      assertThat(delivered.get(i).pushFrame()).isEqualTo(published.get(i).pushFrame());
      assertThat(delivered.get(i).time()).isEqualTo(published.get(i).time());
    }
  }

  @Test
  void unsubscribedChannelsAreNotRelayed() {
    Node node = start();
    String ch = channel("a");
    String fence = channel("fence");
    join(node.broker().subscribe(ch));
    join(node.broker().subscribe(fence));
    join(node.broker().publish(ch, "message", data(1)));
    eventually().until(() -> node.listener().distinctOffsets(ch).size() == 1);

    join(node.broker().unsubscribe(ch));
    join(node.broker().unsubscribe(ch)); // idempotent
    join(node.broker().publish(ch, "message", data(2)));
    // A publication on a still-subscribed channel after it: once that arrived, the one before it
    // would have arrived too, had it been relayed.
    join(node.broker().publish(fence, "message", data(1)));
    eventually().until(() -> node.listener().distinctOffsets(fence).size() == 1);
    assertThat(node.listener().distinctOffsets(ch)).containsExactly(1L);
    // Still published and retained.
    assertThat(join(node.broker().history(ch, 0)).head()).isEqualTo(2);
  }

  @Test
  void channelsNeverSubscribedAreNotRelayed() {
    Node node = start();
    String ch = channel("a");
    String fence = channel("fence");
    join(node.broker().subscribe(fence));
    join(node.broker().publish(ch, "message", data(1)));
    join(node.broker().publish(fence, "message", data(1)));
    eventually().until(() -> node.listener().distinctOffsets(fence).size() == 1);
    assertThat(node.listener().messages(ch)).isEmpty();
  }

  @Test
  void resubscribingResumesLiveDelivery() {
    Node node = start();
    String ch = channel("a");
    join(node.broker().subscribe(ch));
    join(node.broker().unsubscribe(ch));
    History h = join(node.broker().subscribe(ch));
    assertThat(h.head()).isZero();
    join(node.broker().publish(ch, "message", data(1)));
    eventually().until(() -> node.listener().distinctOffsets(ch).size() == 1);
  }

  // ---- history ----

  @Test
  void subscribeAnswersTheRetainedHistory() {
    Node node = start();
    String ch = channel("a");
    List<Message> published = publish(node.broker(), ch, 7);
    History h = join(node.broker().subscribe(ch));
    assertThat(h.epoch()).isEqualTo(published.get(0).epoch());
    assertThat(h.head()).isEqualTo(7);
    assertSameEnvelopes(h.messages(), published);
  }

  @Test
  void historyAnswersExactlyTheRetainedMessagesAfterTheOffsetAndTheHead() {
    Node node = start();
    String ch = channel("a");
    List<Message> published = publish(node.broker(), ch, 10);
    String epoch = published.get(0).epoch();

    History all = join(node.broker().history(ch, 0));
    assertThat(all.epoch()).isEqualTo(epoch);
    assertThat(all.head()).isEqualTo(10);
    assertSameEnvelopes(all.messages(), published);

    History after4 = join(node.broker().history(ch, 4));
    assertThat(after4.head()).isEqualTo(10);
    assertThat(offsets(after4.messages())).isEqualTo(range(5, 10));
    assertSameEnvelopes(after4.messages(), published.subList(4, 10));

    History atHead = join(node.broker().history(ch, 10));
    assertThat(atHead.head()).isEqualTo(10);
    assertThat(atHead.messages()).isEmpty();

    History ahead = join(node.broker().history(ch, 25));
    assertThat(ahead.epoch()).isEqualTo(epoch);
    assertThat(ahead.head()).isEqualTo(10);
    assertThat(ahead.messages()).isEmpty();
  }

  @Test
  void historyKeepsAtMostMaxMessagesDroppingTheOldest() {
    Node node = start(new HistoryConfig(5, HistoryConfig.DEFAULT_MAX_AGE));
    String ch = channel("a");
    List<Message> published = publish(node.broker(), ch, 12);

    History h = join(node.broker().history(ch, 0));
    assertThat(h.head()).isEqualTo(12);
    assertThat(offsets(h.messages())).isEqualTo(range(8, 12));
    assertSameEnvelopes(h.messages(), published.subList(7, 12));

    History after3 = join(node.broker().history(ch, 3));
    assertThat(offsets(after3.messages()))
        .as("the first retained comes later than asked")
        .isEqualTo(range(8, 12));
    History after9 = join(node.broker().history(ch, 9));
    assertThat(offsets(after9.messages())).isEqualTo(range(10, 12));
    // Dropping history is not losing it: the epoch stays.
    assertThat(h.epoch()).isEqualTo(published.get(0).epoch());
  }

  @Test
  void historyIsConsistentWithLiveDelivery() {
    Node node = start(new HistoryConfig(100, HistoryConfig.DEFAULT_MAX_AGE));
    String ch = channel("a");
    join(node.broker().subscribe(ch));
    publish(node.broker(), ch, 30);
    eventually().until(() -> node.listener().distinctOffsets(ch).size() == 30);
    History h = join(node.broker().history(ch, 0));
    List<Message> delivered = new ArrayList<>();
    for (Message m : node.listener().messages(ch)) {
      if (delivered.isEmpty() || delivered.get(delivered.size() - 1).offset() != m.offset()) {
        delivered.add(m);
      }
    }
    assertSameEnvelopes(h.messages(), delivered);
  }

  // ---- between nodes (brokers whose instances share channels) ----

  @Test
  void aPublicationOnOneNodeReachesTheOtherNodesListener() {
    Assumptions.assumeTrue(
        instancesShareChannels(), "instances of this broker do not share channels");
    Node a = start();
    Node b = start();
    String ch = channel("a");
    History onB = join(b.broker().subscribe(ch));
    List<Message> published = publish(a.broker(), ch, 10);
    assertThat(published.get(0).epoch()).isEqualTo(onB.epoch());
    eventually().until(() -> b.listener().distinctOffsets(ch).size() == 10);
    assertAscending(b.listener().messages(ch));
    assertThat(b.listener().distinctOffsets(ch)).isEqualTo(range(1, 10));
    assertThat(a.listener().messages(ch)).as("node a did not subscribe").isEmpty();
  }

  @Test
  void nodesSeeTheSameOffsetsEpochsAndHistory() {
    Assumptions.assumeTrue(
        instancesShareChannels(), "instances of this broker do not share channels");
    Node a = start();
    Node b = start();
    String ch = channel("a");
    List<Message> published = new ArrayList<>();
    for (int i = 1; i <= 10; i++) {
      published.add(join((i % 2 == 0 ? a : b).broker().publish(ch, "message", data(i))));
    }
    assertThat(offsets(published)).isEqualTo(range(1, 10));
    assertThat(published).extracting(Message::epoch).containsOnly(published.get(0).epoch());
    History fromA = join(a.broker().history(ch, 0));
    History fromB = join(b.broker().history(ch, 0));
    assertThat(fromA.epoch()).isEqualTo(fromB.epoch()).isEqualTo(published.get(0).epoch());
    assertSameEnvelopes(fromA.messages(), published);
    assertSameEnvelopes(fromB.messages(), published);
  }

  @Test
  void concurrentPublishersOnTwoNodesGetDistinctConsecutiveOffsets() {
    Assumptions.assumeTrue(
        instancesShareChannels(), "instances of this broker do not share channels");
    Node a = start();
    Node b = start();
    String ch = channel("a");
    List<CompletableFuture<Message>> futures = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      futures.add(a.broker().publish(ch, "message", data(i)));
      futures.add(b.broker().publish(ch, "message", data(i)));
    }
    List<Long> got =
        futures.stream()
            .map(BrokerContractTest::join)
            .map(Message::offset)
            .collect(Collectors.toList());
    Set<Long> distinct = Collections.unmodifiableSet(new java.util.HashSet<>(got));
    assertThat(distinct).hasSize(200).containsExactlyInAnyOrderElementsOf(range(1, 200));
  }

  // ---- idempotency keys ----

  @Test
  void aRepeatedIdempotencyKeyPublishesOnceAndAnswersTheFirstOffsetAndEpoch() {
    Node node = start();
    String ch = channel("a");
    join(node.broker().subscribe(ch));
    Message first = join(node.broker().publish(ch, "message", data(1), "key-1"));
    Message again = join(node.broker().publish(ch, "message", data(1), "key-1"));
    Message other = join(node.broker().publish(ch, "message", data(2), "key-2"));
    Message third = join(node.broker().publish(ch, "message", data(1), "key-1"));
    assertThat(again.offset()).isEqualTo(first.offset()).isEqualTo(1);
    assertThat(again.epoch()).isEqualTo(first.epoch());
    assertThat(third.offset()).isEqualTo(1);
    assertThat(other.offset()).isEqualTo(2);
    History h = join(node.broker().history(ch, 0));
    assertThat(h.head()).isEqualTo(2);
    assertThat(offsets(h.messages())).isEqualTo(range(1, 2));
    eventually().until(() -> node.listener().messages(ch).size() >= 2);
    assertThat(offsets(node.listener().messages(ch))).isEqualTo(range(1, 2));
  }

  @Test
  void publicationsWithoutAKeyAreNeverDeduplicated() {
    Node node = start();
    String ch = channel("a");
    join(node.broker().publish(ch, "message", data(1), null));
    join(node.broker().publish(ch, "message", data(1), null));
    assertThat(join(node.broker().history(ch, 0)).head()).isEqualTo(2);
  }

  @Test
  void theSameKeyOnDifferentChannelsIsIndependent() {
    Node node = start();
    String a = channel("a");
    String b = channel("b");
    join(node.broker().publish(a, "message", data(1), "shared"));
    join(node.broker().publish(a, "message", data(2), "other"));
    Message onB = join(node.broker().publish(b, "message", data(1), "shared"));
    assertThat(onB.channel()).isEqualTo(b);
    assertThat(onB.offset()).isEqualTo(1);
    assertThat(join(node.broker().history(b, 0)).head()).isEqualTo(1);
    assertThat(join(node.broker().history(a, 0)).head()).isEqualTo(2);
  }

  @Test
  void concurrentPublicationsWithOneKeyPublishOnce() {
    Node node = start();
    String ch = channel("a");
    List<CompletableFuture<Message>> futures = new ArrayList<>();
    for (int i = 0; i < 50; i++) {
      futures.add(node.broker().publish(ch, "message", data(i), "same"));
    }
    List<Message> answers = futures.stream().map(BrokerContractTest::join).toList();
    assertThat(answers).extracting(Message::offset).containsOnly(1L);
    assertThat(answers).extracting(Message::epoch).containsOnly(answers.get(0).epoch());
    assertThat(join(node.broker().history(ch, 0)).head()).isEqualTo(1);
  }

  @Test
  void aKeyIsForgottenAfterTheIdempotencyWindow() {
    Node node = startWithIdempotencyWindow(Duration.ofMillis(300));
    String ch = channel("a");
    assertThat(join(node.broker().publish(ch, "message", data(1), "k")).offset()).isEqualTo(1);
    // within the window the key answers offset 1; once it has passed, the same key publishes anew
    eventually()
        .pollInterval(Duration.ofMillis(50))
        .until(() -> join(node.broker().publish(ch, "message", data(1), "k")).offset() == 2);
    assertThat(join(node.broker().history(ch, 0)).head()).isEqualTo(2);
  }

  @Test
  void aKeyPublishedOnOneNodeIsSeenOnTheOther() {
    Assumptions.assumeTrue(instancesShareChannels(), "brokers do not share channels");
    Node a = start();
    Node b = start();
    String ch = channel("a");
    Message first = join(a.broker().publish(ch, "message", data(1), "cross-node"));
    Message again = join(b.broker().publish(ch, "message", data(1), "cross-node"));
    assertThat(again.offset()).isEqualTo(first.offset());
    assertThat(again.epoch()).isEqualTo(first.epoch());
    assertThat(join(b.broker().history(ch, 0)).head()).isEqualTo(1);
  }

  // ---- lifecycle ----

  @Test
  void aStartedBrokerIsAvailableAndDescribesItself() {
    Node node = start();
    eventually().until(() -> node.broker().isAvailable());
    assertThat(node.broker().describe()).isNotBlank();
  }

  @Test
  void closeIsIdempotent() {
    Node node = start();
    join(node.broker().publish(channel("a"), "message", data(1)));
    node.broker().close();
    node.broker().close(); // and once more after the test
  }

  // ---- binary messages (PROTOCOL.md section 11) ----

  /** Every byte value 0 to 255, then a 60 KiB random payload: what a binary message must keep. */
  protected static List<byte[]> binaryPayloads() {
    byte[] every = new byte[256];
    for (int i = 0; i < 256; i++) {
      every[i] = (byte) i;
    }
    byte[] random = new byte[60 * 1024];
    new java.util.Random(11).nextBytes(random);
    return List.of(every, random, new byte[0]);
  }

  @Test
  void binaryMessagesKeepTheirBytesAndContentTypeInHistoryAndLiveDelivery() {
    Node a = start();
    Node b = instancesShareChannels() ? start() : a;
    String ch = channel("bin");
    join(b.broker().subscribe(ch));
    List<byte[]> payloads = binaryPayloads();
    List<Message> published = new ArrayList<>();
    for (byte[] p : payloads) {
      Message m = join(a.broker().publish(ch, "frame", p, "application/octet-stream", null));
      assertThat(m.isBinary()).isTrue();
      assertThat(m.data()).isEqualTo(p);
      published.add(m);
    }
    published.add(join(a.broker().publish(ch, "message", data(4))));
    assertThat(offsets(published)).isEqualTo(range(1, 4));
    eventually().until(() -> b.listener().distinctOffsets(ch).size() == 4);
    for (List<Message> got :
        List.of(b.listener().messages(ch), join(b.broker().history(ch, 0)).messages())) {
      for (int i = 0; i < payloads.size(); i++) {
        Message m = got.get(i);
        assertThat(m.isBinary()).isTrue();
        assertThat(m.contentType()).isEqualTo("application/octet-stream");
        assertThat(m.event()).isEqualTo("frame");
        assertThat(m.data()).isEqualTo(payloads.get(i));
      }
      assertThat(got.get(3).isBinary()).isFalse();
      assertThat(got.get(3).data()).isEqualTo(data(4));
      assertSameEnvelopes(got, published);
    }
  }

  @Test
  void aRepeatedIdempotencyKeyPublishesABinaryMessageOnce() {
    Node node = start();
    String ch = channel("bin");
    byte[] bytes = {0, 1, (byte) 0xff, '\n', '"'};
    Message first = join(node.broker().publish(ch, "message", bytes, "image/png", "k"));
    Message again = join(node.broker().publish(ch, "message", bytes, "image/png", "k"));
    assertThat(again.offset()).isEqualTo(first.offset()).isEqualTo(1);
    History h = join(node.broker().history(ch, 0));
    assertThat(h.head()).isEqualTo(1);
    assertThat(h.messages().get(0).data()).isEqualTo(bytes);
    assertThat(h.messages().get(0).contentType()).isEqualTo("image/png");
  }

  // ---- nodes ----

  @Test
  void anAnnouncedNodeIsListedWithItsCurrentDetails() {
    Node node = start();
    String id = channel("node") + ":8080";
    java.util.concurrent.atomic.AtomicInteger n = new java.util.concurrent.atomic.AtomicInteger();
    node.broker().announce(id, () -> "{\"n\":" + n.incrementAndGet() + "}");
    eventually()
        .untilAsserted(
            () ->
                assertThat(join(node.broker().nodes()))
                    .filteredOn(b -> b.id().equals(id))
                    .singleElement()
                    .satisfies(
                        b -> {
                          assertThat(b.details()).matches("\\{\"n\":[0-9]+\\}");
                          assertThat(b.seenMillis())
                              .isBetween(
                                  System.currentTimeMillis() - 60_000,
                                  System.currentTimeMillis() + 60_000);
                        }));
    assertThatThrownBy(() -> node.broker().announce("has space", () -> "{}"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("printable ASCII");
  }
}
