package io.herald.server;

import static io.herald.server.TestClients.channel;
import static io.herald.server.TestClients.get;
import static io.herald.server.TestClients.json;
import static io.herald.server.TestClients.publish;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.herald.redis.RedisExtension;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A namespace's {@code history-size} from the YAML file is applied for real, over real sockets: a
 * channel of that namespace keeps that many messages, a channel of another namespace keeps the
 * server's, in the node's local logs and in the broker: the in-memory one, and Redis (where the
 * stream itself is capped, as a second node without the namespace shows).
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
@ExtendWith(LeakDetection.class)
class NamespaceHistoryIT {
  @RegisterExtension static final RedisExtension redis = new RedisExtension();
  @TempDir Path dir;

  private ServerConfig fromFile(String yaml) throws IOException {
    Path f = dir.resolve("herald.yaml");
    Files.writeString(f, yaml, StandardCharsets.UTF_8);
    return ServeCommand.configFrom(Map.of(), "--port", "0", "--config", f.toString());
  }

  /**
   * The data of every message retained on {@code channel}: a poll after offset {@code head - n} is
   * recovered (all {@code n} are kept) while one after {@code head - n - 1} is not (the one before
   * is gone), where {@code n} is the number answered.
   */
  private static List<String> retained(String base, String channel, String epoch) {
    for (int after = 0; after <= 5; after++) {
      JsonNode answer =
          json(get(base + "/channels/" + channel + "?since=" + epoch + ":" + after).body());
      if (answer.get("recovered").asBoolean()) {
        List<String> data = new ArrayList<>();
        answer.get("messages").forEach(m -> data.add(m.get("data").asText()));
        return data;
      }
    }
    throw new AssertionError("no position of " + channel + " is recovered");
  }

  /**
   * Activates the channel on the node first (a short poll keeps it warm for the channel idle time),
   * so the node's local log takes the five live and is bounded by itself, then publishes m1 to m5;
   * returns the channel's epoch.
   */
  private static String publishFive(String base, String channel) {
    assertThat(get(base + "/channels/" + channel).statusCode()).isEqualTo(200);
    String epoch = null;
    for (int i = 1; i <= 5; i++) {
      epoch = publish(base, channel, "\"m" + i + "\"").get("epoch").asText();
    }
    return epoch;
  }

  @Test
  void aNamespaceWithHistorySize3Keeps3AndAnotherKeepsTheServersWithTheMemoryBroker()
      throws IOException {
    ServerConfig config =
        fromFile(
            """
            history-size: 1000
            namespaces:
              small: { subscribe: public, publish: public, history-size: 3 }
              big:   { subscribe: public, publish: public }
            """);
    try (HeraldServer server = HeraldServer.start(config)) {
      String base = server.baseUrl();
      String small = "small:" + channel("ns");
      String big = "big:" + channel("ns");
      String plain = channel("ns");
      String smallEpoch = publishFive(base, small);
      String bigEpoch = publishFive(base, big);
      String plainEpoch = publishFive(base, plain);
      assertThat(retained(base, small, smallEpoch)).containsExactly("m3", "m4", "m5");
      assertThat(retained(base, big, bigEpoch)).containsExactly("m1", "m2", "m3", "m4", "m5");
      assertThat(retained(base, plain, plainEpoch)).containsExactly("m1", "m2", "m3", "m4", "m5");
    }
  }

  @Test
  void aNamespaceWithHistorySize3Keeps3InRedisAndAnotherKeepsTheServers() throws IOException {
    ServerConfig withNamespace =
        fromFile(
            "broker: "
                + redis.uri()
                + "\nnamespaces:\n  small: { subscribe: public, publish: public, history-size: 3 }\n");
    ServerConfig without = ServerConfig.builder().port(0).broker(redis.uri()).build();
    try (HeraldServer a = HeraldServer.start(withNamespace);
        HeraldServer b = HeraldServer.start(without)) {
      String small = "small:" + channel("ns-redis");
      String plain = channel("ns-redis");
      String smallEpoch = publishFive(a.baseUrl(), small);
      String plainEpoch = publishFive(a.baseUrl(), plain);
      assertThat(retained(a.baseUrl(), small, smallEpoch)).containsExactly("m3", "m4", "m5");
      assertThat(retained(a.baseUrl(), plain, plainEpoch))
          .containsExactly("m1", "m2", "m3", "m4", "m5");
      // node b keeps 1000 per channel itself: what it reads is what Redis kept
      assertThat(retained(b.baseUrl(), small, smallEpoch)).containsExactly("m3", "m4", "m5");
      assertThat(retained(b.baseUrl(), plain, plainEpoch))
          .containsExactly("m1", "m2", "m3", "m4", "m5");
    }
  }
}
