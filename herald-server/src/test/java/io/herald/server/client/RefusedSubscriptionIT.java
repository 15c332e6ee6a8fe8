package io.herald.server.client;

import static io.herald.server.client.ClientTestSupport.channel;
import static org.assertj.core.api.Assertions.assertThat;

import io.herald.client.HeraldClient;
import io.herald.client.HeraldClientException;
import io.herald.client.HeraldSubscription;
import io.herald.core.Transport;
import io.herald.server.HeraldServer;
import io.herald.server.LeakDetection;
import io.herald.server.ServerConfig;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * What the server refuses ends the client's subscription or publication with the server's error
 * code.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
@ExtendWith(LeakDetection.class)
class RefusedSubscriptionIT {
  static HeraldServer server;
  static HeraldClient client;

  @BeforeAll
  static void start() {
    server =
        HeraldServer.start(
            ServerConfig.builder()
                .host("127.0.0.1")
                .port(0)
                .maxChannelsPerSubscription(2)
                .maxMessageBytes(100)
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
  void tooManyChannelsEndsTheSubscriptionWithTheServersCode(Transport transport) {
    Recorder r = new Recorder();
    HeraldSubscription s =
        client.subscribe(List.of(channel("t1"), channel("t2"), channel("t3")), transport, null, r);
    try {
      assertThat(s.done())
          .failsWithin(Duration.ofSeconds(10))
          .withThrowableOfType(java.util.concurrent.ExecutionException.class)
          .havingCause()
          .isInstanceOfSatisfying(
              HeraldClientException.class,
              e -> {
                assertThat(e.status()).isEqualTo(400);
                assertThat(e.code()).isEqualTo("too_many_channels");
              });
      assertThat(r.errors).hasSize(1);
      assertThat(r.messages).isEmpty();
    } finally {
      s.close();
    }
  }

  @Test
  void publishTooLargeFailsWithMessageTooLarge() {
    assertThat(client.publishText(channel("big"), null, "x".repeat(500)))
        .failsWithin(Duration.ofSeconds(10))
        .withThrowableOfType(java.util.concurrent.ExecutionException.class)
        .havingCause()
        .isInstanceOfSatisfying(
            HeraldClientException.class,
            e -> {
              assertThat(e.status()).isEqualTo(413);
              assertThat(e.code()).isEqualTo("message_too_large");
              assertThat(e.getMessage()).contains("100");
            });
  }

  @Test
  void publishBrokenJsonFailsWithInvalidJson() {
    var f =
        client.publish(
            channel("json"), null, "{nope".getBytes(java.nio.charset.StandardCharsets.UTF_8));
    try {
      f.join();
    } catch (CompletionException e) {
      assertThat(e.getCause())
          .isInstanceOfSatisfying(
              HeraldClientException.class,
              h -> {
                assertThat(h.status()).isEqualTo(400);
                assertThat(h.code()).isEqualTo("invalid_json");
              });
      return;
    }
    throw new AssertionError("broken JSON was accepted");
  }
}
