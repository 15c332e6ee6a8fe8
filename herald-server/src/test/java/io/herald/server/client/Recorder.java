package io.herald.server.client;

import static org.awaitility.Awaitility.await;

import io.herald.client.SubscriptionListener;
import io.herald.core.Message;
import io.herald.core.Position;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;

/** A listener that records everything a subscription delivers, for assertions. Thread-safe. */
class Recorder implements SubscriptionListener {
  /** What {@code onSubscribed} said for one channel. */
  record Subscribed(Position position, boolean recovered) {}

  final List<Message> messages = new CopyOnWriteArrayList<>();
  final Map<String, Subscribed> subscribed = new ConcurrentHashMap<>();
  final List<String> subscribedLog = new CopyOnWriteArrayList<>();
  final List<String> gaps = new CopyOnWriteArrayList<>();
  final List<Throwable> errors = new CopyOnWriteArrayList<>();
  final AtomicInteger concurrentCalls = new AtomicInteger();
  volatile boolean overlapped;

  private void enter() {
    if (concurrentCalls.incrementAndGet() > 1) {
      overlapped = true;
    }
  }

  private void leave() {
    concurrentCalls.decrementAndGet();
  }

  @Override
  public void onSubscribed(String channel, Position position, boolean recovered) {
    enter();
    subscribed.put(channel, new Subscribed(position, recovered));
    subscribedLog.add(channel + "@" + position + (recovered ? "" : " not recovered"));
    leave();
  }

  @Override
  public void onMessage(Message message) {
    enter();
    messages.add(message);
    leave();
  }

  @Override
  public void onGap(String channel, Position position) {
    enter();
    gaps.add(channel + "@" + position);
    leave();
  }

  @Override
  public void onError(Throwable error) {
    errors.add(error);
  }

  /**
   * Waits until {@code condition} holds, at most {@code seconds}; on time-out fails with what this
   * recorder holds then.
   */
  void awaitUntil(String what, long seconds, java.util.concurrent.Callable<Boolean> condition) {
    try {
      await().atMost(Duration.ofSeconds(seconds)).until(condition);
    } catch (org.awaitility.core.ConditionTimeoutException e) {
      throw new AssertionError(
          "timed out after "
              + seconds
              + " s waiting for "
              + what
              + "; got "
              + messages.size()
              + " messages (last "
              + (messages.isEmpty() ? "none" : messages.get(messages.size() - 1).position())
              + "), subscribed "
              + subscribedLog
              + ", gaps "
              + gaps
              + ", errors "
              + errors,
          e);
    }
  }

  /** Waits until every channel in {@code channels} got its {@code onSubscribed}. */
  Recorder awaitSubscribed(String... channels) {
    awaitUntil(
        "subscribed " + List.of(channels),
        10,
        () -> subscribed.keySet().containsAll(List.of(channels)));
    return this;
  }

  /** Waits until at least {@code n} messages arrived. */
  Recorder awaitMessages(int n) {
    awaitUntil(n + " messages", 15, () -> messages.size() >= n);
    return this;
  }

  /** The offsets received on {@code channel}, in arrival order. */
  List<Long> offsets(String channel) {
    return messages.stream()
        .filter(m -> m.channel().equals(channel))
        .map(Message::offset)
        .collect(Collectors.toList());
  }

  /** The data of each message, as JSON text, in arrival order. */
  List<String> data() {
    return messages.stream()
        .map(m -> new String(m.data(), StandardCharsets.UTF_8))
        .collect(Collectors.toList());
  }
}
