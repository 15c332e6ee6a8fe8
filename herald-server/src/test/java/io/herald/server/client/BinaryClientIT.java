package io.herald.server.client;

import static io.herald.server.client.ClientTestSupport.channel;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.herald.client.HeraldClient;
import io.herald.client.HeraldClientException;
import io.herald.client.HeraldSubscription;
import io.herald.client.Published;
import io.herald.core.Message;
import io.herald.core.Transport;
import io.herald.server.HeraldServer;
import io.herald.server.LeakDetection;
import java.util.List;
import java.util.Random;
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
 * The Java client and binary messages (PROTOCOL.md section 11): {@code publishBinary} sends raw
 * bytes, and every transport hands them to the listener as the same bytes and content type.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
@ExtendWith(LeakDetection.class)
class BinaryClientIT {
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
  void binaryDataArrivesAsTheSameBytesWithItsContentType(Transport transport) {
    String ch = channel("bin-" + transport.wireName());
    byte[] every = new byte[256];
    for (int i = 0; i < 256; i++) {
      every[i] = (byte) i;
    }
    byte[] random = new byte[60 * 1024];
    new Random(7).nextBytes(random);
    Recorder r = new Recorder();
    try (HeraldSubscription s = client.subscribe(List.of(ch), transport, null, r)) {
      r.awaitSubscribed(ch);
      Published p = client.publishBinary(ch, "blob", every, "application/octet-stream").join();
      assertThat(p.offset()).isEqualTo(1);
      client.publishBinary(ch, null, random, "image/png").join();
      client.publish(ch, null, "{\"after\":true}".getBytes()).join();
      r.awaitMessages(3);
      Message first = r.messages.get(0);
      assertThat(first.isBinary()).isTrue();
      assertThat(first.event()).isEqualTo("blob");
      assertThat(first.contentType()).isEqualTo("application/octet-stream");
      assertThat(first.data()).isEqualTo(every);
      assertThat(r.messages.get(1).contentType()).isEqualTo("image/png");
      assertThat(r.messages.get(1).data()).isEqualTo(random);
      assertThat(r.messages.get(2).isBinary()).isFalse();
      assertThat(r.offsets(ch)).containsExactly(1L, 2L, 3L);
    }
  }

  @Test
  void publishBinaryRefusesAJsonOrTextContentTypeWithoutSending() {
    assertThatThrownBy(
            () -> client.publishBinary(channel("binjson"), null, new byte[1], "text/plain").join())
        .isInstanceOf(CompletionException.class)
        .cause()
        .isInstanceOf(HeraldClientException.class)
        .hasMessageContaining("JSON or text");
  }

  @Test
  void publishBinaryOverTheLimitFailsWith413() {
    int max = server.config().maxMessageBytes();
    assertThatThrownBy(
            () ->
                client
                    .publishBinary(
                        channel("binbig"), null, new byte[max + 1], "application/octet-stream")
                    .join())
        .cause()
        .isInstanceOfSatisfying(
            HeraldClientException.class, e -> assertThat(e.status()).isEqualTo(413));
  }

  @Test
  void heraldSubscribePrintsTheBase64EnvelopeAsTheServerSentIt() throws Exception {
    String ch = channel("bincli");
    byte[] bytes = {0, (byte) 0xff, '\n', '"', 7};
    Published p = client.publishBinary(ch, null, bytes, "application/octet-stream").join();
    CommandLineIT.Run run = new CommandLineIT.Run(new io.herald.client.cli.SubscribeCommand());
    int exit =
        run.execute(
            ch,
            "--server",
            server.baseUrl(),
            "--transport",
            "sse",
            "--since",
            p.epoch() + ":0",
            "--count",
            "1");
    assertThat(exit).isZero();
    String poll =
        io.herald.server.TestClients.get(server.baseUrl() + "/channels/" + ch + "?since=0").body();
    String envelope = run.outLines().get(0);
    assertThat(poll).contains("[" + envelope + "]");
    assertThat(envelope).contains("\"data\":\"AP8KIgc=\",\"encoding\":\"base64\"");
  }
}
