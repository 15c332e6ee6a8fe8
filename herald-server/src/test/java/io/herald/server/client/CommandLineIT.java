package io.herald.server.client;

import static io.herald.server.client.ClientTestSupport.channel;
import static io.herald.server.client.ClientTestSupport.publish;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.herald.client.HeraldClient;
import io.herald.client.cli.PublishCommand;
import io.herald.client.cli.SubscribeCommand;
import io.herald.core.Json;
import io.herald.core.Transport;
import io.herald.server.HeraldServer;
import io.herald.server.LeakDetection;
import io.herald.server.Main;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import picocli.CommandLine;

/**
 * {@code herald publish} and {@code herald subscribe} against a real server: in-process through
 * picocli, through the {@code herald} main command, and as processes of the shaded jar when it was
 * built ({@code target/herald.jar}).
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
@ExtendWith(LeakDetection.class)
class CommandLineIT {
  static HeraldServer server;
  static HeraldClient client;
  static String base;

  @BeforeAll
  static void start() {
    server = ClientTestSupport.server();
    client = ClientTestSupport.client(server);
    base = server.baseUrl();
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  /** One in-process run of a command, with its output captured. */
  static final class Run {
    final StringWriter out = new StringWriter();
    final StringWriter err = new StringWriter();
    final CommandLine cli;

    Run(Object command) {
      this(new CommandLine(command));
    }

    Run(CommandLine cli) {
      this.cli = cli;
      cli.setOut(new PrintWriter(out, true));
      cli.setErr(new PrintWriter(err, true));
    }

    int execute(String... args) {
      return cli.execute(args);
    }

    List<String> outLines() {
      return lines(out.toString());
    }

    List<String> errLines() {
      return lines(err.toString());
    }
  }

  static List<String> lines(String text) {
    List<String> out = new ArrayList<>();
    for (String l : text.split("\n")) {
      if (!l.isBlank()) {
        out.add(l.strip());
      }
    }
    return out;
  }

  static ByteArrayInputStream input(String text) {
    return new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8));
  }

  /** The envelopes of {@code channel} from offset 1, by a short poll. */
  static List<JsonNode> history(String channel, String epoch)
      throws IOException, InterruptedException {
    var http = java.net.http.HttpClient.newHttpClient();
    var response =
        http.send(
            java.net.http.HttpRequest.newBuilder(
                    java.net.URI.create(base + "/channels/" + channel + "?since=" + epoch + ":0"))
                .build(),
            java.net.http.HttpResponse.BodyHandlers.ofByteArray());
    List<JsonNode> out = new ArrayList<>();
    Json.MAPPER.readTree(response.body()).path("messages").forEach(out::add);
    return out;
  }

  @Test
  void publishSendsEachLineAsOneTextMessageInOrderAndPrintsEachPosition() throws Exception {
    String ch = channel("cli-pub");
    Run run = new Run(new PublishCommand().input(input("first line\nsecond {not json}\n\nlast\n")));
    assertThat(run.execute(ch, "--server", base)).isZero();
    List<String> positions = run.errLines();
    assertThat(positions).hasSize(4);
    String epoch = positions.get(0).substring(0, positions.get(0).indexOf(':'));
    assertThat(positions).containsExactly(epoch + ":1", epoch + ":2", epoch + ":3", epoch + ":4");
    assertThat(run.outLines()).isEmpty();
    assertThat(history(ch, epoch))
        .extracting(m -> m.get("data").asText())
        .containsExactly("first line", "second {not json}", "", "last");
  }

  @Test
  void publishJsonSendsEachLineAsJsonWithTheEventAndReportsRefusedLines() throws Exception {
    String ch = channel("cli-json");
    Run run = new Run(new PublishCommand().input(input("{\"n\":1}\n{broken\n[2,3]\n")));
    assertThat(run.execute(ch, "--server", base, "--json", "--event", "build")).isEqualTo(1);
    List<String> err = run.errLines();
    assertThat(err).hasSize(3);
    assertThat(err.get(1)).contains("line 2").contains("invalid_json");
    String epoch = err.get(0).substring(0, err.get(0).indexOf(':'));
    assertThat(err.get(2)).isEqualTo(epoch + ":2");
    List<JsonNode> history = history(ch, epoch);
    assertThat(history)
        .extracting(m -> m.get("data").toString())
        .containsExactly("{\"n\":1}", "[2,3]");
    assertThat(history).extracting(m -> m.get("event").asText()).containsOnly("build");
  }

  @Test
  void publishQuietPrintsNothing() {
    String ch = channel("cli-quiet");
    Run run = new Run(new PublishCommand().input(input("a\nb\n")));
    assertThat(run.execute(ch, "--server", base, "--quiet")).isZero();
    assertThat(run.err.toString()).isEmpty();
    assertThat(run.out.toString()).isEmpty();
  }

  @Test
  void publishDataFileSendsTheWholeFileAsOneBinaryMessageByteForByte(@TempDir Path dir)
      throws Exception {
    String ch = channel("cli-binary");
    byte[] frame = new byte[3000];
    for (int i = 0; i < frame.length; i++) {
      frame[i] = (byte) (i * 7); // every byte value, not valid UTF-8
    }
    Path file = Files.write(dir.resolve("frame.bin"), frame);
    Run run = new Run(new PublishCommand().input(input("")));
    assertThat(
            run.execute(
                ch,
                "--server",
                base,
                "--content-type",
                "application/octet-stream",
                "--data-file",
                file.toString()))
        .as(run.err.toString())
        .isZero();
    String epoch = run.errLines().get(0).substring(0, run.errLines().get(0).indexOf(':'));
    assertThat(run.errLines()).containsExactly(epoch + ":1");
    List<JsonNode> history = history(ch, epoch);
    assertThat(history).hasSize(1);
    assertThat(history.get(0).get("encoding").asText()).isEqualTo("base64");
    assertThat(history.get(0).get("contentType").asText()).isEqualTo("application/octet-stream");
    assertThat(Base64.getDecoder().decode(history.get(0).get("data").asText())).isEqualTo(frame);
  }

  @Test
  void publishDataFileDashReadsStandardInputAndTheTypeDefaultsToOctetStream() throws Exception {
    String ch = channel("cli-binary-stdin");
    byte[] bytes = {0, (byte) 0xff, 10, 13, (byte) 0x80};
    Run run = new Run(new PublishCommand().input(new ByteArrayInputStream(bytes)));
    assertThat(run.execute(ch, "--server", base, "--data-file", "-")).isZero();
    String epoch = run.errLines().get(0).substring(0, run.errLines().get(0).indexOf(':'));
    Run png = new Run(new PublishCommand().input(new ByteArrayInputStream(bytes)));
    assertThat(png.execute(ch, "--server", base, "--content-type", "image/png", "--data-file", "-"))
        .isZero();
    List<JsonNode> history = history(ch, epoch);
    assertThat(history)
        .extracting(m -> m.get("contentType").asText())
        .containsExactly("application/octet-stream", "image/png");
    assertThat(history)
        .extracting(m -> Base64.getDecoder().decode(m.get("data").asText()))
        .containsExactly(bytes, bytes);
  }

  @Test
  void publishRefusesABinaryTypeWithoutADataFileAMissingFileAndAFileOverTheLimit(@TempDir Path dir)
      throws Exception {
    String ch = channel("cli-binary-bad");
    Run lines = new Run(new PublishCommand().input(input("a\n")));
    assertThat(lines.execute(ch, "--server", base, "--content-type", "application/octet-stream"))
        .isEqualTo(2);
    assertThat(lines.err.toString()).contains("is binary").contains("--data-file");
    Run missing = new Run(new PublishCommand().input(input("")));
    assertThat(
            missing.execute(
                ch, "--server", base, "--data-file", dir.resolve("none.bin").toString()))
        .isEqualTo(2);
    assertThat(missing.err.toString()).contains("cannot read --data-file");
    Path big = Files.write(dir.resolve("big.bin"), new byte[70 * 1024]);
    Run tooBig = new Run(new PublishCommand().input(input("")));
    assertThat(tooBig.execute(ch, "--server", base, "--data-file", big.toString())).isEqualTo(1);
    assertThat(tooBig.err.toString()).contains("refused").contains("message_too_large");
    Run both = new Run(new PublishCommand().input(input("{}\n")));
    assertThat(both.execute(ch, "--server", base, "--json", "--content-type", "image/png"))
        .isEqualTo(2);
    assertThat(both.err.toString()).contains("--json");
  }

  @Test
  void publishToAnUnreachableServerExitsTwo() {
    Run run = new Run(new PublishCommand().input(input("a\n")));
    assertThat(run.execute(channel("cli-down"), "--server", "http://127.0.0.1:1")).isEqualTo(2);
    assertThat(run.err.toString()).contains("cannot reach");
  }

  @ParameterizedTest
  @EnumSource(Transport.class)
  void subscribePrintsEachEnvelopeAsOneJsonLine(Transport transport) throws Exception {
    String ch = channel("cli-sub-" + transport.wireName());
    String epoch = publish(client, ch, "before", 1, 2).get(0).epoch();
    Run run = new Run(new SubscribeCommand());
    CompletableFuture<Integer> exit =
        CompletableFuture.supplyAsync(
            () ->
                run.execute(
                    ch,
                    "--server",
                    base,
                    "--transport",
                    transport.wireName(),
                    "--since",
                    epoch + ":0",
                    "--count",
                    "4",
                    "--poll-interval",
                    "50",
                    "--wait",
                    "2"));
    await().atMost(Duration.ofSeconds(10)).until(() -> run.outLines().size() >= 2);
    publish(client, ch, "after", 3, 4);
    assertThat(exit.get(30, TimeUnit.SECONDS)).isZero();
    List<String> lines = run.outLines();
    assertThat(lines).hasSize(4);
    for (int i = 0; i < 4; i++) {
      JsonNode e = Json.MAPPER.readTree(lines.get(i));
      assertThat(e.get("channel").asText()).isEqualTo(ch);
      assertThat(e.get("offset").asLong()).isEqualTo(i + 1);
      assertThat(e.get("epoch").asText()).isEqualTo(epoch);
      assertThat(e.get("event").asText()).isEqualTo("message");
      assertThat(e.get("time").asLong()).isPositive();
    }
    assertThat(Json.MAPPER.readTree(lines.get(3)).get("data").asText()).isEqualTo("after4");
    assertThat(run.err.toString()).contains("resume with --since " + epoch + ":4");
  }

  @Test
  void subscribeSaysOnStandardErrorWhenTheCursorIsNotRecovered() throws Exception {
    String ch = channel("cli-norecover");
    String epoch = publish(client, ch, "old", 1, 1).get(0).epoch();
    String wrong = epoch.equals("zz99") ? "zz98" : "zz99";
    Run run = new Run(new SubscribeCommand());
    CompletableFuture<Integer> exit =
        CompletableFuture.supplyAsync(
            () ->
                run.execute(
                    ch,
                    "--server",
                    base,
                    "--transport",
                    "sse",
                    "--since",
                    wrong + ":5",
                    "--count",
                    "1"));
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> run.err.toString().contains("not recovered"));
    assertThat(run.err.toString())
        .contains("channel " + ch + " not recovered: continuing from " + epoch + ":1");
    publish(client, ch, "new", 2, 2);
    assertThat(exit.get(30, TimeUnit.SECONDS)).isZero();
    assertThat(run.outLines()).hasSize(1);
    assertThat(Json.MAPPER.readTree(run.outLines().get(0)).get("offset").asLong()).isEqualTo(2);
  }

  @Test
  void subscribeRefusesACursorThatDoesNotMatchTheChannels() {
    Run run = new Run(new SubscribeCommand());
    assertThat(run.execute("a,b", "--server", base, "--since", "k3f9:1")).isEqualTo(2);
    assertThat(run.err.toString()).contains("1 position(s)").contains("2 channel(s)");
  }

  @Test
  void subscribeRefusesAnUnknownTransport() {
    Run run = new Run(new SubscribeCommand());
    assertThat(run.execute("a", "--server", base, "--transport", "pigeon")).isEqualTo(2);
    assertThat(run.err.toString()).contains("websocket, sse, long-poll or short-poll");
  }

  @Test
  void theHeraldMainCommandRunsSubscribeOverAMultiChannelList() throws Exception {
    String a = channel("cli-main-a");
    String b = channel("cli-main-b");
    String ea = publish(client, a, "a", 1, 1).get(0).epoch();
    String eb = publish(client, b, "b", 1, 1).get(0).epoch();
    Run run = new Run(Main.commandLine());
    int code =
        run.execute(
            "subscribe",
            a + "," + b,
            "--server",
            base,
            "--transport",
            "long-poll",
            "--since",
            ea + ":0," + eb + ":0",
            "--count",
            "2");
    assertThat(code).isZero();
    assertThat(run.outLines())
        .extracting(l -> Json.MAPPER.readTree(l).get("channel").asText())
        .containsExactlyInAnyOrder(a, b);
  }

  @Test
  void shadedJarPublishesFromStandardInputAndSubscribes() throws Exception {
    Path jar = Path.of("target", "herald.jar");
    assumeTrue(Files.isRegularFile(jar), "target/herald.jar is built by mvn package");
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    String ch = channel("cli-jar");

    ProcessBuilder pub = new ProcessBuilder(java, "-jar", jar.toString(), "publish", ch);
    pub.environment().put("HERALD_SERVER", base); // the server comes from the environment
    pub.redirectOutput(ProcessBuilder.Redirect.DISCARD);
    Process p = pub.start();
    try (var stdin = p.getOutputStream()) {
      stdin.write("line one\nline two\n".getBytes(StandardCharsets.UTF_8));
    }
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    String pubErr = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.exitValue()).as(pubErr).isZero();
    List<String> positions =
        lines(pubErr).stream().filter(l -> l.matches("[a-z0-9]+:\\d+")).toList();
    assertThat(positions).hasSize(2);
    String epoch = positions.get(0).substring(0, positions.get(0).indexOf(':'));

    Process s =
        new ProcessBuilder(
                java,
                "-jar",
                jar.toString(),
                "subscribe",
                ch,
                "--server",
                base,
                "--transport",
                "sse",
                "--since",
                epoch + ":0",
                "--count",
                "2")
            .redirectError(ProcessBuilder.Redirect.DISCARD)
            .start();
    assertThat(s.waitFor(60, TimeUnit.SECONDS)).isTrue();
    List<String> out = lines(new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
    assertThat(s.exitValue()).isZero();
    assertThat(out).hasSize(2);
    assertThat(Json.MAPPER.readTree(out.get(1)).get("data").asText()).isEqualTo("line two");
  }
}
