package io.herald.server;

import static io.herald.server.TestClients.channel;
import static io.herald.server.TestClients.get;
import static io.herald.server.TestClients.json;
import static io.herald.server.TestClients.post;
import static io.herald.server.TestClients.publish;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Memory bounds over real sockets: history bytes per channel ({@code --history-bytes}) and per node
 * ({@code --max-history-bytes}), with gaps and recovery as PROTOCOL.md section 4 says, and the cap
 * on active channels ({@code --max-active-channels}) refused with {@code 503 over_capacity} on
 * every transport. Each test runs its own server.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
@ExtendWith(LeakDetection.class)
class MemoryBudgetIT {
  private static final String PAD = "x".repeat(10_000);

  private static void assertOverCapacity(HttpResponse<String> r, int limit) {
    assertThat(r.statusCode()).as(r.body()).isEqualTo(503);
    JsonNode error = json(r.body()).get("error");
    assertThat(error.get("code").asText()).isEqualTo("over_capacity");
    assertThat(error.get("message").asText())
        .contains("limit of " + limit + " active channels")
        .contains("server limit");
  }

  @Test
  void oneChannelPastTheNodesLimitIsRefusedWith503OverCapacityOnEveryTransport() {
    try (HeraldServer server =
        HeraldServer.start(ServerConfig.builder().port(0).maxActiveChannels(3).build())) {
      String base = server.baseUrl();
      String a = channel("cap-a");
      publish(base, a, "1");
      publish(base, channel("cap-b"), "1");
      assertThat(get(base + "/channels/" + channel("cap-c")).statusCode()).isEqualTo(200);

      String d = channel("cap-d");
      assertOverCapacity(
          post(base + "/channels/" + d, "application/json", "1".getBytes(StandardCharsets.UTF_8)),
          3);
      assertOverCapacity(get(base + "/channels/" + d), 3);
      assertOverCapacity(get(base + "/channels/" + d + "?wait=5"), 3);
      assertOverCapacity(get(base + "/channels/" + d, "Accept", "text/event-stream"), 3);
      try (TestClients.Ws ws = new TestClients.Ws(base.replace("http", "ws") + "/ws")) {
        ws.send("{\"type\":\"subscribe\",\"id\":1,\"channel\":\"" + d + "\"}");
        JsonNode refused = ws.next();
        assertThat(refused.get("type").asText()).isEqualTo("error");
        assertThat(refused.get("id").asInt()).isEqualTo(1);
        assertThat(refused.get("error").get("code").asText()).isEqualTo("over_capacity");
        assertThat(refused.get("error").get("message").asText()).contains("limit of 3");
        ws.send("{\"type\":\"publish\",\"id\":2,\"channel\":\"" + d + "\",\"data\":1}");
        assertThat(ws.next().get("error").get("code").asText()).isEqualTo("over_capacity");
        // the connection stays open and channels already held keep working
        ws.send("{\"type\":\"publish\",\"id\":3,\"channel\":\"" + a + "\",\"data\":2}");
        JsonNode published = ws.next();
        assertThat(published.get("type").asText()).isEqualTo("published");
        assertThat(published.get("offset").asLong()).isEqualTo(2);
      }
      assertThat(json(get(base + "/channels/" + a + "?since=0").body()).get("messages")).hasSize(2);
      assertThat(get(base + "/health").statusCode()).isEqualTo(200);
    }
  }

