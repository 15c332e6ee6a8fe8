package io.herald.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class ProcStatsTest {
  @Test
  void cpuTicksAreUtimePlusStimeCountedFromTheLastParenthesis() {
    // pid, comm with a space and a ')' inside, state, then fields 4..; utime (14) = 1234, stime
    // (15) = 56
    String stat =
        "4242 (java (x) y) S 1 4242 4242 0 -1 4194560 35000 0 0 0 1234 56 0 0 20 0 40 0 1000 9000000 30000 "
            + "18446744073709551615 1 1 0 0 0 0 0 0 2 0 0 0 17 1 0 0 0 0 0\n";
    assertThat(ProcStats.cpuTicks(stat)).isEqualTo(1290);
  }

  @Test
  void rssIsReadInKibFromVmRss() {
    String status =
        "Name:\tjava\nState:\tS (sleeping)\nVmPeak:\t 9000000 kB\nVmRSS:\t  361544 kB\nRssAnon:\t 300000 kB\n";
    assertThat(ProcStats.rssKib(status)).isEqualTo(361544);
  }

  @Test
  void garbageIsRejectedWithAClearMessage() {
    assertThatThrownBy(() -> ProcStats.cpuTicks("nothing here"))
        .hasMessageContaining("not a /proc/PID/stat line");
    assertThatThrownBy(() -> ProcStats.rssKib("Name:\tzombie\n")).hasMessageContaining("no VmRSS");
  }

  @Test
  void samplesThisProcessAndNothingForNoPid() {
    ProcStats.Sample s = ProcStats.self();
    assertThat(s).isNotNull();
    assertThat(s.rssKib()).isPositive();
    assertThat(s.cpuSeconds()).isPositive();
    assertThat(ProcStats.sample(0)).isNull();
    assertThat(ProcStats.clockTick()).isPositive();
  }
}
