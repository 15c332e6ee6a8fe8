package io.herald.core;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.LongStream;
import org.awaitility.core.ConditionFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Timeout;

/**
 * The hub: subscriptions as cursors over local channel logs kept current from the broker,
 * resumption and recovery (PROTOCOL.md section 4), gaps, signalling on the subscriber's executor,
 * idle deactivation, and filling live holes from the broker's history.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class HubTest {
  private static final Duration WAIT = Duration.ofSeconds(10);

  /** A bounded wait that polls every 5 ms, so tests do not idle between checks. */
  protected static ConditionFactory eventually() {
    return await().atMost(WAIT).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(5));
  }

  private static final Duration SWEEP = Duration.ofMillis(20);

  private final List<AutoCloseable> closeables = new ArrayList<>();
  private final List<ExecutorService> executors = new ArrayList<>();
  private String channel;

  @BeforeEach
  void name(TestInfo info) {
    channel = "hub:" + info.getTestMethod().orElseThrow().getName();
  }

  @AfterEach
  void close() throws Exception {
    for (AutoCloseable c : closeables) {
      c.close();
    }
    for (ExecutorService e : executors) {
      e.shutdownNow();
    }
  }

  // ---- fixtures ----

  private Hub hub(Broker broker, HistoryConfig history, Duration idleTimeout) {
    Hub hub = new Hub(broker, history, idleTimeout, SWEEP);
    hub.start();
    closeables.add(hub);
    return hub;
  }

  private Hub hub(HistoryConfig history) {
    return hub(new MemoryBroker(history, SWEEP), history, Hub.DEFAULT_IDLE_TIMEOUT);
  }

  private Hub hub() {
    return hub(HistoryConfig.DEFAULT);
  }

  private ExecutorService executor(String name) {
    ExecutorService e = Executors.newSingleThreadExecutor(r -> new Thread(r, name));
    executors.add(e);
    return e;
  }

  private static <T> T join(CompletableFuture<T> f) {
    try {
      return f.get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  private static Message publish(Hub hub, String channel, long n) {
    return join(hub.publish(channel, "message", ("{\"n\":" + n + "}").getBytes(UTF_8)));
  }

  private static List<Message> publish(Hub hub, String channel, int from, int to) {
    List<Message> out = new ArrayList<>();
    for (int n = from; n <= to; n++) {
      out.add(publish(hub, channel, n));
    }
    return out;
  }

  private static List<Long> range(long from, long to) {
    return LongStream.rangeClosed(from, to).boxed().toList();
  }

  /** A streaming subscriber: drains its subscription on its executor whenever signalled. */
  static final class Reader {
    final ExecutorService executor;
    final AtomicReference<Subscription> subscription = new AtomicReference<>();
    final List<Message> messages = new CopyOnWriteArrayList<>();
    final List<Position> gaps = new CopyOnWriteArrayList<>();
    final List<String> signalThreads = new CopyOnWriteArrayList<>();
    final AtomicInteger signals = new AtomicInteger();

    Reader(ExecutorService executor) {
      this.executor = executor;
    }

    void onSignal() {
      signals.incrementAndGet();
      signalThreads.add(Thread.currentThread().getName());
      drain();
    }

    void drain() {
      Subscription s = subscription.get();
      if (s == null) {
        return;
      }
      List<Message> out = new ArrayList<>();
      while (true) {
        out.clear();
        Position gap = s.read(out, 7);
        if (gap != null) {
          gaps.add(gap);
        }
        messages.addAll(out);
        if (out.isEmpty() && gap == null) {
          return;
        }
      }
    }

    List<Long> offsets() {
      return messages.stream().map(Message::offset).toList();
    }

    Subscription subscription() {
      return subscription.get();
    }

    /** The cursor position, read on the subscription's executor. */
    Position position() {
      return join(CompletableFuture.supplyAsync(() -> subscription.get().position(), executor));
    }
  }

  private Reader open(Hub hub, String channel, Position since, ExecutorService executor) {
    Reader r = new Reader(executor);
    Subscription s = join(hub.subscribe(channel, since, executor, r::onSignal));
    r.subscription.set(s);
    executor.execute(r::drain);
    return r;
  }

  /** A poll's cursor: opened, read once on this thread, closed. */
  private static List<Message> poll(
      Hub hub, String channel, Position since, List<Position> gaps, boolean[] recovered) {
    try (Subscription s = join(hub.subscribe(channel, since, Runnable::run, null))) {
      recovered[0] = s.recovered();
      List<Message> out = new ArrayList<>();
      Position gap = s.read(out, 1000);
      if (gap != null) {
        gaps.add(gap);
      }
      return out;
    }
  }

  // ---- subscribing and resuming ----

  @Test
  void aSubscriptionFromNowStartsAtTheHeadAndIsRecovered() {
    Hub hub = hub();
    List<Message> before = publish(hub, channel, 1, 3);
    Reader r = open(hub, channel, null, executor("sub"));
    Subscription s = r.subscription();
    assertThat(s.recovered()).isTrue();
    assertThat(s.startPosition()).isEqualTo(new Position(before.get(0).epoch(), 3));
    assertThat(s.channel()).isEqualTo(channel);
    publish(hub, channel, 4, 5);
    eventually().until(() -> r.messages.size() == 2);
    assertThat(r.offsets()).containsExactly(4L, 5L);
    assertThat(r.gaps).isEmpty();
    assertThat(r.position()).isEqualTo(new Position(before.get(0).epoch(), 5));
  }

  @Test
  void aNewChannelHasARealPositionAtZero() {
    Hub hub = hub();
    Reader r = open(hub, channel, null, executor("sub"));
    assertThat(Position.isEpoch(r.subscription().startPosition().epoch())).isTrue();
    assertThat(r.subscription().startPosition().offset()).isZero();
    Message first = publish(hub, channel, 1);
    assertThat(first.epoch()).isEqualTo(r.subscription().startPosition().epoch());
    eventually().until(() -> r.offsets().equals(List.of(1L)));
  }

  @Test
  void resumingWithEveryMessageRetainedIsRecoveredAndDeliversWhatFollows() {
    Hub hub = hub();
    String epoch = publish(hub, channel, 1, 5).get(0).epoch();
    Reader r = open(hub, channel, new Position(epoch, 2), executor("sub"));
    assertThat(r.subscription().recovered()).isTrue();
    assertThat(r.subscription().startPosition()).isEqualTo(new Position(epoch, 2));
    eventually().until(() -> r.messages.size() == 3);
    publish(hub, channel, 6, 6);
    eventually().until(() -> r.messages.size() == 4);
    assertThat(r.offsets()).containsExactly(3L, 4L, 5L, 6L);
    assertThat(r.gaps).isEmpty();
  }

  @Test
  void resumingAtTheHeadOrAtZeroIsRecovered() {
    Hub hub = hub();
    String epoch = publish(hub, channel, 1, 3).get(0).epoch();
    boolean[] recovered = new boolean[1];
    List<Position> gaps = new ArrayList<>();
    assertThat(poll(hub, channel, new Position(epoch, 3), gaps, recovered)).isEmpty();
    assertThat(recovered[0]).isTrue();
    assertThat(poll(hub, channel, new Position(epoch, 0), gaps, recovered))
        .extracting(Message::offset)
        .containsExactly(1L, 2L, 3L);
    assertThat(recovered[0]).isTrue();
    assertThat(gaps).isEmpty();
  }

  @Test
  void anotherEpochIsNotRecoveredAndStartsAtTheHead() {
    Hub hub = hub();
    String epoch = publish(hub, channel, 1, 4).get(0).epoch();
    String other = epoch.equals("zzzz") ? "yyyy" : "zzzz";
    Reader r = open(hub, channel, new Position(other, 1), executor("sub"));
    assertThat(r.subscription().recovered()).isFalse();
    assertThat(r.subscription().startPosition()).isEqualTo(new Position(epoch, 4));
    publish(hub, channel, 5, 5);
    eventually().until(() -> r.messages.size() == 1);
    assertThat(r.offsets()).containsExactly(5L);
    assertThat(r.gaps).isEmpty();
  }

  @Test
  void anOffsetAheadOfTheHeadIsNotRecoveredAndStartsAtTheHead() {
    Hub hub = hub();
    String epoch = publish(hub, channel, 1, 4).get(0).epoch();
    boolean[] recovered = new boolean[1];
    List<Position> gaps = new ArrayList<>();
    assertThat(poll(hub, channel, new Position(epoch, 5), gaps, recovered)).isEmpty();
    assertThat(recovered[0]).isFalse();
    try (Subscription s =
        join(hub.subscribe(channel, new Position(epoch, 99), Runnable::run, null))) {
      assertThat(s.recovered()).isFalse();
      assertThat(s.position()).isEqualTo(new Position(epoch, 4));
    }
  }

  @Test
  void aPositionWhoseFollowersWereDroppedIsNotRecoveredAndDeliversNothingFromIt() {
    HistoryConfig small = new HistoryConfig(3, HistoryConfig.DEFAULT_MAX_AGE);
    Hub hub = hub(small);
    String epoch = publish(hub, channel, 1, 10).get(0).epoch(); // retained: 8, 9, 10
    boolean[] recovered = new boolean[1];
    List<Position> gaps = new ArrayList<>();
    assertThat(poll(hub, channel, new Position(epoch, 2), gaps, recovered)).isEmpty();
    assertThat(recovered[0]).isFalse();
    assertThat(poll(hub, channel, new Position(epoch, 6), gaps, recovered)).isEmpty();
    assertThat(recovered[0]).isFalse();
    // Right before the oldest retained message is still recovered: nothing after it was lost.
    assertThat(poll(hub, channel, new Position(epoch, 7), gaps, recovered))
        .extracting(Message::offset)
        .containsExactly(8L, 9L, 10L);
    assertThat(recovered[0]).isTrue();
    assertThat(gaps).isEmpty();
  }

  @Test
  void aBareOffsetSkipsTheEpochCheck() {
    Hub hub = hub();
    publish(hub, channel, 1, 4);
    boolean[] recovered = new boolean[1];
    List<Position> gaps = new ArrayList<>();
    assertThat(poll(hub, channel, new Position(null, 2), gaps, recovered))
        .extracting(Message::offset)
        .containsExactly(3L, 4L);
    assertThat(recovered[0]).isTrue();
    assertThat(poll(hub, channel, new Position(null, 9), gaps, recovered)).isEmpty();
    assertThat(recovered[0]).isFalse();
  }

  @Test
  void aPollReadsAtMostTheLimitAndItsPositionFetchesTheRest() {
    Hub hub = hub();
    String epoch = publish(hub, channel, 1, 10).get(0).epoch();
    Position next;
    try (Subscription s =
        join(hub.subscribe(channel, new Position(epoch, 0), Runnable::run, null))) {
      List<Message> out = new ArrayList<>();
      assertThat(s.read(out, 4)).isNull();
      assertThat(out).extracting(Message::offset).containsExactly(1L, 2L, 3L, 4L);
      assertThat(s.hasMore()).isTrue();
      next = s.position();
    }
    assertThat(next).isEqualTo(new Position(epoch, 4));
    try (Subscription s = join(hub.subscribe(channel, next, Runnable::run, null))) {
      List<Message> out = new ArrayList<>();
      s.read(out, 100);
      assertThat(out).extracting(Message::offset).containsExactlyElementsOf(range(5, 10));
      assertThat(s.hasMore()).isFalse();
    }
    assertThat(hub.subscriberCount()).as("polls are not streaming subscribers").isZero();
  }

  // ---- gaps ----

  @Test
  void aLaggingSubscriberGetsAGapAndMovesToTheHead() {
    HistoryConfig small = new HistoryConfig(5, HistoryConfig.DEFAULT_MAX_AGE);
    Hub hub = hub(small);
    Subscription s = join(hub.subscribe(channel, null, Runnable::run, null));
    String epoch = s.startPosition().epoch();
    publish(hub, channel, 1, 20); // the subscriber reads nothing meanwhile; 16..20 are retained
    List<Message> out = new ArrayList<>();
    Position gap = s.read(out, 100);
    assertThat(gap).isEqualTo(new Position(epoch, 20));
    assertThat(out).isEmpty();
    assertThat(s.position()).isEqualTo(new Position(epoch, 20));
    publish(hub, channel, 21, 21);
    assertThat(s.read(out, 100)).isNull();
    assertThat(out).extracting(Message::offset).containsExactly(21L);
    s.close();
  }

  @Test
  void aSubscriberThatKeepsUpGetsNoGap() {
    HistoryConfig small = new HistoryConfig(5, HistoryConfig.DEFAULT_MAX_AGE);
    Hub hub = hub(small);
    Subscription s = join(hub.subscribe(channel, null, Runnable::run, null));
    List<Message> out = new ArrayList<>();
    for (int i = 1; i <= 30; i++) {
      publish(hub, channel, i);
      if (i % 4 == 0) {
        assertThat(s.read(out, 100)).isNull();
      }
    }
    assertThat(s.read(out, 100)).isNull();
    assertThat(out).extracting(Message::offset).containsExactlyElementsOf(range(1, 30));
    s.close();
  }

  // ---- signalling ----

  @Test
  void theListenerRunsOnTheSubscribersExecutor() {
    Hub hub = hub();
    Reader r = open(hub, channel, null, executor("subscriber-loop"));
    publish(hub, channel, 1, 3);
    eventually().until(() -> r.messages.size() == 3);
    assertThat(r.signalThreads).isNotEmpty().containsOnly("subscriber-loop");
  }

  @Test
  void manySubscribersOnOneExecutorAreSignalledByOneTask() {
    Hub hub = hub();
    ExecutorService loop = executor("loop");
    AtomicInteger tasks = new AtomicInteger();
    Executor counting =
        command -> {
          tasks.incrementAndGet();
          loop.execute(command);
        };
    int n = 50;
    List<AtomicInteger> signalled = new ArrayList<>();
    List<Subscription> subs = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      AtomicInteger count = new AtomicInteger();
      signalled.add(count);
      subs.add(join(hub.subscribe(channel, null, counting, count::incrementAndGet)));
    }
    assertThat(hub.subscriberCount()).isEqualTo(n);
    join(CompletableFuture.runAsync(() -> {}, loop)); // let signals of the activation run
    signalled.forEach(c -> c.set(0));
    tasks.set(0);

    publish(hub, channel, 1);
    eventually().until(() -> signalled.stream().allMatch(c -> c.get() >= 1));
    join(CompletableFuture.runAsync(() -> {}, loop));
    assertThat(tasks.get()).as("tasks handed to the executor for one append").isEqualTo(1);
    assertThat(signalled).allMatch(c -> c.get() == 1);
    subs.forEach(Subscription::close);
    assertThat(hub.subscriberCount()).isZero();
  }

  @Test
  void subscribersOnDifferentExecutorsAreEachSignalledOnTheirOwn() {
    Hub hub = hub();
    Reader a = open(hub, channel, null, executor("loop-a"));
    Reader b = open(hub, channel, null, executor("loop-b"));
    publish(hub, channel, 1, 2);
    eventually().until(() -> a.messages.size() == 2 && b.messages.size() == 2);
    assertThat(a.signalThreads).containsOnly("loop-a");
    assertThat(b.signalThreads).containsOnly("loop-b");
  }

  @Test
  void aClosedSubscriptionIsNotSignalled() {
    Hub hub = hub();
    ExecutorService loop = executor("loop");
    Reader closed = open(hub, channel, null, loop);
    Reader open = open(hub, channel, null, loop);
    publish(hub, channel, 1);
    eventually().until(() -> closed.messages.size() == 1 && open.messages.size() == 1);
    closed.subscription().close();
    closed.subscription().close(); // idempotent
    int signalsBefore = closed.signals.get();
    publish(hub, channel, 2);
    // Both share one executor task per append: once the open one saw it, the closed one was passed
    // over.
    eventually().until(() -> open.messages.size() == 2);
    join(CompletableFuture.runAsync(() -> {}, loop));
    assertThat(closed.signals.get()).isEqualTo(signalsBefore);
    assertThat(closed.messages).hasSize(1);
  }

  @Test
  void aFailingListenerDoesNotStopOthers() {
    Hub hub = hub();
    ExecutorService loop = executor("loop");
    join(
        hub.subscribe(
            channel,
            null,
            loop,
            () -> {
              throw new IllegalStateException("listener bug (expected in this test)");
            }));
    Reader r = open(hub, channel, null, loop);
    publish(hub, channel, 1, 2);
    eventually().until(() -> r.messages.size() == 2);
  }

  // ---- activation and idle channels ----

  @Test
  void aChannelStaysActiveWhileSubscribedAndBecomesInactiveAfterTheIdleTimeout() {
    HistoryConfig h = HistoryConfig.DEFAULT;
    MemoryBroker broker = new MemoryBroker(h, SWEEP);
    Hub hub = hub(broker, h, Duration.ofMillis(100));
    String kept = channel + ".kept";
    Subscription open = join(hub.subscribe(kept, null, executor("a"), () -> {}));
    Subscription closed = join(hub.subscribe(channel, null, executor("b"), () -> {}));
    assertThat(hub.activeChannels()).isEqualTo(2);
    closed.close();
    eventually().until(() -> hub.activeChannels() == 1);
    assertThat(hub.activeChannels()).as("the subscribed channel stays").isEqualTo(1);
    open.close();
    eventually().until(() -> hub.activeChannels() == 0);
  }

  @Test
  void aChannelIsKeptWarmForTheIdleTimeoutAfterItsLastSubscription() {
    HistoryConfig h = HistoryConfig.DEFAULT;
    Hub hub = hub(new MemoryBroker(h, SWEEP), h, Duration.ofHours(1));
    join(hub.subscribe(channel, null, Runnable::run, null)).close();
    // Sweeps run every 20 ms: the channel stays active through several of them.
    await().during(Duration.ofMillis(150)).atMost(WAIT).until(() -> hub.activeChannels() == 1);
  }

  @Test
  void anIdleEmptyChannelDroppedByTheMemoryBrokerComesBackWithANewEpoch() {
    HistoryConfig h = HistoryConfig.DEFAULT;
    MemoryBroker broker = new MemoryBroker(h, SWEEP);
    Hub hub = hub(broker, h, Duration.ofMillis(50));
    Position old;
    try (Subscription s = join(hub.subscribe(channel, null, Runnable::run, null))) {
      old = s.startPosition();
    }
    eventually().until(() -> hub.activeChannels() == 0 && broker.channelCount() == 0);
    try (Subscription s = join(hub.subscribe(channel, old, Runnable::run, null))) {
      assertThat(s.recovered()).isFalse();
      assertThat(s.startPosition().epoch()).isNotEqualTo(old.epoch());
      assertThat(s.startPosition().offset()).isZero();
    }
  }

  @Test
  void aChannelWithRetainedMessagesKeepsItsEpochAcrossDeactivation() {
    HistoryConfig h = HistoryConfig.DEFAULT;
    MemoryBroker broker = new MemoryBroker(h, SWEEP);
    Hub hub = hub(broker, h, Duration.ofMillis(50));
    String epoch = publish(hub, channel, 1, 3).get(0).epoch();
    join(hub.subscribe(channel, null, Runnable::run, null)).close();
    eventually().until(() -> hub.activeChannels() == 0);
    boolean[] recovered = new boolean[1];
    List<Position> gaps = new ArrayList<>();
    assertThat(poll(hub, channel, new Position(epoch, 1), gaps, recovered))
        .extracting(Message::offset)
        .containsExactly(2L, 3L);
    assertThat(recovered[0]).isTrue();
  }

  @Test
  void aChannelReactivatedWhileItsUnsubscribeIsPendingStillGetsLiveMessages() {
    HistoryConfig h = HistoryConfig.DEFAULT;
    TestBroker broker = new TestBroker(h);
    Hub hub = hub(broker, h, Duration.ZERO);
    CompletableFuture<Void> gate = new CompletableFuture<>();
    broker.unsubscribeGate = gate;
    join(hub.subscribe(channel, null, Runnable::run, null)).close();
    // The sweep deactivates the channel; its unsubscribe is held back on the way to the broker.
    eventually().until(() -> broker.unsubscribeRequests.get() == 1);
    broker.unsubscribeGate = null;
    CompletableFuture<Subscription> again =
        hub.subscribe(channel, null, executor("loop"), () -> {});
    gate.complete(
        null); // the late unsubscribe arrives now, after the new subscription was asked for
    Subscription s = join(again);
    publish(hub, channel, 1);
    eventually().until(s::hasMore);
    assertThat(broker.calls)
        .containsExactly("subscribe:" + channel, "unsubscribe:" + channel, "subscribe:" + channel);
    s.close();
  }

  @Test
  void aFailedActivationFailsTheSubscriptionAndALaterOneRetries() {
    HistoryConfig h = HistoryConfig.DEFAULT;
    TestBroker broker = new TestBroker(h);
    Hub hub = hub(broker, h, Hub.DEFAULT_IDLE_TIMEOUT);
    broker.failSubscribe = true;
    CompletableFuture<Subscription> failed = hub.subscribe(channel, null, Runnable::run, null);
    assertThat(failed)
        .failsWithin(WAIT)
        .withThrowableOfType(ExecutionException.class)
        .havingCause()
        .isInstanceOf(BrokerUnavailableException.class);
    eventually().until(() -> hub.activeChannels() == 0);
    broker.failSubscribe = false;
    Subscription s = join(hub.subscribe(channel, null, Runnable::run, null));
    assertThat(s.recovered()).isTrue();
    s.close();
  }

  // ---- holes, repeats and lost history ----

  @Test
  void aHoleInLiveMessagesIsFilledFromHistorySoEveryMessageArrivesOnceInOrder() {
    HistoryConfig h = HistoryConfig.DEFAULT;
    TestBroker broker = new TestBroker(h);
    broker.dropLive = m -> m.offset() == 3 || m.offset() == 7 || m.offset() == 8;
    Hub hub = hub(broker, h, Hub.DEFAULT_IDLE_TIMEOUT);
    Reader r = open(hub, channel, null, executor("loop"));
    publish(hub, channel, 1, 10);
    eventually().until(() -> r.messages.size() >= 10);
    assertThat(r.offsets()).containsExactlyElementsOf(range(1, 10));
    assertThat(r.gaps).isEmpty();
  }

  @Test
  void repeatedLiveMessagesAreDeliveredOnce() {
    HistoryConfig h = HistoryConfig.DEFAULT;
    TestBroker broker = new TestBroker(h);
    broker.repeatLive = m -> m.offset() % 2 == 0;
    Hub hub = hub(broker, h, Hub.DEFAULT_IDLE_TIMEOUT);
    Reader r = open(hub, channel, null, executor("loop"));
    publish(hub, channel, 1, 10);
    eventually().until(() -> r.messages.size() >= 10);
    publish(hub, channel, 11, 11);
    eventually().until(() -> r.messages.size() >= 11);
    assertThat(r.offsets()).containsExactlyElementsOf(range(1, 11));
  }

  @Test
  void aHoleThatHistoryLostTooIsAGap() {
    HistoryConfig h = new HistoryConfig(2, HistoryConfig.DEFAULT_MAX_AGE);
    TestBroker broker = new TestBroker(h);
    broker.dropLive =
        m -> m.offset() <= 3; // 1..3 lost live; when 4 arrives history keeps only 3 and 4
    Hub hub = hub(broker, h, Hub.DEFAULT_IDLE_TIMEOUT);
    Subscription s = join(hub.subscribe(channel, null, Runnable::run, null));
    String epoch = s.startPosition().epoch();
    publish(hub, channel, 1, 4);
    List<Message> out = new ArrayList<>();
    Position gap = s.read(out, 100);
    assertThat(gap).as("the subscriber is told about the hole").isNotNull();
    assertThat(gap.epoch()).isEqualTo(epoch);
    assertThat(gap.offset()).isBetween(2L, 4L);
    assertThat(out).extracting(Message::offset).allMatch(o -> o > gap.offset());
    publish(hub, channel, 5, 6);
    s.read(out, 100);
    List<Long> got = out.stream().map(Message::offset).toList();
    assertThat(got).isSorted().doesNotHaveDuplicates().endsWith(5L, 6L);
    assertThat(s.position()).isEqualTo(new Position(epoch, 6));
    s.close();
  }

  @Test
  void aLiveSubscriberFollowsTheChannelIntoANewEpochWithAGap() {
    HistoryConfig h = HistoryConfig.DEFAULT;
    TestBroker broker = new TestBroker(h);
    Hub hub = hub(broker, h, Hub.DEFAULT_IDLE_TIMEOUT);
    Reader r = open(hub, channel, null, executor("loop"));
    String oldEpoch = r.subscription().startPosition().epoch();
    publish(hub, channel, 1, 2);
    eventually().until(() -> r.messages.size() == 2);
    broker.loseData(channel);
    Message m = publish(hub, channel, 1);
    assertThat(m.epoch()).isNotEqualTo(oldEpoch);
    eventually().until(() -> r.messages.size() == 3);
    assertThat(r.gaps).hasSize(1);
    assertThat(r.gaps.get(0).epoch()).isEqualTo(m.epoch());
    assertThat(r.messages.get(2).epoch()).isEqualTo(m.epoch());
    assertThat(r.messages.get(2).offset()).isEqualTo(1);
    assertThat(r.position()).isEqualTo(new Position(m.epoch(), 1));
  }

  @Test
  void concurrentPublishersReachEverySubscriberInOrder() throws Exception {
    Hub hub = hub();
    Reader a = open(hub, channel, null, executor("loop-a"));
    Reader b = open(hub, channel, null, executor("loop-b"));
    ExecutorService pubs = Executors.newFixedThreadPool(3);
    executors.add(pubs);
    List<CompletableFuture<Void>> done = new ArrayList<>();
    for (int t = 0; t < 3; t++) {
      done.add(
          CompletableFuture.runAsync(
              () -> {
                for (int i = 0; i < 300; i++) {
                  publish(hub, channel, i);
                }
              },
              pubs));
    }
    done.forEach(HubTest::join);
    eventually().until(() -> a.messages.size() == 900 && b.messages.size() == 900);
    assertThat(a.offsets()).containsExactlyElementsOf(range(1, 900));
    assertThat(b.offsets()).containsExactlyElementsOf(range(1, 900));
  }

  @org.junit.jupiter.params.ParameterizedTest(name = "async broker: {0}")
  @org.junit.jupiter.params.provider.ValueSource(booleans = {false, true})
  void underConcurrentPublishersRandomLiveLossesAndRepeatsAreRepairedForEverySubscriber(
      boolean async) {
    HistoryConfig h = HistoryConfig.DEFAULT; // 1000 retained: every lost message can be filled
    TestBroker broker = new TestBroker(h, async);
    broker.dropLive = m -> java.util.concurrent.ThreadLocalRandom.current().nextInt(10) == 0;
    broker.repeatLive = m -> java.util.concurrent.ThreadLocalRandom.current().nextInt(20) == 0;
    Hub hub = hub(broker, h, Hub.DEFAULT_IDLE_TIMEOUT);
    Reader a = open(hub, channel, null, executor("loop-a"));
    Reader b = open(hub, channel, null, executor("loop-b"));
    ExecutorService pubs = Executors.newFixedThreadPool(3);
    executors.add(pubs);
    List<CompletableFuture<Void>> done = new ArrayList<>();
    for (int t = 0; t < 3; t++) {
      done.add(
          CompletableFuture.runAsync(
              () -> {
                for (int i = 0; i < 300; i++) {
                  publish(hub, channel, i);
                }
              },
              pubs));
    }
    done.forEach(HubTest::join);
    // The last message may itself be lost live: the next publication shows the hole.
    broker.dropLive = m -> false;
    publish(hub, channel, 901);
    eventually().until(() -> a.messages.size() >= 901 && b.messages.size() >= 901);
    assertThat(a.offsets()).containsExactlyElementsOf(range(1, 901));
    assertThat(b.offsets()).containsExactlyElementsOf(range(1, 901));
    assertThat(a.gaps).isEmpty();
    assertThat(b.gaps).isEmpty();
  }

  @org.junit.jupiter.params.ParameterizedTest(name = "async broker: {0}")
  @org.junit.jupiter.params.provider.ValueSource(booleans = {false, true})
  void subscriptionsOpenedWhilePublishingGetEverythingAfterTheirStartInOrder(boolean async) {
    HistoryConfig h = HistoryConfig.DEFAULT;
    TestBroker broker = new TestBroker(h, async);
    Hub hub = hub(broker, h, Hub.DEFAULT_IDLE_TIMEOUT);
    int total = 600;
    ExecutorService pubs = Executors.newSingleThreadExecutor();
    executors.add(pubs);
    CompletableFuture<Void> publishing =
        CompletableFuture.runAsync(
            () -> {
              for (int i = 1; i <= total; i++) {
                publish(hub, channel, i);
              }
            },
            pubs);
    List<Reader> fromNow = new ArrayList<>();
    List<Reader> resumed = new ArrayList<>();
    for (int i = 0; i < 6 && !publishing.isDone(); i++) {
      Reader r = open(hub, channel, null, executor("now-" + i));
      fromNow.add(r);
      Position start = r.subscription().startPosition();
      resumed.add(
          open(
              hub,
              channel,
              new Position(start.epoch(), start.offset() / 2),
              executor("resumed-" + i)));
    }
    join(publishing);
    for (List<Reader> readers : List.of(fromNow, resumed)) {
      for (Reader r : readers) {
        Subscription s = r.subscription();
        long start = s.startPosition().offset();
        assertThat(s.recovered()).isTrue();
        eventually().until(() -> r.messages.size() >= total - start);
        assertThat(r.offsets()).containsExactlyElementsOf(range(start + 1, total));
        assertThat(r.gaps).isEmpty();
      }
    }
  }

  @Test
  void aReaderRacingTheWriterNeverSkipsAMessageSilently() {
    HistoryConfig tiny = new HistoryConfig(8, HistoryConfig.DEFAULT_MAX_AGE);
    Hub hub = hub(tiny);
    Subscription s = join(hub.subscribe(channel, null, Runnable::run, null));
    int total = 60_000;
    ExecutorService pubs = Executors.newSingleThreadExecutor();
    executors.add(pubs);
    byte[] data = "0".getBytes(UTF_8);
    CompletableFuture<Void> publishing =
        CompletableFuture.runAsync(
            () -> {
              for (int i = 0; i < total; i++) {
                hub.publish(channel, "message", data);
              }
            },
            pubs);
    long cursor = s.position().offset();
    long delivered = 0;
    long gaps = 0;
    List<Message> out = new ArrayList<>();
    while (cursor < total) {
      out.clear();
      Position gap = s.read(out, 3);
      if (gap != null) {
        assertThat(gap.offset()).as("a gap moves forward").isGreaterThan(cursor);
        cursor = gap.offset();
        gaps++;
      }
      for (Message m : out) {
        assertThat(m.offset()).as("the message after position %d", cursor).isEqualTo(cursor + 1);
        cursor = m.offset();
        delivered++;
      }
      assertThat(s.position().offset()).isEqualTo(cursor);
    }
    join(publishing);
    // how the reader's progress splits into messages and gaps depends on scheduling (a loaded
    // machine
    // may run the writer far ahead); the rule is that it reached the head with no silent skip
    assertThat(cursor).isEqualTo(total);
    assertThat(delivered + gaps).isPositive();
    s.close();
  }

  @Test
  void messagesOlderThanTheMaxAgeAreNoLongerRecoverable() {
    HistoryConfig oneSecond = new HistoryConfig(100, Duration.ofSeconds(1));
    Hub hub = hub(oneSecond);
    Subscription s =
        join(hub.subscribe(channel, null, Runnable::run, null)); // keeps the channel active
    String epoch = publish(hub, channel, 1, 3).get(0).epoch();
    eventually()
        .until(
            () -> {
              try (Subscription probe =
                  join(hub.subscribe(channel, new Position(epoch, 0), Runnable::run, null))) {
                return !probe.recovered();
              }
            });
    try (Subscription late =
        join(hub.subscribe(channel, new Position(epoch, 0), Runnable::run, null))) {
      assertThat(late.startPosition()).isEqualTo(new Position(epoch, 3));
    }
    // A reader that had not read them gets a gap; the epoch and the offsets go on.
    List<Message> out = new ArrayList<>();
    assertThat(s.read(out, 10)).isEqualTo(new Position(epoch, 3));
    assertThat(publish(hub, channel, 4).offset()).isEqualTo(4);
    assertThat(s.read(out, 10)).isNull();
    assertThat(out).extracting(Message::offset).containsExactly(4L);
    s.close();
  }

  // ---- positions ahead of the local head: the local log lags the broker's (the resume race) ----

  /** A hub over a broker whose live delivery (Pub/Sub) is running late: it holds messages back. */
  private TestBroker lateBroker(boolean async) {
    return new TestBroker(HistoryConfig.DEFAULT, async);
  }

  @org.junit.jupiter.params.ParameterizedTest(name = "async broker: {0}")
  @org.junit.jupiter.params.provider.ValueSource(booleans = {false, true})
  void aPollAtAPositionPublishedButNotYetLiveHereIsRecoveredAndRepeatsNothing(boolean async) {
    TestBroker broker = lateBroker(async);
    Hub hub = hub(broker, HistoryConfig.DEFAULT, Hub.DEFAULT_IDLE_TIMEOUT);
    Subscription warm = join(hub.subscribe(channel, null, Runnable::run, null)); // active here
    publish(hub, channel, 1, 2);
    eventually().until(() -> warm.hasMore());
    broker.holdLive = true;
    Message third = publish(hub, channel, 3); // acknowledged; its live copy is late
    boolean[] recovered = new boolean[1];
    List<Position> gaps = new ArrayList<>();
    assertThat(poll(hub, channel, third.position(), gaps, recovered)).isEmpty();
    assertThat(recovered[0]).as("a position the broker handed out is valid").isTrue();
    try (Subscription s = join(hub.subscribe(channel, third.position(), Runnable::run, null))) {
      assertThat(s.recovered()).isTrue();
      assertThat(s.startPosition()).isEqualTo(third.position());
      assertThat(s.position()).isEqualTo(third.position());
    }
    // The message before it is there too: a poll one behind gets exactly it.
    assertThat(poll(hub, channel, new Position(third.epoch(), 2), gaps, recovered))
        .extracting(Message::offset)
        .containsExactly(3L);
    assertThat(recovered[0]).isTrue();
    broker.releaseLive(); // the late live copy arrives and is dropped as a repeat
    Message fourth = publish(hub, channel, 4);
    eventually()
        .until(() -> poll(hub, channel, third.position(), gaps, new boolean[1]).size() == 1);
    assertThat(poll(hub, channel, third.position(), gaps, recovered)).containsExactly(fourth);
    assertThat(recovered[0]).isTrue();
    assertThat(gaps).isEmpty();
    warm.close();
  }

  @org.junit.jupiter.params.ParameterizedTest(name = "async broker: {0}")
  @org.junit.jupiter.params.provider.ValueSource(booleans = {false, true})
  void aLongPollAtAPositionNotYetLiveHereWaitsForTheNextMessageOnly(boolean async) {
    TestBroker broker = lateBroker(async);
    Hub hub = hub(broker, HistoryConfig.DEFAULT, Hub.DEFAULT_IDLE_TIMEOUT);
    Subscription warm = join(hub.subscribe(channel, null, Runnable::run, null));
    publish(hub, channel, 1, 1);
    eventually().until(warm::hasMore);
    broker.holdLive = true;
    Message second = publish(hub, channel, 2);
    // A long poll: a cursor with a listener, read when signalled.
    Reader r = open(hub, channel, second.position(), executor("long-poll"));
    assertThat(r.subscription().recovered()).isTrue();
    assertThat(r.subscription().startPosition()).isEqualTo(second.position());
    broker.releaseLive();
    publish(hub, channel, 3);
    eventually().until(() -> !r.messages.isEmpty());
    assertThat(r.offsets()).containsExactly(3L);
    assertThat(r.gaps).isEmpty();
    warm.close();
  }

  @org.junit.jupiter.params.ParameterizedTest(name = "async broker: {0}")
  @org.junit.jupiter.params.provider.ValueSource(booleans = {false, true})
  void aStreamResumedAtAPositionNotYetLiveHereDeliversWhatFollowsOnceInOrder(boolean async) {
    TestBroker broker = lateBroker(async);
    Hub hub = hub(broker, HistoryConfig.DEFAULT, Hub.DEFAULT_IDLE_TIMEOUT);
    Subscription warm = join(hub.subscribe(channel, null, Runnable::run, null));
    publish(hub, channel, 1, 1);
    eventually().until(warm::hasMore);
    broker.holdLive = true;
    List<Message> late = publish(hub, channel, 2, 5); // 2..5 acknowledged, none live here yet
    Reader r = open(hub, channel, late.get(1).position(), executor("stream")); // at 3
    assertThat(r.subscription().recovered()).isTrue();
    eventually().until(() -> r.messages.size() >= 2);
    assertThat(r.offsets()).containsExactly(4L, 5L);
    broker.releaseLive();
    publish(hub, channel, 6, 7);
    eventually().until(() -> r.messages.size() >= 4);
    assertThat(r.offsets()).containsExactly(4L, 5L, 6L, 7L);
    assertThat(r.gaps).isEmpty();
    warm.close();
  }

  @Test
  void aPositionOnAChannelNotYetActiveHereIsJudgedAgainstTheBrokersHistory() {
    TestBroker broker = lateBroker(true);
    Hub hub = hub(broker, HistoryConfig.DEFAULT, Hub.DEFAULT_IDLE_TIMEOUT);
    Message m = join(broker.memory().publish(channel, "message", "1".getBytes(UTF_8)));
    boolean[] recovered = new boolean[1];
    assertThat(poll(hub, channel, m.position(), new ArrayList<>(), recovered)).isEmpty();
    assertThat(recovered[0]).isTrue();
  }

  @org.junit.jupiter.params.ParameterizedTest(name = "async broker: {0}")
  @org.junit.jupiter.params.provider.ValueSource(booleans = {false, true})
  void aPositionAheadOfTheBrokersHeadIsStillNotRecovered(boolean async) {
    TestBroker broker = lateBroker(async);
    Hub hub = hub(broker, HistoryConfig.DEFAULT, Hub.DEFAULT_IDLE_TIMEOUT);
    Subscription warm = join(hub.subscribe(channel, null, Runnable::run, null));
    publish(hub, channel, 1, 1);
    eventually().until(warm::hasMore);
    broker.holdLive = true;
    Message second = publish(hub, channel, 2);
    try (Subscription s =
        join(hub.subscribe(channel, new Position(second.epoch(), 3), Runnable::run, null))) {
      assertThat(s.recovered()).isFalse();
      assertThat(s.startPosition())
          .as("continues from the channel's head, which the local log has reached")
          .isEqualTo(second.position());
    }
    warm.close();
  }

  @Test
  void aPositionOfANewerEpochIsRecoveredOnceTheLocalLogFollowsTheBroker() {
    TestBroker broker = lateBroker(false);
    Hub hub = hub(broker, HistoryConfig.DEFAULT, Hub.DEFAULT_IDLE_TIMEOUT);
    Subscription warm = join(hub.subscribe(channel, null, Runnable::run, null));
    String oldEpoch = warm.startPosition().epoch();
    broker.holdLive = true;
    broker.loseData(); // nobody told the hub: it still has the old epoch
    Message m = publish(hub, channel, 1);
    assertThat(m.epoch()).isNotEqualTo(oldEpoch);
    boolean[] recovered = new boolean[1];
    assertThat(poll(hub, channel, m.position(), new ArrayList<>(), recovered)).isEmpty();
    assertThat(recovered[0]).isTrue();
    warm.close();
  }

  @Test
  void aPositionAtOrBehindTheLocalHeadCostsNoBrokerRead() {
    TestBroker broker = lateBroker(false);
    Hub hub = hub(broker, HistoryConfig.DEFAULT, Hub.DEFAULT_IDLE_TIMEOUT);
    Subscription warm = join(hub.subscribe(channel, null, Runnable::run, null));
    List<Message> sent = publish(hub, channel, 1, 3);
    int before = broker.historyReads.get();
    boolean[] recovered = new boolean[1];
    assertThat(poll(hub, channel, sent.get(2).position(), new ArrayList<>(), recovered)).isEmpty();
    assertThat(poll(hub, channel, sent.get(0).position(), new ArrayList<>(), recovered)).hasSize(2);
    assertThat(recovered[0]).isTrue();
    assertThat(broker.historyReads.get()).isEqualTo(before);
    warm.close();
  }

  @Test
  void aPositionAheadOfTheLocalHeadFailsTheSubscriptionWhenTheBrokerCannotBeRead() {
    TestBroker broker = lateBroker(false);
    Hub hub = hub(broker, HistoryConfig.DEFAULT, Hub.DEFAULT_IDLE_TIMEOUT);
    Subscription warm = join(hub.subscribe(channel, null, Runnable::run, null));
    publish(hub, channel, 1, 1);
    broker.holdLive = true;
    Message second = publish(hub, channel, 2);
    broker.failHistory = true;
    CompletableFuture<Subscription> f =
        hub.subscribe(channel, second.position(), Runnable::run, null);
    assertThat(f)
        .failsWithin(WAIT)
        .withThrowableOfType(ExecutionException.class)
        .withCauseInstanceOf(BrokerUnavailableException.class);
    broker.failHistory = false;
    try (Subscription s = join(hub.subscribe(channel, second.position(), Runnable::run, null))) {
      assertThat(s.recovered()).as("a later try succeeds").isTrue();
    }
    warm.close();
  }
}
