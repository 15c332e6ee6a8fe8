package io.herald.server.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The busiest channels: ranked over two windows, bounded per window, nothing counted when off. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class ChannelActivityTest {
  @Test
  void ranksByPublicationsPlusDeliveriesOverTheLastTwoWindows() {
    ChannelActivity a = new ChannelActivity(true);
    a.published("old");
    a.delivered("old", 100);
    a.rotate();
    a.published("a");
    a.delivered("a", 3);
    a.published("b");
    a.published("b");
    assertThat(a.top(10))
        .containsExactly(
            new ChannelActivity.Busy("old", 1, 100),
            new ChannelActivity.Busy("a", 1, 3),
            new ChannelActivity.Busy("b", 2, 0));
    assertThat(a.top(1)).hasSize(1);
    a.rotate();
    a.rotate();
    assertThat(a.top(10)).as("two windows later, nothing is left").isEmpty();
  }

  @Test
  void aWindowCountsAtMostMaxChannelsByName() {
    ChannelActivity a = new ChannelActivity(true);
    for (int i = 0; i < ChannelActivity.MAX_CHANNELS + 50; i++) {
      a.published("ch-" + i);
    }
    assertThat(a.top(ChannelActivity.MAX_TOP)).hasSize(ChannelActivity.MAX_TOP);
    a.published("ch-0");
    assertThat(a.top(1).get(0)).isEqualTo(new ChannelActivity.Busy("ch-0", 2, 0));
    a.published("ch-" + (ChannelActivity.MAX_CHANNELS + 10));
    assertThat(a.top(ChannelActivity.MAX_TOP))
        .noneMatch(b -> b.channel().equals("ch-" + (ChannelActivity.MAX_CHANNELS + 10)));
  }

  @Test
  void countsNothingWhenOff() {
    ChannelActivity a = new ChannelActivity(false);
    a.published("a");
    a.delivered("a", 5);
    assertThat(a.top(10)).isEmpty();
  }
}
