package io.herald.server.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.herald.server.ServerConfig;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The start-up check of the open-file limit against {@code --max-connections}. */
@Timeout(value = 10, unit = TimeUnit.SECONDS)
class OpenFilesTest {
  private static final ServerConfig CONFIG =
      ServerConfig.builder().maxConnections(1000).openFilesHeadroom(100).build();

  @Test
  void anUnknownLimitKeepsTheConfiguredConnectionLimit() {
    assertThat(OpenFiles.effectiveMaxConnections(CONFIG, -1)).isEqualTo(1000);
  }

  @Test
  void aLimitThatCoversConnectionsPlusHeadroomKeepsTheConfiguredLimit() {
    assertThat(OpenFiles.effectiveMaxConnections(CONFIG, 1100)).isEqualTo(1000);
    assertThat(OpenFiles.effectiveMaxConnections(CONFIG, 1_048_576)).isEqualTo(1000);
  }

  @Test
  void aLowerLimitLowersTheConnectionLimitToTheLimitMinusHeadroom() {
    assertThat(OpenFiles.effectiveMaxConnections(CONFIG, 1099)).isEqualTo(999);
    assertThat(OpenFiles.effectiveMaxConnections(CONFIG, 256)).isEqualTo(156);
  }

  @Test
  void aLimitBelowTheHeadroomStillAllowsOneConnection() {
    assertThat(OpenFiles.effectiveMaxConnections(CONFIG, 64)).isEqualTo(1);
  }

  @Test
  void thisProcessKnowsItsLimitOnUnix() {
    assertThat(OpenFiles.limit()).isNotZero();
  }
}
