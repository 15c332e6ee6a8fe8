package io.herald.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The broker contract for {@link MemoryBroker}, plus the rules only the in-memory broker has. */
class MemoryBrokerTest extends BrokerContractTest {
  private static final Duration FAST_SWEEP = Duration.ofMillis(20);

  @Override
  protected Broker createBroker(HistoryConfig history) {
    return new MemoryBroker(history, FAST_SWEEP);
  }

  @Override
  protected Broker createBroker(HistoryConfig history, Duration idempotencyWindow) {
    return new MemoryBroker(
        history, FAST_SWEEP, idempotencyWindow, IdempotencyKeys.DEFAULT_MAX_KEYS);
  }

  @Test
  void rememberedKeysAreBoundedAndTheOldestIsForgottenFirst() {
    MemoryBroker broker = new MemoryBroker(HistoryConfig.DEFAULT, FAST_SWEEP, WAIT, 2);
    try {
      String ch = channel("a");
      join(broker.publish(ch, "message", data(1), "k1"));
      join(broker.publish(ch, "message", data(2), "k2"));
      join(broker.publish(ch, "message", data(3), "k3")); // forgets k1
      assertThat(join(broker.publish(ch, "message", data(3), "k3")).offset()).isEqualTo(3);
      assertThat(join(broker.publish(ch, "message", data(1), "k1")).offset()).isEqualTo(4);
    } finally {
      broker.close();
    }
  }

  @Test
  void relaysEveryOffsetExactlyOnceOnThePublishersThread() {
    Node node = start();
    String ch = channel("a");
    join(node.broker().subscribe(ch));
    publish(node.broker(), ch, 20);
    // The memory broker hands a publication to the listener before publish returns.
    assertThat(node.listener().messages(ch))
        .extracting(Message::offset)
        .containsExactlyElementsOf(java.util.stream.LongStream.rangeClosed(1, 20).boxed().toList());
  }

  @Test
  void futuresAreAlreadyComplete() {
    Node node = start();
    String ch = channel("a");
    assertThat(node.broker().publish(ch, "message", data(1))).isCompleted();
    assertThat(node.broker().subscribe(ch)).isCompleted();
    assertThat(node.broker().history(ch, 0)).isCompleted();
    assertThat(node.broker().unsubscribe(ch)).isCompleted();
  }

  @Test
  void anIdleEmptyChannelIsDroppedAndComesBackWithANewEpoch() {
    Node node = start();
    MemoryBroker broker = (MemoryBroker) node.broker();
    String ch = channel("a");
    String before = join(broker.history(ch, 0)).epoch();
    eventually().until(() -> broker.channelCount() == 0);
    History after = join(broker.history(ch, 0));
    assertThat(after.epoch()).isNotEqualTo(before);
    assertThat(after.head()).isZero();
  }

  @Test
  void aSubscribedChannelIsKeptWhileEmpty() {
    Node node = start();
    MemoryBroker broker = (MemoryBroker) node.broker();
    String ch = channel("a");
    String idle = channel("idle");
    String epoch = join(broker.subscribe(ch)).epoch();
    join(broker.history(idle, 0));
    // Once the unsubscribed empty channel is swept, the sweep has passed the subscribed one too.
    eventually().until(() -> broker.channelCount() == 1);
    assertThat(join(broker.history(ch, 0)).epoch()).isEqualTo(epoch);
    join(broker.unsubscribe(ch));
    eventually().until(() -> broker.channelCount() == 0);
    assertThat(join(broker.history(ch, 0)).epoch()).isNotEqualTo(epoch);
  }

  @Test
  void aChannelWithRetainedMessagesKeepsItsEpoch() {
    Node node = start();
    MemoryBroker broker = (MemoryBroker) node.broker();
    String ch = channel("a");
    String idle = channel("idle");
    Message m = join(broker.publish(ch, "message", data(1)));
    join(broker.history(idle, 0));
    eventually().until(() -> broker.channelCount() == 1);
    History h = join(broker.history(ch, 0));
    assertThat(h.epoch()).isEqualTo(m.epoch());
    assertThat(h.head()).isEqualTo(1);
  }

  @Test
  void expiredMessagesAreDroppedAndThenTheChannelGetsANewEpoch() {
    Node node = start(new HistoryConfig(100, Duration.ofSeconds(1)));
    MemoryBroker broker = (MemoryBroker) node.broker();
    String ch = channel("a");
    List<Message> published = publish(broker, ch, 3);
    eventually().until(() -> broker.channelCount() == 0);
    History h = join(broker.history(ch, 0));
    assertThat(h.epoch()).isNotEqualTo(published.get(0).epoch());
    assertThat(h.head()).isZero();
  }

  @Test
  void expiredMessagesOfASubscribedChannelAreDroppedButItsEpochAndHeadStay() {
    Node node = start(new HistoryConfig(100, Duration.ofSeconds(1)));
    MemoryBroker broker = (MemoryBroker) node.broker();
    String ch = channel("a");
    join(broker.subscribe(ch));
    List<Message> published = publish(broker, ch, 3);
    eventually().until(() -> join(broker.history(ch, 0)).messages().isEmpty());
    History h = join(broker.history(ch, 0));
    assertThat(h.epoch()).isEqualTo(published.get(0).epoch());
    assertThat(h.head()).isEqualTo(3);
    assertThat(join(broker.publish(ch, "message", data(4))).offset()).isEqualTo(4);
  }

  @Test
  void describesItselfAndIsAlwaysAvailable() {
    Node node = start();
    assertThat(node.broker().describe()).isEqualTo("memory");
    assertThat(node.broker().isAvailable()).isTrue();
  }
}