  @Test
  void aChannelKeepsAtMostItsHistoryBytesAndOlderPositionsAreNotRecovered() {
    try (HeraldServer server =
        HeraldServer.start(ServerConfig.builder().port(0).historyBytes(64 * 1024).build())) {
      String base = server.baseUrl();
      String ch = channel("bytes");
      String epoch = null;
      for (int i = 1; i <= 40; i++) {
        epoch =
            publish(base, ch, "{\"n\":" + i + ",\"pad\":\"" + PAD + "\"}").get("epoch").asText();
      }
      JsonNode old = json(get(base + "/channels/" + ch + "?since=" + epoch + ":0").body());
      assertThat(old.get("recovered").asBoolean()).isFalse();
      assertThat(old.get("messages")).isEmpty();
      assertThat(old.get("cursor").asText()).isEqualTo(epoch + ":40");
      JsonNode recent = json(get(base + "/channels/" + ch + "?since=" + epoch + ":36").body());
      assertThat(recent.get("recovered").asBoolean()).isTrue();
      assertThat(recent.get("messages")).hasSize(4);
      // 6 messages of about 10 KB fit in 64 KiB; the seventh back is gone
      JsonNode edge = json(get(base + "/channels/" + ch + "?since=" + epoch + ":33").body());
      assertThat(edge.get("recovered").asBoolean()).isFalse();
    }
  }

  @Test
  void theNodeKeepsAtMostItsHistoryBytesDroppingItsOldestMessagesFirst() {
    long budget = 256 * 1024;
    try (HeraldServer server =
        HeraldServer.start(ServerConfig.builder().port(0).maxHistoryBytes(budget).build())) {
      String base = server.baseUrl();
      String first = channel("node-first");
      String epoch = publish(base, first, "{\"pad\":\"" + PAD + "\"}").get("epoch").asText();
      String last = null;
      for (int c = 0; c < 60; c++) {
        last = channel("node");
        for (int i = 0; i < 5; i++) {
          publish(base, last, "{\"n\":" + i + ",\"pad\":\"" + PAD + "\"}");
        }
        assertThat(server.hub().budget().usedBytes()).isLessThanOrEqualTo(budget);
      }
      // 3 MB published, 256 KiB kept: the oldest channel's message went first, the newest stay
      JsonNode gone = json(get(base + "/channels/" + first + "?since=" + epoch + ":0").body());
      assertThat(gone.get("recovered").asBoolean()).isFalse();
      JsonNode kept = json(get(base + "/channels/" + last + "?since=0").body());
      assertThat(kept.get("recovered").asBoolean()).isTrue();
      assertThat(kept.get("messages")).hasSize(5);
      assertThat(server.hub().budget().evictedMessages()).isPositive();
    }
  }

  @Test
  void aStreamingSubscriberNotYetSentWhatTheNodeBudgetDroppedGetsAGap() throws Exception {
    ServerConfig config =
        ServerConfig.builder()
            .port(0)
            .maxHistoryBytes(512 * 1024)
            .historyBytes(64L * 1024 * 1024) // only the node's budget drops anything here
            .writeBufferHighBytes(16 * 1024)
            .build();
    try (HeraldServer server = HeraldServer.start(config)) {
      String ch = channel("stalled");
      Socket stalled = new Socket();
      stalled.setReceiveBufferSize(4096);
      stalled.connect(server.address());
      try {
        stalled
            .getOutputStream()
            .write(
                ("GET /channels/"
                        + ch
                        + " HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
        await().atMost(Duration.ofSeconds(5)).until(() -> server.hub().subscriberCount() == 1);
        // 12 MB on the subscriber's channel: more than the socket buffers and the node budget
        String pad = "x".repeat(60_000);
        for (int i = 1; i <= 200; i++) {
          publish(server.baseUrl(), ch, "{\"n\":" + i + ",\"pad\":\"" + pad + "\"}");
        }
        assertThat(server.hub().budget().usedBytes()).isLessThanOrEqualTo(512 * 1024);
        InputStream in = stalled.getInputStream();
        stalled.setSoTimeout(10_000);
        ByteArrayOutputStream seen = new ByteArrayOutputStream();
        byte[] buf = new byte[65536];
        while (!seen.toString(StandardCharsets.UTF_8).contains("event: herald.gap")) {
          int n = in.read(buf);
          assertThat(n).as("stream still open").isPositive();
          seen.write(buf, 0, n);
        }
        assertThat(seen.toString(StandardCharsets.UTF_8)).contains("\"channel\":\"" + ch + "\"");
      } finally {
        stalled.close();
      }
    }
  }
}
