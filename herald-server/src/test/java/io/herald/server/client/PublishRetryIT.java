package io.herald.server.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.herald.client.HeraldClient;
import io.herald.client.HeraldClientException;
import io.herald.client.Published;
import io.herald.client.cli.PublishCommand;
import io.herald.redis.RedisServerProcess;
import io.herald.server.HeraldServer;
import io.herald.server.LeakDetection;
import io.herald.server.ServerConfig;
import io.herald.server.TestClients;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import picocli.CommandLine;

/**
 * The Java client and {@code herald publish} send an idempotency key with every publication and
 * retry what the server could not take, or whose outcome it could not tell, with it: against a node
 * whose Redis is frozen (SIGSTOP) and then thawed, each publication lands exactly once.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
@ExtendWith(LeakDetection.class)
class PublishRetryIT {
  private static final Duration WAIT = Duration.ofSeconds(30);
  private RedisServerProcess redis;
  private HeraldServer node;

  @BeforeEach
  void start() {
    redis = RedisServerProcess.start();
    node =
        HeraldServer.start(
            ServerConfig.builder()
                .port(0)
                .broker(redis.uri())
                .redisCommandTimeout(Duration.ofMillis(300))
                .shutdownTimeout(Duration.ofSeconds(2))
                .build());
    await().atMost(WAIT).until(() -> node.hub().broker().isAvailable());
  }

  @AfterEach
  void stop() {
    if (node != null) {
      node.close();
    }
    if (redis != null) {
      redis.close();
    }
  }

  private void freeze() {
    redis.freeze();
    await()
        .atMost(WAIT)
        .until(() -> TestClients.get(node.baseUrl() + "/health").statusCode() == 503);
  }

  private List<JsonNode> history(String channel, String epoch) {
    JsonNode poll =
        TestClients.json(
            TestClients.get(
                    node.baseUrl() + "/channels/" + channel + "?limit=1000&since=" + epoch + ":0")
                .body());
    List<JsonNode> out = new ArrayList<>();
    poll.get("messages").forEach(out::add);
    return out;
  }

  @Test
  void theJavaClientRetriesAPublicationTheServerCouldNotTakeAndItLandsOnce() {
    String ch = TestClients.channel("client-retry");
    HeraldClient noRetry =
        HeraldClient.builder(URI.create(node.baseUrl())).publishRetries(0).build();
    HeraldClient client =
        HeraldClient.builder(URI.create(node.baseUrl()))
            .publishRetries(30)
            .publishRetryDelay(Duration.ofMillis(100))
            .build();
    Published first = client.publish(ch, null, "{\"n\":0}".getBytes(StandardCharsets.UTF_8)).join();
    freeze();
    CompletableFuture<Published> retried =
        client.publish(ch, null, "{\"n\":1}".getBytes(StandardCharsets.UTF_8));
    // without retries, a publication sent after it is refused: the retrying one was refused too
    assertThatThrownBy(
            () -> noRetry.publish(ch, null, "{\"n\":-1}".getBytes(StandardCharsets.UTF_8)).join())
        .isInstanceOf(CompletionException.class)
        .cause()
        .isInstanceOfSatisfying(
            HeraldClientException.class,
            e -> {
              assertThat(e.status()).isEqualTo(503);
              assertThat(e.code()).isEqualTo("unavailable");
            });
    assertThat(retried).isNotDone();
    redis.thaw();
    Published p = retried.join();
    assertThat(p.offset()).isEqualTo(2);
    assertThat(history(ch, first.epoch()))
        .extracting(m -> m.get("data").toString())
        .containsExactly("{\"n\":0}", "{\"n\":1}");

    // a caller's own key: the same answer, one publication
    Published a =
        client.publish(ch, null, "{\"n\":2}".getBytes(StandardCharsets.UTF_8), "mine").join();
    Published b =
        client.publish(ch, null, "{\"n\":2}".getBytes(StandardCharsets.UTF_8), "mine").join();
    assertThat(b).isEqualTo(a);
    assertThat(history(ch, first.epoch())).hasSize(3);
    assertThatThrownBy(() -> client.publish(ch, null, new byte[] {'1'}, "x".repeat(129)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("1 to 128 printable ASCII");
  }

  @Test
  void heraldPublishRetriesEachLineAndEachLandsOnce() throws Exception {
    String ch = TestClients.channel("cli-retry");
    Published first =
        HeraldClient.create(URI.create(node.baseUrl())).publishText(ch, null, "before").join();
    freeze();
    CommandLine cli =
        new CommandLine(
            new PublishCommand()
                .input(
                    new ByteArrayInputStream(
                        "one\ntwo\nthree\n".getBytes(StandardCharsets.UTF_8))));
    java.io.StringWriter err = new java.io.StringWriter();
    cli.setErr(new java.io.PrintWriter(err, true));
    CompletableFuture<Integer> exit =
        CompletableFuture.supplyAsync(
            () -> cli.execute(ch, "--server", node.baseUrl(), "--retries", "30"));
    redis.thaw();
    assertThat(exit.get(WAIT.toMillis(), TimeUnit.MILLISECONDS)).as(err.toString()).isZero();
    assertThat(history(ch, first.epoch()))
        .extracting(m -> m.get("data").asText())
        .containsExactly("before", "one", "two", "three");
  }
}
