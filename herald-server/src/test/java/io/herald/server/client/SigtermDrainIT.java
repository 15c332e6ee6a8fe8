package io.herald.server.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.herald.server.LeakDetection;
import io.herald.server.TestClients;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * {@code herald serve} as a child process: SIGTERM drains it ({@code /ready} 503 while the process
 * still serves, then WebSocket {@code 1001} with a hint and SSE {@code herald.end}, then the exit);
 * SIGINT (Ctrl-C) stops it at once, without the drain.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
@ExtendWith(LeakDetection.class)
class SigtermDrainIT {
  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  /** A child {@code herald serve} on {@code port}; its output collected in {@code out}. */
  private static Process serve(int port, StringBuffer out, int drainDelaySeconds)
      throws IOException {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("-Xmx128m");
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add("io.herald.server.Main");
    cmd.add("serve");
    cmd.add("--port=" + port);
    cmd.add("--drain-delay-seconds=" + drainDelaySeconds);
    cmd.add("--drain-window-seconds=2");
    cmd.add("--shutdown-seconds=2");
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    Thread t =
        new Thread(
            () -> {
              try {
                byte[] buf = new byte[8192];
                int n;
                while ((n = p.getInputStream().read(buf)) >= 0) {
                  out.append(new String(buf, 0, n, StandardCharsets.UTF_8));
                }
              } catch (IOException e) {
                // the process ended
              }
            },
            "serve-output");
    t.setDaemon(true);
    t.start();
    String base = "http://127.0.0.1:" + port;
    await()
        .atMost(Duration.ofSeconds(60))
        .ignoreExceptions()
        .until(() -> TestClients.get(base + "/ready").statusCode() == 200);
    return p;
  }

  private static int ready(String base) {
    try {
      return TestClients.get(base + "/ready").statusCode();
    } catch (RuntimeException e) {
      return -1; // not answering
    }
  }

  @Test
  void sigtermFlipsReadinessWhileServingThenClosesWith1001AndHeraldEndThenExits() throws Exception {
    int port = freePort();
    StringBuffer out = new StringBuffer();
    Process p = serve(port, out, 6); // wide enough to check and publish on a loaded machine
    String base = "http://127.0.0.1:" + port;
    String ch = ClientTestSupport.channel("sigterm");
    List<WebSocket> sockets = new ArrayList<>();
    try {
      List<DrainIT.Closing> closings = new ArrayList<>();
      List<DrainIT.Stream> streams = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        DrainIT.Closing c = new DrainIT.Closing();
        sockets.add(
            TestClients.HTTP
                .newWebSocketBuilder()
                .buildAsync(URI.create(base.replace("http", "ws") + "/channels/" + ch), c)
                .join());
        closings.add(c);
        streams.add(new DrainIT.Stream(base + "/channels/" + ch));
      }
      TestClients.publish(base, ch, "1"); // every stream is open once it has this message
      await()
          .atMost(Duration.ofSeconds(20))
          .until(
              () ->
                  closings.stream().allMatch(c -> !c.messageTimes.isEmpty())
                      && streams.stream().allMatch(s -> !s.messageTimes.isEmpty()));

      p.destroy(); // SIGTERM
      await()
          .atMost(Duration.ofSeconds(10))
          .pollInterval(Duration.ofMillis(20))
          .until(() -> ready(base) == 503);
      long notReady = System.nanoTime();
      assertThat(p.isAlive()).as("not ready while still running").isTrue();
      assertThat(TestClients.get(base + "/live").statusCode()).isEqualTo(200);
      TestClients.publish(base, ch, "2"); // still serving during the delay

      for (DrainIT.Closing c : closings) {
        long at = c.closedAt.get(30, TimeUnit.SECONDS)[0];
        assertThat(at).isGreaterThan(notReady);
        assertThat(c.code).isEqualTo(1001);
        JsonNode hint = TestClients.json(c.reason);
        assertThat(hint.path("retryAfterMillis").asLong(-1)).isBetween(0L, 1000L);
        assertThat(c.messageTimes).hasSize(2);
      }
      for (DrainIT.Stream s : streams) {
        assertThat(s.endedAt.get(30, TimeUnit.SECONDS)).isGreaterThan(notReady);
        assertThat(TestClients.json(s.endData).path("reason").asText()).isEqualTo("draining");
        assertThat(s.messageTimes).hasSize(2);
      }
      assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("the drain is bounded").isTrue();
    } finally {
      sockets.forEach(WebSocket::abort);
      p.destroyForcibly();
    }
  }

  @Test
  void sigintStopsAtOnceWithoutTheDrain() throws Exception {
    int port = freePort();
    StringBuffer out = new StringBuffer();
    Process p = serve(port, out, 3600); // a drain would wait an hour before closing anything
    try {
      new ProcessBuilder("kill", "-INT", Long.toString(p.pid())).start().waitFor();
      assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("stopped without the drain").isTrue();
      assertThat(p.exitValue()).isEqualTo(130);
    } finally {
      p.destroyForcibly();
    }
  }
}
