package io.herald.bench;

import static org.assertj.core.api.Assertions.assertThat;

import io.herald.core.Transport;
import io.herald.server.HeraldServer;
import io.herald.server.LeakDetection;
import io.herald.server.ServerConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The bench against an in-process Herald server over real sockets: a tiny fan-out on every
 * transport is delivered whole (no loss, no duplicates, every delay recorded), churn loses nothing,
 * and the reports are written.
 */
@Timeout(90)
@ExtendWith(LeakDetection.class)
class FanOutIT {
  static HeraldServer server;
  static Target herald;
  static final List<RunResult> RESULTS = new ArrayList<>();

  @BeforeAll
  static void start() {
    server = HeraldServer.start(ServerConfig.builder().port(0).build());
    herald = Target.herald("herald", server.baseUrl(), ProcessHandle.current().pid());
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  @ParameterizedTest
  @EnumSource(Transport.class)
  void fanOutDeliversEveryMessageToEverySubscriberOnce(Transport transport) throws Exception {
    RunResult r = new Runner(RunSpec.of(Scenario.FAN_OUT, transport, herald, 20, 25, 64, 2)).run();
    RESULTS.add(r);
    assertThat(r.ready()).isEqualTo(20);
    assertThat(r.published()).isEqualTo(50);
    assertThat(r.expected()).isEqualTo(20 * 50);
    assertThat(r.delivered()).isEqualTo(20 * 50);
    assertThat(r.lost()).isZero();
    assertThat(r.duplicates()).isZero();
    assertThat(r.holes()).isZero();
    assertThat(r.disconnects()).isZero();
    assertThat(r.delay().count()).isEqualTo(20 * 50);
    assertThat(r.delay().p50()).isBetween(0.0, 5_000.0);
    assertThat(r.bytesPerMessage()).isGreaterThan(64);
    if (transport.streaming()) {
      assertThat(r.requests()).isZero();
    } else {
      assertThat(r.requestsPerMessage()).isPositive();
    }
    assertThat(r.server().rssEndKib()).isPositive();
  }

  @ParameterizedTest
  @EnumSource(
      value = Transport.class,
      names = {"WEBSOCKET", "SSE", "LONG_POLL"})
  void churnResumesWithoutLossOrDuplicates(Transport transport) throws Exception {
    RunSpec spec = RunSpec.of(Scenario.CHURN, transport, herald, 10, 40, 32, 2);
    RunResult r = new Runner(spec).run();
    assertThat(r.lost()).isZero();
    assertThat(r.duplicates()).isZero();
    assertThat(r.reconnects()).isPositive();
    assertThat(r.delivered()).isGreaterThanOrEqualTo(10 * 80);
  }

  @Test
  void idleMeasuresMemoryPerConnection() throws Exception {
    RunResult r =
        new Runner(RunSpec.of(Scenario.IDLE, Transport.WEBSOCKET, herald, 50, 0, 0, 1)).run();
    assertThat(r.ready()).isEqualTo(50);
    assertThat(r.delivered()).isZero();
    assertThat(r.server().rssConnectedKib()).isPositive();
  }

  @Test
  void manyChannelsGivesEachSubscriberItsOwnMessages() throws Exception {
    RunResult r =
        new Runner(RunSpec.of(Scenario.MANY_CHANNELS, Transport.SSE, herald, 10, 50, 16, 2)).run();
    assertThat(r.published()).isEqualTo(100);
    assertThat(r.expected()).isEqualTo(100);
    assertThat(r.delivered()).isEqualTo(100);
    assertThat(r.lost()).isZero();
  }

  @Test
  void writesJsonAndASelfContainedReport(@TempDir Path dir) throws Exception {
    if (RESULTS.isEmpty()) {
      RESULTS.add(
          new Runner(RunSpec.of(Scenario.FAN_OUT, Transport.WEBSOCKET, herald, 5, 10, 16, 1))
              .run());
    }
    Report.Document doc = Report.document("test", RESULTS);
    Path json = dir.resolve("r.json");
    Path html = dir.resolve("r.html");
    Report.writeJson(json, doc);
    Report.writeHtml(html, doc);
    assertThat(Files.readString(json)).contains("\"deliveredPerSecond\"");
    String page = Files.readString(html);
    assertThat(page)
        .contains("<svg")
        .contains("The rungs side by side")
        .doesNotContain("<script src")
        .doesNotContain("http://cdn");
    assertThat(
            BenchMain.run("merge", json.toString(), "--report", dir.resolve("m.html").toString()))
        .isZero();
  }

  @ParameterizedTest
  @EnumSource(Transport.class)
  void binaryFanOutDeliversEveryMessageOnceAndWebSocketBinaryFramesCostLessThanBase64(
      Transport transport) throws Exception {
    RunResult r =
        new Runner(
                RunSpec.of(Scenario.FAN_OUT, transport, herald.withBinary(true), 10, 25, 1024, 2))
            .run();
    assertThat(r.delivered()).isEqualTo(10 * 50);
    assertThat(r.lost()).isZero();
    assertThat(r.duplicates()).isZero();
    assertThat(r.holes()).isZero();
    // base64 makes 1,024 bytes 1,368 characters; a binary frame carries them as they are
    if (transport == Transport.WEBSOCKET) {
      assertThat(r.bytesPerMessage()).isBetween(1024.0, 1368.0);
    } else {
      assertThat(r.bytesPerMessage()).isGreaterThan(1368.0);
    }
  }
}
