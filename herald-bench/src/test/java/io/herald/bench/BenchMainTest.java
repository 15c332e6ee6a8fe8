package io.herald.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.herald.core.Transport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class BenchMainTest {
  @Test
  void durationsTakeUnits() {
    assertThat(BenchMain.seconds("30s")).isEqualTo(30);
    assertThat(BenchMain.seconds("500ms")).isEqualTo(0.5);
    assertThat(BenchMain.seconds("2m")).isEqualTo(120);
    assertThat(BenchMain.seconds("7")).isEqualTo(7);
    assertThatThrownBy(() -> BenchMain.seconds("soon")).hasMessageContaining("not a duration");
  }

  @Test
  void transportsParseByWireName() {
    assertThat(Transport.parse("long-poll")).isEqualTo(Transport.LONG_POLL);
    assertThat(Transport.parse("WS")).isEqualTo(Transport.WEBSOCKET);
    assertThatThrownBy(() -> Transport.parse("carrier-pigeon"))
        .hasMessageContaining("unknown transport");
  }

  @Test
  void badArgumentsExitWithTwoBeforeConnecting() {
    assertThat(BenchMain.run("fan-out", "--transport", "carrier-pigeon")).isEqualTo(2);
    assertThat(BenchMain.run("fan-out", "--subscribers", "25000")).isEqualTo(2);
    assertThat(BenchMain.run("fan-out", "--server", "nchan", "--transport", "short-poll"))
        .isEqualTo(2);
  }

  @Test
  void moreConnectionsThanTheOpenFileLimitAllowsAreRefusedClearly() {
    assertThatThrownBy(() -> Runner.checkOpenFiles(19_500)).hasMessageContaining("at most 19000");
  }
}
