package io.herald.server.internal;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.LoggingEvent;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** {@code --log-format json}: one JSON object per line, message formatted and tokens redacted. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class JsonLogEncoderTest {
  @Test
  void writesOneJsonObjectPerLineWithTheFormattedMessageAndTokensRedacted() throws Exception {
    LoggerContext context = new LoggerContext();
    context.setMDCAdapter(new ch.qos.logback.classic.util.LogbackMDCAdapter());
    JsonLogEncoder encoder = new JsonLogEncoder();
    encoder.setContext(context);
    encoder.start();
    LoggingEvent event =
        new LoggingEvent(
            "x",
            context.getLogger("io.herald.test"),
            Level.WARN,
            "refused {} and Authorization: {} \"quoted\"",
            new IllegalStateException("boom"),
            new Object[] {
              "GET /channels/chat:a?since=k3f9:1&token=eyJhbGc.eyJzdWIi.c2ln&x=1",
              "Bearer eyJhbGc.eyJzdWIi.c2ln"
            });
    String line = new String(encoder.encode(event), StandardCharsets.UTF_8);
    context.stop();

    assertThat(line).endsWith("\n").doesNotContain("eyJ");
    assertThat(line.strip()).doesNotContain("\n");
    JsonNode json = new ObjectMapper().readTree(line);
    assertThat(json.path("level").asText()).isEqualTo("WARN");
    assertThat(json.path("loggerName").asText()).isEqualTo("io.herald.test");
    assertThat(json.path("timestamp").asLong()).isPositive();
    assertThat(json.path("message").asText())
        .isEqualTo(
            "refused GET /channels/chat:a?since=k3f9:1&token=[redacted]&x=1 and Authorization:"
                + " Bearer [redacted] \"quoted\"");
    assertThat(json.path("throwable").path("message").asText()).isEqualTo("boom");
    assertThat(json.has("arguments")).isFalse();
  }
}
