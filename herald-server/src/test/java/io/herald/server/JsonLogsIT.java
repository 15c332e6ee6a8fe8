package io.herald.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code herald serve --log-format json} (its own JVM): every line it writes to stderr, from the
 * start-up lines to the shutdown, is one JSON object with a level, a logger and a message.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class JsonLogsIT {
  @Test
  void everyLogLineOfTheServerIsAJsonObject() throws Exception {
    Path err = Files.createTempFile("herald-json-log-", ".log");
    List<String> cmd =
        List.of(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "-Xmx128m",
            "-XX:TieredStopAtLevel=1",
            // the server's own logback.xml, not the tests' logback-test.xml
            "-Dlogback.configurationFile=logback.xml",
            "-cp",
            System.getProperty("java.class.path"),
            "io.herald.server.Main",
            "serve",
            "--port",
            "0",
            "--log-format",
            "json");
    Process p =
        new ProcessBuilder(cmd)
            .redirectOutput(ProcessBuilder.Redirect.DISCARD)
            .redirectError(err.toFile())
            .start();
    try {
      await()
          .atMost(Duration.ofSeconds(60))
          .until(() -> Files.readString(err).contains("Herald listening on"));
      await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> Files.readString(err).contains("settings:"));
      p.destroy(); // SIGTERM: the shutdown logs too
      assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
      List<String> lines = Files.readAllLines(err, StandardCharsets.UTF_8);
      ObjectMapper mapper = new ObjectMapper();
      List<String> messages = new ArrayList<>();
      for (String line : lines) {
        JsonNode json = mapper.readTree(line);
        assertThat(json.isObject()).as(line).isTrue();
        assertThat(json.path("level").asText()).as(line).isIn("ERROR", "WARN", "INFO", "DEBUG");
        assertThat(json.path("loggerName").asText()).as(line).startsWith("io.");
        assertThat(json.path("timestamp").asLong()).as(line).isPositive();
        messages.add(json.path("message").asText());
      }
      assertThat(messages)
          .anySatisfy(m -> assertThat(m).startsWith("Herald listening on http://127.0.0.1:"))
          .anySatisfy(m -> assertThat(m).contains("log-format=json"));
    } finally {
      p.destroyForcibly();
      Files.deleteIfExists(err);
    }
  }
}
