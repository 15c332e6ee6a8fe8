package io.herald.server.client;

import static io.herald.server.client.ClientTestSupport.channel;
import static io.herald.server.client.ClientTestSupport.publish;
import static org.assertj.core.api.Assertions.assertThat;

import io.herald.client.HeraldClient;
import io.herald.client.HeraldSubscription;
import io.herald.core.Position;
import io.herald.core.Transport;
import io.herald.server.HeraldServer;
import io.herald.server.LeakDetection;
import io.herald.server.ServerConfig;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A subscription outlives its server: when the server shuts down (WebSocket 1001, SSE stream ended,
 * polls refused) the client reports the error and reopens from its cursor; the restarted in-memory
 * server has a new epoch, so the listener gets a gap and delivery continues from the new head.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
@ExtendWith(LeakDetection.class)
class ReconnectIT {
  @ParameterizedTest
  @EnumSource(Transport.class)
  void reopensFromItsCursorAfterTheServerRestarts(Transport transport) {
    HeraldServer first =
        HeraldServer.start(
            ServerConfig.builder()
                .host("127.0.0.1")
                .port(0)
                .shutdownTimeout(Duration.ofSeconds(2))
                .build());
    int port = first.port();
    HeraldClient client = ClientTestSupport.client(first);
    String ch = channel("restart-" + transport.wireName());
    Recorder r = new Recorder();
    HeraldServer second = null;
    try (HeraldSubscription s = client.subscribe(List.of(ch), transport, null, r)) {
      r.awaitSubscribed(ch);
      String oldEpoch = publish(client, ch, "m", 1, 2).get(0).epoch();
      r.awaitMessages(2);
      first.close();
      r.awaitUntil("an error when the server stops", 15, () -> !r.errors.isEmpty());
      second =
          HeraldServer.start(
              ServerConfig.builder()
                  .host("127.0.0.1")
                  .port(port)
                  .shutdownTimeout(Duration.ofSeconds(2))
                  .build());
      r.awaitUntil("a gap after the restart", 15, () -> !r.gaps.isEmpty());
      String newEpoch = publish(client, ch, "n", 1, 1).get(0).epoch();
      assertThat(newEpoch).isNotEqualTo(oldEpoch);
      r.awaitMessages(3);
      assertThat(r.subscribedLog).hasSize(1);
      assertThat(r.gaps).containsExactly(ch + "@" + newEpoch + ":0");
      assertThat(r.messages)
          .extracting(m -> m.position().toString())
          .containsExactly(oldEpoch + ":1", oldEpoch + ":2", newEpoch + ":1");
      assertThat(s.cursor().get(0)).isEqualTo(new Position(newEpoch, 1));
      assertThat(s.done()).isNotDone();
    } finally {
      first.close();
      if (second != null) {
        second.close();
      }
    }
  }
}
