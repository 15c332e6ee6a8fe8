package io.herald.server.client;

import static io.herald.server.client.ClientTestSupport.channel;
import static io.herald.server.client.ClientTestSupport.publish;
import static io.herald.server.client.ClientTestSupport.range;
import static org.assertj.core.api.Assertions.assertThat;

import io.herald.client.HeraldClient;
import io.herald.client.HeraldSubscription;
import io.herald.client.Published;
import io.herald.core.Cursor;
import io.herald.core.Position;
import io.herald.core.Transport;
import io.herald.server.HeraldServer;
import io.herald.server.LeakDetection;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * One delivery-and-recovery suite, run over each of the four transports with the Java client
 * against a real server (PROTOCOL.md sections 2 to 4). "Exactly once" is checked with a marker:
 * after the expected messages, one more is published and must be the next and last one received.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
@ExtendWith(LeakDetection.class)
class TransportDeliveryIT {
  static HeraldServer server;
  static HeraldClient client;

  @BeforeAll
  static void start() {
    server = ClientTestSupport.server();
    client = ClientTestSupport.client(server);
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  @ParameterizedTest
  @EnumSource(Transport.class)
  void receivesWhatIsPublishedAfterSubscribingInOrderExactlyOnce(Transport transport) {
    String ch = channel("deliver-" + transport.wireName());
    Recorder r = new Recorder();
    try (HeraldSubscription s = client.subscribe(List.of(ch), transport, null, r)) {
      r.awaitSubscribed(ch);
      assertThat(r.subscribed.get(ch).recovered()).isTrue();
      assertThat(r.subscribed.get(ch).position().offset()).isZero();
      List<Published> sent = publish(client, ch, "m", 1, 30);
      r.awaitMessages(30);
      publish(client, ch, "marker", 31, 31);
      r.awaitMessages(31);
      assertThat(r.offsets(ch)).isEqualTo(range(1, 31));
      assertThat(r.data().get(0)).isEqualTo("\"m1\"");
      assertThat(r.data().get(30)).isEqualTo("\"marker31\"");
      assertThat(r.messages).allSatisfy(m -> assertThat(m.epoch()).isEqualTo(sent.get(0).epoch()));
      assertThat(s.cursor().toString()).isEqualTo(sent.get(0).epoch() + ":31");
      assertThat(r.overlapped).as("listener calls never overlap").isFalse();
      assertThat(r.gaps).isEmpty();
    }
  }

  @ParameterizedTest
  @EnumSource(Transport.class)
  void resumesFromItsCursorWithNothingLostOrDuplicatedAfterADisconnect(Transport transport) {
    String ch = channel("resume-" + transport.wireName());
    Recorder first = new Recorder();
    Cursor cursor;
    try (HeraldSubscription s = client.subscribe(List.of(ch), transport, null, first)) {
      first.awaitSubscribed(ch);
      publish(client, ch, "a", 1, 5);
      first.awaitMessages(5);
      cursor = s.cursor();
    }
    publish(client, ch, "b", 6, 12); // published while disconnected
    Recorder second = new Recorder();
    try (HeraldSubscription s = client.subscribe(List.of(ch), transport, cursor, second)) {
      second.awaitSubscribed(ch);
      assertThat(second.subscribed.get(ch).recovered()).isTrue();
      assertThat(second.subscribed.get(ch).position()).isEqualTo(cursor.get(0));
      publish(client, ch, "c", 13, 15);
      second.awaitMessages(10);
      assertThat(second.offsets(ch)).isEqualTo(range(6, 15));
      assertThat(first.offsets(ch)).isEqualTo(range(1, 5));
      assertThat(s.cursor().get(0).offset()).isEqualTo(15);
    }
  }

  @ParameterizedTest
  @EnumSource(Transport.class)
  void notRecoveredWhenTheEpochIsWrongAndContinuesFromTheHead(Transport transport) {
    String ch = channel("epoch-" + transport.wireName());
    String epoch = publish(client, ch, "old", 1, 3).get(0).epoch();
    String wrong = epoch.equals("zz99") ? "zz98" : "zz99";
    Recorder r = new Recorder();
    try (HeraldSubscription s =
        client.subscribe(List.of(ch), transport, Cursor.parse(wrong + ":1", 1), r)) {
      r.awaitSubscribed(ch);
      assertThat(r.subscribed.get(ch).recovered()).isFalse();
      assertThat(r.subscribed.get(ch).position()).isEqualTo(new Position(epoch, 3));
      publish(client, ch, "new", 4, 4);
      r.awaitMessages(1);
      publish(client, ch, "marker", 5, 5);
      r.awaitMessages(2);
      assertThat(r.offsets(ch)).containsExactly(4L, 5L);
      assertThat(s.cursor().get(0)).isEqualTo(new Position(epoch, 5));
    }
  }

  @ParameterizedTest
  @EnumSource(Transport.class)
  void notRecoveredWhenTheOffsetIsAheadOfTheHead(Transport transport) {
    String ch = channel("ahead-" + transport.wireName());
    String epoch = publish(client, ch, "old", 1, 2).get(0).epoch();
    Recorder r = new Recorder();
    try (HeraldSubscription s =
        client.subscribe(List.of(ch), transport, Cursor.parse(epoch + ":99", 1), r)) {
      r.awaitSubscribed(ch);
      assertThat(r.subscribed.get(ch).recovered()).isFalse();
      assertThat(r.subscribed.get(ch).position()).isEqualTo(new Position(epoch, 2));
      publish(client, ch, "new", 3, 4);
      r.awaitMessages(2);
      assertThat(r.offsets(ch)).containsExactly(3L, 4L);
      assertThat(s.cursor().get(0)).isEqualTo(new Position(epoch, 4));
    }
  }

  @ParameterizedTest
  @EnumSource(Transport.class)
  void bareOffsetResumesWithoutAnEpochCheck(Transport transport) {
    String ch = channel("bare-" + transport.wireName());
    publish(client, ch, "old", 1, 4);
    Recorder r = new Recorder();
    try (HeraldSubscription s = client.subscribe(List.of(ch), transport, Cursor.parse("2", 1), r)) {
      r.awaitSubscribed(ch);
      assertThat(r.subscribed.get(ch).recovered()).isTrue();
      r.awaitMessages(2);
      publish(client, ch, "marker", 5, 5);
      r.awaitMessages(3);
      assertThat(r.offsets(ch)).containsExactly(3L, 4L, 5L);
      assertThat(s.cursor().get(0).offset()).isEqualTo(5);
    }
  }

  @ParameterizedTest
  @EnumSource(Transport.class)
  void multiChannelSubscriptionDeliversEachChannelInOrderAndResumesFromItsCursor(
      Transport transport) {
    String a = channel("multi-a-" + transport.wireName());
    String b = channel("multi-b-" + transport.wireName());
    publish(client, b, "b", 1, 2); // b has history; a is new
    Recorder first = new Recorder();
    Cursor cursor;
    try (HeraldSubscription s = client.subscribe(List.of(a, b), transport, null, first)) {
      first.awaitSubscribed(a, b);
      assertThat(first.subscribed.get(a).position().offset()).isZero();
      assertThat(first.subscribed.get(b).position().offset()).isEqualTo(2);
      for (int i = 1; i <= 5; i++) {
        publish(client, a, "a", i, i);
        publish(client, b, "b", i + 2, i + 2);
      }
      first.awaitMessages(10);
      assertThat(first.offsets(a)).isEqualTo(range(1, 5));
      assertThat(first.offsets(b)).isEqualTo(range(3, 7));
      cursor = s.cursor();
      assertThat(cursor.get(0).offset()).isEqualTo(5);
      assertThat(cursor.get(1).offset()).isEqualTo(7);
    }
    publish(client, a, "a", 6, 7);
    publish(client, b, "b", 8, 8);
    Recorder second = new Recorder();
    try (HeraldSubscription s = client.subscribe(List.of(a, b), transport, cursor, second)) {
      second.awaitSubscribed(a, b);
      assertThat(second.subscribed.values()).allSatisfy(x -> assertThat(x.recovered()).isTrue());
      second.awaitMessages(3);
      publish(client, b, "marker", 9, 9);
      second.awaitMessages(4);
      assertThat(second.offsets(a)).containsExactly(6L, 7L);
      assertThat(second.offsets(b)).containsExactly(8L, 9L);
      assertThat(s.cursor().get(0).offset()).isEqualTo(7);
      assertThat(s.cursor().get(1).offset()).isEqualTo(9);
    }
  }

  @ParameterizedTest
  @EnumSource(
      value = Transport.class,
      names = {"LONG_POLL", "SHORT_POLL"})
  void pollsPageThroughABacklogLargerThanTheLimitInOrder(Transport transport) {
    HeraldClient paged =
        HeraldClient.builder(java.net.URI.create(server.baseUrl()))
            .pollLimit(3)
            .shortPollInterval(
                java.time.Duration.ofSeconds(
                    5)) // a full answer is followed at once, not after this
            .longPollWait(java.time.Duration.ofSeconds(2))
            .build();
    String ch = channel("paged-" + transport.wireName());
    String epoch = publish(client, ch, "m", 1, 20).get(0).epoch();
    Recorder r = new Recorder();
    try (HeraldSubscription s =
        paged.subscribe(List.of(ch), transport, Cursor.parse(epoch + ":0", 1), r)) {
      r.awaitMessages(20);
      assertThat(r.offsets(ch)).isEqualTo(range(1, 20));
      assertThat(r.subscribed.get(ch))
          .isEqualTo(new Recorder.Subscribed(new Position(epoch, 0), true));
      assertThat(s.cursor().get(0)).isEqualTo(new Position(epoch, 20));
    }
  }
}
