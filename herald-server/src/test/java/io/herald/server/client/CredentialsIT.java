package io.herald.server.client;

import static io.herald.server.client.ClientTestSupport.channel;
import static io.herald.server.client.ClientTestSupport.range;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.herald.client.HeraldClient;
import io.herald.client.HeraldClientException;
import io.herald.client.HeraldSubscription;
import io.herald.client.cli.PublishCommand;
import io.herald.client.cli.SubscribeCommand;
import io.herald.core.Message;
import io.herald.core.Transport;
import io.herald.server.HeraldServer;
import io.herald.server.LeakDetection;
import io.herald.server.ServerConfig;
import io.herald.server.auth.NamespacePolicy;
import io.herald.server.auth.NamespacePolicy.PublishAccess;
import io.herald.server.auth.NamespacePolicy.SubscribeAccess;
import io.herald.server.auth.TokenMinter;
import io.herald.server.client.CommandLineIT.Run;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import picocli.CommandLine;

/**
 * The Java client and the {@code herald} commands on a server that asks for credentials
 * (PROTOCOL.md section 10): tokens as {@code Authorization: Bearer}, API keys as {@code X-Api-Key},
 * on every transport; a token supplier carries a subscription past each token's expiry without loss
 * or repeats; refusals end a subscription with the server's code.
 */
@Timeout(120)
@ExtendWith(LeakDetection.class)
class CredentialsIT {
  private static final String SECRET = "credentials-it-secret-0123456789-abcdefghijklmn";
  private static final String API_KEY = "credentials-it-api-key-0123456789";
  private static final TokenMinter MINTER = new TokenMinter(SECRET);
  private static HeraldServer server;
  private static String base;

  @BeforeAll
  static void start() {
    server =
        HeraldServer.start(
            ServerConfig.builder()
                .host("127.0.0.1")
                .port(0)
                .sseHeartbeat(Duration.ofSeconds(1))
                .shutdownTimeout(Duration.ofSeconds(2))
                .authHmacSecret(SECRET)
                .apiKeys(List.of(API_KEY))
                .namespaces(
                    List.of(NamespacePolicy.of("news", SubscribeAccess.PUBLIC, PublishAccess.API)))
                .build());
    base = server.baseUrl();
  }

  @AfterAll
  static void stop() {
    if (server != null) {
      server.close();
    }
  }

  private static HeraldClient.Builder client() {
    return HeraldClient.builder(URI.create(base))
        .shortPollInterval(Duration.ofMillis(50))
        .longPollWait(Duration.ofSeconds(2))
        .reconnectDelay(Duration.ofMillis(100))
        .requestTimeout(Duration.ofSeconds(5));
  }

  private static String token(String sub, String pattern, Duration ttl) {
    return MINTER.mint(sub, List.of(pattern), List.of(pattern), ttl, null);
  }

  private static HeraldClientException refusal(Throwable t) {
    Throwable c = t instanceof CompletionException && t.getCause() != null ? t.getCause() : t;
    assertThat(c).isInstanceOf(HeraldClientException.class);
    return (HeraldClientException) c;
  }

  @Test
  void publishSendsTheTokenOrTheApiKeyAndIsRefusedWithoutEither() {
    String ch = channel("cred-pub");
    assertThatThrownBy(() -> client().build().publishText(ch, null, "x").join())
        .satisfies(t -> assertThat(refusal(t).code()).isEqualTo("unauthorized"));
    assertThat(
            client()
                .token(token("42", ch, Duration.ofMinutes(1)))
                .build()
                .publishText(ch, null, "a")
                .join()
                .offset())
        .isEqualTo(1);
    assertThat(client().apiKey(API_KEY).build().publishText(ch, null, "b").join().offset())
        .isEqualTo(2);
    assertThatThrownBy(
            () ->
                client()
                    .token(token("42", "other:*", Duration.ofMinutes(1)))
                    .build()
                    .publishText(ch, null, "c")
                    .join())
        .satisfies(t -> assertThat(refusal(t).code()).isEqualTo("forbidden"));
    assertThatThrownBy(
            () -> client().apiKey("not-the-key").build().publishText(ch, null, "d").join())
        .satisfies(t -> assertThat(refusal(t).status()).isEqualTo(401));
  }

