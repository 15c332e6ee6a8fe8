package io.herald.server.auth;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.joran.JoranConfigurator;
import ch.qos.logback.classic.spi.LoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.encoder.LayoutWrappingEncoder;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The server's log configuration (logback.xml) never writes a token. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class LogRedactionTest {
  @Test
  void aTokenQueryParameterAndABearerCredentialAreRedactedFromEveryLine() throws Exception {
    LoggerContext context = new LoggerContext();
    JoranConfigurator configurator = new JoranConfigurator();
    configurator.setContext(context);
    configurator.doConfigure(getClass().getResource("/logback.xml"));
    Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
    ConsoleAppender<?> appender = (ConsoleAppender<?>) root.getAppender("STDERR");
    @SuppressWarnings("unchecked")
    LayoutWrappingEncoder<ch.qos.logback.classic.spi.ILoggingEvent> encoder =
        (LayoutWrappingEncoder<ch.qos.logback.classic.spi.ILoggingEvent>) appender.getEncoder();
    String line =
        encoder
            .getLayout()
            .doLayout(
                new LoggingEvent(
                    "x",
                    context.getLogger("io.herald.test"),
                    Level.WARN,
                    "refused GET /channels/chat:a?since=k3f9:1&token=eyJhbGc.eyJzdWIi.c2ln&x=1"
                        + " and Authorization: Bearer eyJhbGc.eyJzdWIi.c2ln",
                    null,
                    null));
    context.stop();
    assertThat(line)
        .doesNotContain("eyJ")
        .contains("token=[redacted]&x=1", "since=k3f9:1", "Bearer [redacted]");
  }
}
