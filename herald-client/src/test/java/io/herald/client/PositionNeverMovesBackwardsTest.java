package io.herald.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.sun.net.httpserver.HttpServer;
import io.herald.core.Cursor;
import io.herald.core.Message;
import io.herald.core.Position;
import io.herald.core.Transport;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The Java client's position never moves backwards, and a gap only ever moves it forwards, even
 * when a node answers from a local log that lags the channel's (what a Herald node did before issue
 * 9's fix, and what any server behind a load balancer might still do during an upgrade). The server
 * here is a real HTTP server on a real socket that plays back such a node's answers, in order, and
 * records the {@code since} of every poll.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class PositionNeverMovesBackwardsTest {
  private HttpServer server;
  private HeraldSubscription subscription;
  private final List<String> sinces = new CopyOnWriteArrayList<>();

  @AfterEach
  void stop() {
    if (subscription != null) {
      subscription.close();
    }
    if (server != null) {
      server.stop(0);
    }
  }

  private static String envelope(long offset) {
    return "{\"channel\":\"c\",\"offset\":"
        + offset
        + ",\"epoch\":\"e1\",\"event\":\"message\",\"data\":"
        + offset
        + ",\"time\":"
        + offset
        + "}";
  }

  private static String answer(String cursor, boolean recovered, long... offsets) {
    List<String> messages = new ArrayList<>();
    for (long o : offsets) {
      messages.add(envelope(o));
    }
    return "{\"messages\":["
        + String.join(",", messages)
        + "],\"cursor\":\""
        + cursor
        + "\",\"recovered\":"
        + recovered
        + "}";
  }

  /** Serves {@code answers} to successive polls; once they run out, the last one again. */
  private URI serve(List<String> answers) throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext(
        "/channels/",
        exchange -> {
          String query = exchange.getRequestURI().getRawQuery();
          String since = "";
          for (String part : query == null ? new String[0] : query.split("&")) {
            if (part.startsWith("since=")) {
              since = URLDecoder.decode(part.substring(6), StandardCharsets.UTF_8);
            }
          }
          int n;
          synchronized (sinces) {
            sinces.add(since);
            n = sinces.size();
          }
          byte[] body =
              answers.get(Math.min(n, answers.size()) - 1).getBytes(StandardCharsets.UTF_8);
          exchange.getResponseHeaders().set("Content-Type", "application/json");
          exchange.sendResponseHeaders(200, body.length);
          try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
          }
        });
    server.start();
    return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
  }

  /** Records every call and the subscription's cursor right after it. */
  private static final class Recording implements SubscriptionListener {
    final List<String> calls = new CopyOnWriteArrayList<>();
    final List<Long> messages = new CopyOnWriteArrayList<>();
    final List<Position> gaps = new CopyOnWriteArrayList<>();

    @Override
    public void onSubscribed(String channel, Position position, boolean recovered) {
      calls.add("subscribed " + position + " " + recovered);
    }

    @Override
    public void onMessage(Message message) {
      calls.add("message " + message.position());
      messages.add(message.offset());
    }

    @Override
    public void onGap(String channel, Position position) {
      calls.add("gap " + position);
      gaps.add(position);
    }
  }

  private HeraldSubscription poll(URI base, Cursor since, Recording listener) {
    HeraldClient client =
        HeraldClient.builder(base)
            .shortPollInterval(Duration.ofMillis(5))
            .reconnectDelay(Duration.ofMillis(5))
            .build();
    subscription = client.subscribe(List.of("c"), Transport.SHORT_POLL, since, listener);
    return subscription;
  }

  @Test
  void aLaggingNodesAnswerNeitherMovesThePositionBackNorRepeatsNorReportsAGap() throws Exception {
    URI base =
        serve(
            List.of(
                answer("e1:3", true, 3), // since e1:2
                answer("e1:2", false), // a lagging node: "not recovered", one behind
                answer("e1:4", true, 3, 4), // a node that replays 3 as well
                answer("e1:9", false, 9), // a true gap: 5..8 were dropped
                answer("e1:9", true)));
    Recording listener = new Recording();
    HeraldSubscription s = poll(base, Cursor.parse("e1:2", 1), listener);
    List<Long> seen = new CopyOnWriteArrayList<>();
    await()
        .atMost(Duration.ofSeconds(10))
        .pollInterval(Duration.ofMillis(1))
        .until(
            () -> {
              Position p = s.cursor().get(0);
              seen.add(p.offset());
              return sinces.size() >= 6;
            });
    assertThat(List.copyOf(sinces).subList(0, 6))
        .containsExactly("e1:2", "e1:3", "e1:3", "e1:4", "e1:9", "e1:9");
    assertThat(listener.messages).containsExactly(3L, 4L, 9L);
    assertThat(listener.gaps).containsExactly(new Position("e1", 8));
    assertThat(listener.calls.get(0)).isEqualTo("subscribed e1:2 true");
    assertThat(seen).as("the cursor, sampled while polling").isSorted();
    assertThat(s.cursor().toString()).isEqualTo("e1:9");
  }

  @Test
  void theFirstAnswerJudgesThePositionTheApplicationGaveEvenBehindIt() throws Exception {
    // e1:9 is ahead of the channel's head (e1:4): not recovered, continues from the head.
    URI base =
        serve(
            List.of(
                answer("e1:4", false),
                answer("e1:5", true, 5),
                answer("e1:4", false), // later, a lagging node: ignored
                answer("e1:6", true, 6)));
    Recording listener = new Recording();
    HeraldSubscription s = poll(base, Cursor.parse("e1:9", 1), listener);
    await().atMost(Duration.ofSeconds(10)).until(() -> listener.messages.size() == 2);
    assertThat(listener.calls).startsWith("subscribed e1:4 false", "message e1:5", "message e1:6");
    assertThat(listener.gaps).isEmpty();
    assertThat(List.copyOf(sinces).subList(0, 4)).containsExactly("e1:9", "e1:4", "e1:5", "e1:5");
    assertThat(s.cursor().toString()).isEqualTo("e1:6");
  }

  @Test
  void anotherEpochIsNeverBehindAndIsReportedAsAGap() throws Exception {
    URI base =
        serve(
            List.of(
                answer("e1:7", true),
                "{\"messages\":[],\"cursor\":\"e2:1\",\"recovered\":false}",
                "{\"messages\":[],\"cursor\":\"e2:1\",\"recovered\":true}"));
    Recording listener = new Recording();
    HeraldSubscription s = poll(base, Cursor.parse("e1:7", 1), listener);
    await().atMost(Duration.ofSeconds(10)).until(() -> listener.gaps.size() == 1);
    assertThat(listener.gaps).containsExactly(new Position("e2", 1));
    await().atMost(Duration.ofSeconds(10)).until(() -> sinces.size() >= 3);
    assertThat(sinces.get(2)).isEqualTo("e2:1");
    assertThat(s.cursor().toString()).isEqualTo("e2:1");
  }
}
