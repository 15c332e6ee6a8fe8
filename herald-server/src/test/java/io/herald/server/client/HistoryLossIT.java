package io.herald.server.client;

import static io.herald.server.client.ClientTestSupport.channel;
import static io.herald.server.client.ClientTestSupport.publish;
import static io.herald.server.client.ClientTestSupport.range;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.herald.client.HeraldClient;
import io.herald.client.HeraldSubscription;
import io.herald.core.Cursor;
import io.herald.core.Message;
import io.herald.core.Position;
import io.herald.core.Transport;
import io.herald.server.HeraldServer;
import io.herald.server.LeakDetection;
import io.herald.server.ServerConfig;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * PROTOCOL.md section 4 when history is short (5 messages): a position whose next messages were
 * dropped is not recovered on any transport, and a subscriber that falls behind history is told of
 * the gap and moved on, never given a silent hole.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
@ExtendWith(LeakDetection.class)
class HistoryLossIT {
  static HeraldServer server;
  static HeraldClient client;

  @BeforeAll
  static void start() {
    server =
        HeraldServer.start(
            ServerConfig.builder()
                .host("127.0.0.1")
                .port(0)
                .historySize(5)
                .shutdownTimeout(Duration.ofSeconds(2))
                .build());
    client = ClientTestSupport.client(server);
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  @ParameterizedTest
  @EnumSource(Transport.class)
  void notRecoveredWhenMessagesAfterThePositionWereDroppedAndNoPartialReplay(Transport transport) {
    String ch = channel("dropped-" + transport.wireName());
    String epoch = publish(client, ch, "old", 1, 20).get(0).epoch(); // retains 16..20
    Recorder r = new Recorder();
    try (HeraldSubscription s =
        client.subscribe(List.of(ch), transport, Cursor.parse(epoch + ":2", 1), r)) {
      r.awaitSubscribed(ch);
      assertThat(r.subscribed.get(ch))
          .isEqualTo(new Recorder.Subscribed(new Position(epoch, 20), false));
      publish(client, ch, "new", 21, 22);
      r.awaitMessages(2);
      assertThat(r.offsets(ch)).containsExactly(21L, 22L);
      assertThat(s.cursor().get(0)).isEqualTo(new Position(epoch, 22));
    }
  }

  @ParameterizedTest
  @EnumSource(Transport.class)
  void resumesWhenEveryMessageAfterThePositionIsStillRetained(Transport transport) {
    String ch = channel("retained-" + transport.wireName());
    String epoch = publish(client, ch, "old", 1, 20).get(0).epoch();
    Recorder r = new Recorder();
    try (HeraldSubscription s =
        client.subscribe(List.of(ch), transport, Cursor.parse(epoch + ":15", 1), r)) {
      r.awaitSubscribed(ch);
      assertThat(r.subscribed.get(ch).recovered()).isTrue();
      r.awaitMessages(5);
      publish(client, ch, "marker", 21, 21);
      r.awaitMessages(6);
      assertThat(r.offsets(ch)).isEqualTo(range(16, 21));
      assertThat(s.cursor().get(0).offset()).isEqualTo(21);
    }
  }

  @Test
  void shortPollReportsAGapWhenHistoryPassesItsCursorBetweenPolls() {
    HeraldClient slow =
        HeraldClient.builder(URI.create(server.baseUrl()))
            .shortPollInterval(Duration.ofSeconds(3))
            .build();
    String ch = channel("gap-short");
    Recorder r = new Recorder();
    try (HeraldSubscription s = slow.subscribe(List.of(ch), Transport.SHORT_POLL, null, r)) {
      r.awaitSubscribed(ch);
      String epoch =
          publish(client, ch, "m", 1, 12).get(0).epoch(); // retains 8..12 before the next poll
      // Section 4: nothing from the lost position, not even what is retained; on from the head.
      await().atMost(Duration.ofSeconds(15)).until(() -> !r.gaps.isEmpty());
      assertThat(r.gaps).containsExactly(ch + "@" + epoch + ":12");
      assertThat(s.cursor().get(0)).isEqualTo(new Position(epoch, 12));
      publish(client, ch, "m", 13, 13);
      r.awaitMessages(1);
      assertThat(r.offsets(ch)).containsExactly(13L);
    }
  }

  @ParameterizedTest
  @EnumSource(
      value = Transport.class,
      names = {"WEBSOCKET", "SSE"})
  void streamingSubscriberThatFallsBehindHistoryGetsAGapAndMovesOn(Transport transport)
      throws Exception {
    String ch = channel("gap-" + transport.wireName());
    CountDownLatch release = new CountDownLatch(1);
    Recorder r =
        new Recorder() {
          @Override
          public void onMessage(Message message) {
            super.onMessage(message);
            if (messages.size() == 1) {
              try {
                release.await(
                    60, TimeUnit.SECONDS); // a stalled reader: the client reads nothing more
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
            }
          }
        };
    String big = "x".repeat(60_000);
    int count = 400; // 24 MB: more than loopback socket buffers hold
    try (HeraldSubscription s = client.subscribe(List.of(ch), transport, null, r)) {
      r.awaitSubscribed(ch);
      String epoch = null;
      for (int i = 1; i <= count; i++) {
        epoch = client.publishText(ch, null, big).join().epoch();
      }
      release.countDown();
      r.awaitUntil("a gap", 60, () -> !r.gaps.isEmpty());
      client.publishText(ch, null, "marker").join();
      r.awaitUntil(
          "the marker after the gap",
          60,
          () -> r.messages.get(r.messages.size() - 1).offset() == count + 1);
      List<Long> offsets = r.offsets(ch);
      for (int i = 1; i < offsets.size(); i++) {
        assertThat(offsets.get(i)).isGreaterThan(offsets.get(i - 1));
      }
      assertThat(offsets.size()).isLessThan(count);
      assertThat(s.cursor().get(0)).isEqualTo(new Position(epoch, count + 1));
    }
  }
}
