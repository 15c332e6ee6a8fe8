package io.herald.server.client;

import static io.herald.server.client.ClientTestSupport.channel;
import static io.herald.server.client.ClientTestSupport.publish;
import static io.herald.server.client.ClientTestSupport.range;
import static org.assertj.core.api.Assertions.assertThat;

import io.herald.client.HeraldClient;
import io.herald.client.HeraldSubscription;
import io.herald.core.Cursor;
import io.herald.core.Transport;
import io.herald.server.HeraldServer;
import io.herald.server.LeakDetection;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * PROTOCOL.md section 3: "a cursor taken from an SSE event id, a poll response or WebSocket
 * positions resumes on any other transport without loss or duplication", as a 4x4 matrix over two
 * channels.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
@ExtendWith(LeakDetection.class)
class CrossTransportIT {
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

  static Stream<Arguments> pairs() {
    List<Arguments> out = new ArrayList<>();
    for (Transport from : Transport.values()) {
      for (Transport to : Transport.values()) {
        out.add(Arguments.of(from, to));
      }
    }
    return out.stream();
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @MethodSource("pairs")
  void cursorFromOneTransportResumesOnAnotherWithNothingLostOrDuplicated(
      Transport from, Transport to) {
    String a = channel("x-a-" + from.wireName() + "-" + to.wireName());
    String b = channel("x-b-" + from.wireName() + "-" + to.wireName());
    Recorder first = new Recorder();
    Cursor cursor;
    try (HeraldSubscription s = client.subscribe(List.of(a, b), from, null, first)) {
      first.awaitSubscribed(a, b);
      publish(client, a, "a", 1, 3);
      publish(client, b, "b", 1, 2);
      first.awaitMessages(5);
      cursor = s.cursor();
    }
    assertThat(first.offsets(a)).isEqualTo(range(1, 3));
    assertThat(first.offsets(b)).isEqualTo(range(1, 2));
    publish(client, a, "a", 4, 6); // while nobody listens
    publish(client, b, "b", 3, 3);
    Recorder second = new Recorder();
    try (HeraldSubscription s =
        client.subscribe(List.of(a, b), to, Cursor.parse(cursor.toString(), 2), second)) {
      second.awaitSubscribed(a, b);
      assertThat(second.subscribed.get(a).recovered()).isTrue();
      assertThat(second.subscribed.get(b).recovered()).isTrue();
      publish(client, a, "a", 7, 7);
      publish(client, b, "b", 4, 4);
      second.awaitMessages(6);
      publish(client, a, "marker", 8, 8);
      second.awaitMessages(7);
      assertThat(second.offsets(a)).isEqualTo(range(4, 8));
      assertThat(second.offsets(b)).isEqualTo(range(3, 4));
      assertThat(second.gaps).isEmpty();
      assertThat(s.cursor().toString())
          .isEqualTo(
              second.messages.get(0).epoch()
                  + ":8,"
                  + first.messages.stream()
                      .filter(m -> m.channel().equals(b))
                      .findFirst()
                      .orElseThrow()
                      .epoch()
                  + ":4");
    }
  }
}
