package io.herald.checker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import picocli.CommandLine;

/** The command line refuses bad options with a message that says what is allowed. */
@Timeout(value = 10, unit = TimeUnit.SECONDS)
class CheckerMainTest {
  private static String refuse(String... args) {
    StringWriter err = new StringWriter();
    CommandLine cmd = new CommandLine(new CheckerMain());
    cmd.setErr(new PrintWriter(err));
    assertThat(cmd.execute(args)).isEqualTo(CommandLine.ExitCode.USAGE);
    return err.toString();
  }

  @Test
  void durationsTakeSecondsMinutesAndHours() {
    assertThat(CheckerMain.parseDuration("90s")).isEqualTo(Duration.ofSeconds(90));
    assertThat(CheckerMain.parseDuration("30m")).isEqualTo(Duration.ofMinutes(30));
    assertThat(CheckerMain.parseDuration("1h")).isEqualTo(Duration.ofHours(1));
    assertThatThrownBy(() -> CheckerMain.parseDuration("soon"))
        .hasMessageContaining("90s, 30m, 1h");
  }

  @Test
  void aBadDurationIsRefusedWithWhatIsAllowed() {
    assertThat(refuse("--duration", "soon")).contains("--duration soon is not a duration");
  }

  @Test
  void aNodeCountOutOfRangeIsRefused() {
    assertThat(refuse("--nodes", "0")).contains("--nodes must be 1 to 9, got 0");
  }

  @Test
  void anUnknownFaultKindIsRefused() {
    assertThat(refuse("--faults", "METEOR")).contains("METEOR");
  }
}
