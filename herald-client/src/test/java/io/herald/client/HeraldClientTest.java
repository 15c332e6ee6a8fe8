package io.herald.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.herald.core.Transport;
import java.net.URI;
import java.util.List;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.Test;

/** What the client refuses before sending anything (no server needed). */
class HeraldClientTest {
  private final HeraldClient client = HeraldClient.create(URI.create("http://127.0.0.1:1"));

  @Test
  void publishToAnInvalidChannelFailsWithoutSending() {
    assertThatThrownBy(() -> client.publishText("a/b", null, "x").join())
        .isInstanceOf(CompletionException.class)
        .cause()
        .isInstanceOfSatisfying(
            HeraldClientException.class,
            e -> {
              assertThat(e.status()).isZero();
              assertThat(e.code()).isEqualTo("invalid_channel");
            });
  }

  @Test
  void publishWithAReservedEventFailsWithoutSending() {
    assertThatThrownBy(() -> client.publishText("a", "herald.x", "x").join())
        .cause()
        .isInstanceOfSatisfying(
            HeraldClientException.class, e -> assertThat(e.code()).isEqualTo("invalid_event"));
  }

  @Test
  void subscribeRefusesRepeatedChannels() {
    assertThatThrownBy(
            () ->
                client.subscribe(
                    List.of("a", "a"), Transport.SSE, null, new SubscriptionListener() {}))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("listed twice");
  }

  @Test
  void onlyHttpAndHttpsServers() {
    assertThatThrownBy(() -> HeraldClient.create(URI.create("ftp://x")))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
