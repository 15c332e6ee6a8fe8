package io.herald.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import picocli.CommandLine;

/** The command options of the WebSocket and publish rate limits: defaults and settings. */
@Timeout(10)
class ServeCommandLimitsTest {

  private static ServerConfig parse(String... args) {
    ServeCommand command = new ServeCommand();
    new CommandLine(command).parseArgs(args);
    return command.config();
  }

  @Test
  void defaultsAreTheConfigDefaults() {
    ServerConfig c = parse();
    assertThat(c.wsCommandRate()).isEqualTo(ServerConfig.DEFAULT_WS_COMMAND_RATE);
    assertThat(c.wsCommandBurst()).isEqualTo(ServerConfig.DEFAULT_WS_COMMAND_BURST);
    assertThat(c.httpPublishRate()).isEqualTo(ServerConfig.DEFAULT_HTTP_PUBLISH_RATE);
    assertThat(c.httpPublishBurst()).isEqualTo(ServerConfig.DEFAULT_HTTP_PUBLISH_BURST);
    assertThat(c.rateLimitStrikes()).isEqualTo(ServerConfig.DEFAULT_RATE_LIMIT_STRIKES);
    assertThat(c.rateLimitStrikeWindow()).isEqualTo(ServerConfig.DEFAULT_RATE_LIMIT_STRIKE_WINDOW);
    assertThat(c.wsMaxInflightPublishes())
        .isEqualTo(ServerConfig.DEFAULT_WS_MAX_INFLIGHT_PUBLISHES);
  }

  @Test
  void optionsSetEachLimit() {
    ServerConfig c =
        parse(
            "--ws-command-rate", "0",
            "--ws-command-burst", "7",
            "--http-publish-rate", "50",
            "--http-publish-burst", "60",
            "--rate-limit-strikes", "3",
            "--rate-limit-strike-seconds", "30",
            "--ws-max-inflight-publishes", "8");
    assertThat(c.wsCommandRate()).isZero();
    assertThat(c.wsCommandBurst()).isEqualTo(7);
    assertThat(c.httpPublishRate()).isEqualTo(50);
    assertThat(c.httpPublishBurst()).isEqualTo(60);
    assertThat(c.rateLimitStrikes()).isEqualTo(3);
    assertThat(c.rateLimitStrikeWindow()).isEqualTo(Duration.ofSeconds(30));
    assertThat(c.wsMaxInflightPublishes()).isEqualTo(8);
  }
}
