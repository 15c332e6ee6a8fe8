package io.herald.redis;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.herald.core.ErrorCode;
import io.herald.core.HistoryBudget;
import io.herald.core.HistoryConfig;
import io.herald.core.Hub;
import io.herald.core.Message;
import io.herald.core.Position;
import io.herald.core.ProtocolException;
import io.herald.core.Subscription;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A hub over Redis keeps the same node bounds as over the in-memory broker: its local logs share
 * the node's history budget (the oldest go first, older positions are not recovered) and it holds
 * at most its limit of active channels.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RedisHubBudgetIT {
  private static final Duration WAIT = Duration.ofSeconds(10);
  @RegisterExtension static final RedisExtension redis = new RedisExtension();

  private static <T> T join(CompletableFuture<T> f) {
    try {
      return f.get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  private static Hub hub(HistoryBudget budget, int maxChannels) {
    RedisBroker broker =
        new RedisBroker(
            RedisBrokerConfig.builder(redis.uri()).history(HistoryConfig.DEFAULT).build());
    await().atMost(WAIT).until(broker::isAvailable);
    Hub hub = new Hub(broker, HistoryConfig.DEFAULT, Duration.ofMinutes(1), budget, maxChannels);
    hub.start();
    return hub;
  }

  @Test
  void localLogsOverRedisKeepTheNodesHistoryBudget() {
    HistoryBudget budget = new HistoryBudget(HistoryBudget.MIN_MAX_BYTES);
    try (Hub hub = hub(budget, 100)) {
      String a = "redis-budget-a-" + System.nanoTime();
      String b = "redis-budget-b-" + System.nanoTime();
      Subscription sa = join(hub.subscribe(a, null, Runnable::run, null));
      Subscription sb = join(hub.subscribe(b, null, Runnable::run, null));
      String pad = "\"" + "x".repeat(2000) + "\"";
      Message firstOfA = join(hub.publish(a, "message", pad.getBytes(UTF_8)));
      List<Message> ofB = new ArrayList<>();
      for (int i = 0; i < 100; i++) { // 200 KB on b: three times the budget
        ofB.add(join(hub.publish(b, "message", pad.getBytes(UTF_8))));
      }
      // live messages reach the local logs asynchronously; wait for the last one
      await().atMost(WAIT).until(() -> sb.hasMore() && lastOffset(hub, b) == 100);
      assertThat(budget.usedBytes()).isLessThanOrEqualTo(budget.maxBytes());
      assertThat(budget.evictedMessages()).isPositive();
      // a's message was the oldest: a resume from before it is not recovered on this node
      try (Subscription old =
          join(hub.subscribe(a, new Position(firstOfA.epoch(), 0), Runnable::run, null))) {
        assertThat(old.recovered()).isFalse();
      }
      List<Message> out = new ArrayList<>();
      Position gap = sa.read(out, 10);
      assertThat(gap).isEqualTo(firstOfA.position());
      assertThat(out).isEmpty();
      sa.close();
      sb.close();
    }
  }

  private static long lastOffset(Hub hub, String channel) {
    try (Subscription s = join(hub.subscribe(channel, null, Runnable::run, null))) {
      return s.startPosition().offset();
    }
  }

  @Test
  void aHubOverRedisRefusesOneChannelMoreThanItsLimit() throws Exception {
    try (Hub hub = hub(HistoryBudget.UNLIMITED, 2)) {
      String prefix = "redis-cap-" + System.nanoTime();
      join(hub.subscribe(prefix + "-1", null, Runnable::run, null)).close();
      join(hub.subscribe(prefix + "-2", null, Runnable::run, null)).close();
      CompletableFuture<Subscription> third =
          hub.subscribe(prefix + "-3", null, Runnable::run, null);
      try {
        third.get(10, TimeUnit.SECONDS);
        throw new AssertionError("expected over_capacity");
      } catch (ExecutionException e) {
        assertThat(e.getCause()).isInstanceOf(ProtocolException.class);
        assertThat(((ProtocolException) e.getCause()).code()).isEqualTo(ErrorCode.OVER_CAPACITY);
      }
      // publishing over Redis keeps no channel on this node, so it is not refused
      assertThat(join(hub.publish(prefix + "-3", "message", "1".getBytes(UTF_8))).offset())
          .isEqualTo(1);
    }
  }
}
