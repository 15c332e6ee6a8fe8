package io.herald.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Byte bounds on history: per channel ({@link HistoryConfig#maxBytes()}), per node ({@link
 * HistoryBudget}, oldest first across channels, each message counted once), and the cap on channels
 * held by the hub and the in-memory broker.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class HistoryBudgetTest {
  private static final String EPOCH = "k3f9";
  private static final Duration SWEEP = Duration.ofMillis(20);
  private final List<AutoCloseable> closeables = new ArrayList<>();

  @AfterEach
  void close() throws Exception {
    for (AutoCloseable c : closeables) {
      c.close();
    }
  }

  private static final long T0 = 1_700_000_000_000L;

  /**
   * A message whose data is a JSON string of {@code size} bytes (quotes included), published at
   * {@code T0 + time} (so every time has the same number of digits).
   */
  private static Message message(String channel, long offset, long time, int size) {
    byte[] data = new byte[size];
    Arrays.fill(data, (byte) 'x');
    data[0] = '"';
    data[size - 1] = '"';
    return Message.create(channel, EPOCH, offset, "message", data, T0 + time);
  }

  private static long sum(ChannelLog log) {
    List<Message> out = new ArrayList<>();
    log.read(0, Integer.MAX_VALUE, out);
    return out.stream().mapToLong(Message::retainedBytes).sum();
  }

  private static byte[] data(int size) {
    byte[] data = new byte[size];
    Arrays.fill(data, (byte) 'y');
    data[0] = '"';
    data[size - 1] = '"';
    return data;
  }

  private static List<Long> offsets(ChannelLog log) {
    List<Message> out = new ArrayList<>();
    log.read(0, Integer.MAX_VALUE, out);
    return out.stream().map(Message::offset).toList();
  }

  private static <T> T join(CompletableFuture<T> f) {
    try {
      return f.get(10, TimeUnit.SECONDS);
    } catch (InterruptedException | ExecutionException | TimeoutException e) {
      throw new AssertionError(e);
    }
  }

  private static Throwable failure(CompletableFuture<?> f) {
    try {
      f.get(10, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      return e.getCause();
    } catch (InterruptedException | TimeoutException e) {
      throw new AssertionError(e);
    }
    throw new AssertionError("expected a failure, got " + f.join());
  }

  // ---- per channel ----

  @Test
  void aChannelKeepsAtMostItsBytesDroppingTheOldestFirst() {
    long size = message("c", 1, 0, 1000).retainedBytes();
    HistoryConfig config = new HistoryConfig(1000, Duration.ofHours(1), 3 * size + size / 2);
    ChannelLog log = new ChannelLog("c", EPOCH, 0, config);
    for (long o = 1; o <= 10; o++) {
      log.append(message("c", o, o, 1000));
    }
    assertThat(offsets(log)).containsExactly(8L, 9L, 10L);
    assertThat(log.bytes()).isEqualTo(sum(log));
    assertThat(log.get(7)).isNull();
  }

  @Test
  void theNewestMessageIsKeptEvenWhenItAloneIsLargerThanTheChannelsBytes() {
    HistoryConfig config = new HistoryConfig(1000, Duration.ofHours(1), 1024);
    ChannelLog log = new ChannelLog("c", EPOCH, 0, config);
    log.append(message("c", 1, 1, 100));
    log.append(message("c", 2, 2, 5000));
    assertThat(offsets(log)).containsExactly(2L);
    log.append(message("c", 3, 3, 100));
    assertThat(offsets(log)).containsExactly(3L);
  }

  @Test
  void bytesAreGivenBackByAgeTrimSkipAndClose() {
    HistoryBudget budget = new HistoryBudget(1 << 20);
    ChannelLog log = new ChannelLog("c", EPOCH, 0, HistoryConfig.DEFAULT, budget);
    long now = System.currentTimeMillis() - T0;
    log.append(message("c", 1, now - 7_200_000, 100)); // two hours old
    log.append(message("c", 2, now, 100));
    log.append(message("c", 3, now, 100));
    long one = message("c", 1, now, 100).retainedBytes();
    assertThat(budget.usedBytes()).isEqualTo(log.bytes()).isEqualTo(3 * one);
    assertThat(log.trim(T0 + now)).isEqualTo(1);
    assertThat(budget.usedBytes()).isEqualTo(log.bytes()).isEqualTo(2 * one);
    log.skipTo(5);
    assertThat(budget.usedBytes()).isZero();
    assertThat(log.bytes()).isZero();
    log.append(message("c", 6, now, 100));
    log.close();
    assertThat(budget.usedBytes()).isZero();
    assertThat(log.size()).isZero();
  }

  @Test
  void settingsOutOfRangeAreRefusedSayingWhatIsAllowed() {
    assertThatThrownBy(() -> new HistoryConfig(10, Duration.ofHours(1), 1023))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("1024 to");
    assertThatThrownBy(() -> new HistoryBudget(1000))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("at least 65536");
    assertThatThrownBy(
            () ->
                new Hub(
                    new MemoryBroker(HistoryConfig.DEFAULT),
                    HistoryConfig.DEFAULT,
                    Duration.ZERO,
                    HistoryBudget.UNLIMITED,
                    0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("1 or more");
    assertThat(HistoryConfig.DEFAULT.maxBytes()).isEqualTo(4L * 1024 * 1024);
    assertThat(HistoryBudget.DEFAULT_MAX_BYTES).isEqualTo(256L * 1024 * 1024);
  }

  // ---- per node ----

  @Test
  void theNodeBudgetDropsTheOldestMessagesOfTheNodeWhateverTheirChannel() {
    // offsets 101 to 199 and equal times' widths: every message has the same size
    long size = message("a", 101, 0, 1000).retainedBytes();
    HistoryBudget budget = new HistoryBudget(60 * size);
    ChannelLog a = new ChannelLog("a", EPOCH, 100, HistoryConfig.DEFAULT, budget);
    ChannelLog b = new ChannelLog("b", EPOCH, 100, HistoryConfig.DEFAULT, budget);
    ChannelLog c = new ChannelLog("c", EPOCH, 100, HistoryConfig.DEFAULT, budget);
    long t = 1_000;
    for (long o = 101; o <= 130; o++) { // a is the oldest
      a.append(message("a", o, t++, 1000));
    }
    for (long o = 101; o <= 130; o++) { // then b
      b.append(message("b", o, t++, 1000));
    }
    assertThat(budget.usedBytes()).isEqualTo(60 * size);
    assertThat(budget.evictedMessages()).isZero();
    for (long o = 101; o <= 133; o++) { // c, newest: 33 more than fit
      c.append(message("c", o, t++, 1000));
      assertThat(budget.usedBytes()).isLessThanOrEqualTo(budget.maxBytes());
    }
    // All of a went first (oldest), then the oldest 3 of b; c and the rest of b stay.
    assertThat(a.size()).isZero();
    assertThat(b.first()).isEqualTo(104);
    assertThat(b.head()).isEqualTo(130);
    assertThat(c.size()).isEqualTo(33);
    assertThat(budget.evictedMessages()).isEqualTo(33);
    assertThat(budget.usedBytes()).isEqualTo(a.bytes() + b.bytes() + c.bytes());
  }

  @Test
  void aMessageHeldByTwoLogsIsCountedOnceAndDroppedFromBoth() {
    long size = message("a", 101, 0, 1200).retainedBytes();
    HistoryBudget budget = new HistoryBudget(50 * size);
    ChannelLog broker = new ChannelLog("a", EPOCH, 100, HistoryConfig.DEFAULT, budget);
    ChannelLog local = new ChannelLog("a", EPOCH, 100, HistoryConfig.DEFAULT, budget);
    for (long o = 101; o <= 150; o++) {
      Message m = message("a", o, o, 1200);
      broker.append(m);
      local.append(m);
    }
    assertThat(budget.usedBytes())
        .isEqualTo(50 * size)
        .isEqualTo(sum(broker))
        .isEqualTo(sum(local));
    assertThat(budget.evictedMessages()).isZero();
    Message next = message("a", 151, 151, 1200);
    broker.append(next);
    local.append(next);
    assertThat(budget.usedBytes()).isEqualTo(50 * size);
    assertThat(broker.first()).isEqualTo(102);
    assertThat(local.first()).isEqualTo(102);
  }

  @Test
  void aClosedLogLeavesTheBudgetsOrder() {
    HistoryBudget budget = new HistoryBudget(HistoryBudget.MIN_MAX_BYTES);
    ChannelLog gone = new ChannelLog("gone", EPOCH, 0, HistoryConfig.DEFAULT, budget);
    gone.append(message("gone", 1, 1, 1000));
    gone.close();
    assertThat(gone.queued).isFalse();
    ChannelLog live = new ChannelLog("live", EPOCH, 0, HistoryConfig.DEFAULT, budget);
    for (long o = 1; o <= 200; o++) {
      live.append(message("live", o, 10 + o, 1000));
    }
    assertThat(budget.usedBytes()).isEqualTo(live.bytes()).isLessThanOrEqualTo(budget.maxBytes());
    assertThat(live.head()).isEqualTo(200);
  }

  // ---- through the hub and the memory broker ----

  private Hub node(HistoryConfig history, HistoryBudget budget, int maxChannels, Duration idle) {
    MemoryBroker broker = new MemoryBroker(history, budget, maxChannels, SWEEP);
    Hub hub = new Hub(broker, history, idle, SWEEP, budget, maxChannels);
    hub.start();
    closeables.add(hub);
    return hub;
  }

  @Test
  void aSubscriberNotYetSentMessagesTheNodeBudgetDroppedGetsAGapAndPollsAreNotRecovered() {
    HistoryBudget budget = new HistoryBudget(HistoryBudget.MIN_MAX_BYTES);
    Hub hub = node(HistoryConfig.DEFAULT, budget, 100, Duration.ofMinutes(1));
    String slow = "budget:slow";
    String busy = "budget:busy";
    Subscription s = join(hub.subscribe(slow, null, Runnable::run, null));
    Message first = join(hub.publish(slow, "message", data(1000)));
    for (int i = 0; i < 200; i++) { // far more than the budget, on another channel
      join(hub.publish(busy, "message", data(1000)));
    }
    assertThat(budget.usedBytes()).isLessThanOrEqualTo(budget.maxBytes());
    List<Message> out = new ArrayList<>();
    Position gap = s.read(out, 100);
    assertThat(gap).isEqualTo(new Position(first.epoch(), 1));
    assertThat(out).isEmpty();
    s.close();
    try (Subscription poll =
        join(hub.subscribe(slow, new Position(first.epoch(), 0), Runnable::run, null))) {
      assertThat(poll.recovered()).isFalse();
    }
    // The newest messages of the busy channel are still there, in order, without a hole.
    try (Subscription poll =
        join(hub.subscribe(busy, new Position(null, 190), Runnable::run, null))) {
      assertThat(poll.recovered()).isTrue();
      List<Message> rest = new ArrayList<>();
      assertThat(poll.read(rest, 100)).isNull();
      assertThat(rest).extracting(Message::offset).startsWith(191L).endsWith(200L);
    }
  }

  @Test
  void idleChannelsThatOnlyHoldHistoryAreBoundedByTheNodeBudgetAndThenLeave() {
    HistoryBudget budget = new HistoryBudget(HistoryBudget.MIN_MAX_BYTES);
    Hub hub = node(HistoryConfig.DEFAULT, budget, 100_000, Duration.ZERO);
    MemoryBroker broker = (MemoryBroker) hub.broker();
    for (int i = 0; i < 500; i++) {
      join(hub.publish("budget:idle-" + i, "message", data(1000)));
      assertThat(budget.usedBytes()).isLessThanOrEqualTo(budget.maxBytes());
    }
    // Channels whose history the budget dropped hold nothing and nobody uses them: they go.
    long fits = budget.maxBytes() / message("budget:idle-0", 1, 0, 1000).retainedBytes();
    await().atMost(Duration.ofSeconds(10)).until(() -> broker.channelCount() <= fits);
  }

  @Test
  void oneChannelMoreThanTheNodeAllowsIsRefusedWithOverCapacity() {
    Hub hub = node(HistoryConfig.DEFAULT, HistoryBudget.UNLIMITED, 3, Duration.ofMinutes(1));
    join(hub.publish("cap:a", "message", data(10)));
    join(hub.subscribe("cap:b", null, Runnable::run, null)).close();
    join(hub.subscribe("cap:c", null, Runnable::run, null)).close();
    for (CompletableFuture<?> refused :
        List.of(
            hub.publish("cap:d", "message", data(10)),
            hub.subscribe("cap:d", null, Runnable::run, null))) {
      Throwable e = failure(refused);
      assertThat(e).isInstanceOf(ProtocolException.class);
      assertThat(((ProtocolException) e).code()).isEqualTo(ErrorCode.OVER_CAPACITY);
      assertThat(e.getMessage()).contains("limit of 3 active channels").contains("server limit");
    }
    // Channels already held still work.
    assertThat(join(hub.publish("cap:a", "message", data(10))).offset()).isEqualTo(2);
    join(hub.subscribe("cap:b", null, Runnable::run, null)).close();
  }

  @Test
  void theHubAloneCapsItsActiveChannels() {
    Hub hub =
        new Hub(
            new MemoryBroker(HistoryConfig.DEFAULT),
            HistoryConfig.DEFAULT,
            Duration.ofMillis(50),
            SWEEP,
            HistoryBudget.UNLIMITED,
            2);
    hub.start();
    closeables.add(hub);
    join(hub.subscribe("hubcap:a", null, Runnable::run, null)).close();
    Subscription b = join(hub.subscribe("hubcap:b", null, Runnable::run, null));
    Throwable e = failure(hub.subscribe("hubcap:c", null, Runnable::run, null));
    assertThat(((ProtocolException) e).code()).isEqualTo(ErrorCode.OVER_CAPACITY);
    // Once the unused channel leaves, there is room again.
    await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () ->
                hub.subscribe("hubcap:c", null, Runnable::run, null)
                    .handle(
                        (s, x) -> {
                          if (s != null) {
                            s.close();
                          }
                          return x == null;
                        })
                    .join());
    b.close();
    assertThat(hub.activeChannels()).isLessThanOrEqualTo(2);
  }

  // ---- binary messages (PROTOCOL.md section 11) ----

  private static Message binary(String channel, long offset, long time, int size) {
    return Message.create(
        channel, EPOCH, offset, "message", new byte[size], "application/octet-stream", T0 + time);
  }

  @Test
  void aBinaryMessageCountsItsRawBytesOnceInTwoLogsAndTheChannelBound() {
    long size = binary("b", 1, 0, 3000).retainedBytes();
    assertThat(size)
        .as("raw bytes, not their 4,000 base64 characters")
        .isLessThan(3000 + 300)
        .isGreaterThanOrEqualTo(3000);
    HistoryBudget budget = new HistoryBudget(30 * size);
    ChannelLog broker = new ChannelLog("b", EPOCH, 0, HistoryConfig.DEFAULT, budget);
    ChannelLog local = new ChannelLog("b", EPOCH, 0, HistoryConfig.DEFAULT, budget);
    for (long o = 1; o <= 31; o++) {
      Message m = binary("b", o, o, 3000);
      broker.append(m);
      local.append(m);
    }
    assertThat(budget.usedBytes()).isEqualTo(30 * size).isEqualTo(sum(broker));
    assertThat(broker.first()).isEqualTo(2);
    assertThat(local.first()).isEqualTo(2);

    HistoryConfig config = new HistoryConfig(1000, Duration.ofHours(1), 3 * size + size / 2);
    ChannelLog bounded = new ChannelLog("b", EPOCH, 0, config);
    for (long o = 1; o <= 10; o++) {
      bounded.append(binary("b", o, o, 3000));
    }
    assertThat(offsets(bounded)).containsExactly(8L, 9L, 10L);
    assertThat(bounded.bytes()).isEqualTo(sum(bounded));
  }
}