  @ParameterizedTest
  @EnumSource(Transport.class)
  void aTokenSupplierCarriesASubscriptionPastEachTokensExpiryWithNothingLostOrRepeated(
      Transport transport) {
    String ch = channel("cred-renew-" + transport.wireName());
    AtomicInteger asked = new AtomicInteger();
    HeraldClient reader =
        client()
            .tokenSupplier(
                () -> {
                  asked.incrementAndGet();
                  return token("reader", ch, Duration.ofSeconds(2));
                })
            .build();
    HeraldClient writer = client().apiKey(API_KEY).build();
    Recorder rec = new Recorder();
    HeraldSubscription sub = reader.subscribe(List.of(ch), transport, null, rec);
    try {
      rec.awaitSubscribed(ch);
      long started = System.nanoTime();
      int sent = 0;
      // publish for 6 s: three token lifetimes
      while (System.nanoTime() - started < Duration.ofSeconds(6).toNanos()) {
        writer.publishText(ch, null, "m" + (++sent)).join();
        int expected = sent;
        rec.awaitUntil("message " + expected, 15, () -> rec.messages.size() >= expected);
      }
      assertThat(rec.messages.stream().map(Message::offset).toList()).isEqualTo(range(1, sent));
      assertThat(rec.gaps).isEmpty();
      assertThat(asked.get()).as("tokens asked for").isGreaterThanOrEqualTo(3);
      assertThat(sub.done()).isNotDone();
    } finally {
      sub.close();
    }
  }

  @ParameterizedTest
  @EnumSource(Transport.class)
  void aSubscriptionWithoutACredentialOrWithAForbiddenChannelEndsWithTheServersCode(
      Transport transport) {
    String ch = channel("cred-refused-" + transport.wireName());
    Recorder none = new Recorder();
    HeraldSubscription s1 = client().build().subscribe(List.of(ch), transport, null, none);
    await().atMost(Duration.ofSeconds(10)).until(() -> s1.done().isDone());
    assertThatThrownBy(() -> s1.done().join())
        .satisfies(t -> assertThat(refusal(t).status()).isEqualTo(401));
    Recorder other = new Recorder();
    HeraldSubscription s2 =
        client()
            .token(token("42", "elsewhere:*", Duration.ofMinutes(1)))
            .build()
            .subscribe(List.of(ch), transport, null, other);
    await().atMost(Duration.ofSeconds(10)).until(() -> s2.done().isDone());
    assertThatThrownBy(() -> s2.done().join()).isInstanceOf(CompletionException.class);
    assertThat(s2.done().isCompletedExceptionally()).isTrue();
  }

  @Test
  void anApiKeyReadsAnyChannelAndAPublicNamespaceNeedsNothingToRead() {
    String news = "news:" + channel("cred-news");
    Recorder open = new Recorder();
    HeraldSubscription s = client().build().subscribe(List.of(news), Transport.SSE, null, open);
    String secret = channel("cred-backend");
    Recorder backend = new Recorder();
    HeraldSubscription b =
        client()
            .apiKey(API_KEY)
            .build()
            .subscribe(List.of(secret), Transport.WEBSOCKET, null, backend);
    try {
      open.awaitSubscribed(news);
      backend.awaitSubscribed(secret);
      HeraldClient writer = client().apiKey(API_KEY).build();
      writer.publishText(news, null, "headline").join();
      writer.publishText(secret, null, "for backends").join();
      open.awaitUntil("the headline", 10, () -> open.messages.size() == 1);
      backend.awaitUntil("the message", 10, () -> backend.messages.size() == 1);
      // a token cannot publish in an api-only namespace
      assertThatThrownBy(
              () ->
                  client()
                      .token(token("42", "news:*", Duration.ofMinutes(1)))
                      .build()
                      .publishText(news, null, "x")
                      .join())
          .satisfies(t -> assertThat(refusal(t).code()).isEqualTo("forbidden"));
    } finally {
      s.close();
      b.close();
    }
  }

  @Test
  void theCommandsTakeTokenAndApiKeyOptions() throws Exception {
    String ch = channel("cred-cli");
    Run denied = new Run(new PublishCommand().input(CommandLineIT.input("one\ntwo\n")));
    assertThat(denied.execute(ch, "--server", base)).isEqualTo(2);
    assertThat(String.join("\n", denied.errLines())).contains("unauthorized");
    Run withKey = new Run(new PublishCommand().input(CommandLineIT.input("one\ntwo\n")));
    assertThat(withKey.execute(ch, "--server", base, "--api-key", API_KEY)).isZero();
    assertThat(withKey.errLines()).hasSize(2);
    Run withToken = new Run(new PublishCommand().input(CommandLineIT.input("three\n")));
    assertThat(
            withToken.execute(
                ch, "--server", base, "--token", token("7", ch, Duration.ofMinutes(1))))
        .isZero();
    Run sub = new Run(new CommandLine(new SubscribeCommand()));
    String epoch = withToken.errLines().get(0).split(":")[0];
    assertThat(
            sub.execute(
                ch,
                "--server",
                base,
                "--transport",
                "short-poll",
                "--since",
                epoch + ":0",
                "--count",
                "3",
                "--token",
                token("7", ch, Duration.ofMinutes(1))))
        .isZero();
    assertThat(sub.outLines()).hasSize(3);
    Run subDenied = new Run(new CommandLine(new SubscribeCommand()));
    assertThat(subDenied.execute(ch, "--server", base, "--transport", "sse")).isEqualTo(1);
  }
}
