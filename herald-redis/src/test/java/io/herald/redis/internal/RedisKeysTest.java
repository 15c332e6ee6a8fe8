package io.herald.redis.internal;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(10)
class RedisKeysTest {
  private final RedisKeys keys = new RedisKeys("herald");

  @Test
  void keysCarryTheChannelAsHashTag() {
    assertThat(new String(keys.meta("chat:lobby"), UTF_8)).isEqualTo("herald:{chat:lobby}:meta");
    assertThat(new String(keys.stream("chat:lobby"), UTF_8))
        .isEqualTo("herald:{chat:lobby}:stream");
    assertThat(new String(keys.live("chat:lobby"), UTF_8)).isEqualTo("herald:{chat:lobby}:live");
  }

  @Test
  void liveChannelNamesMapBackToTheirChannel() {
    assertThat(keys.channelOfLive(keys.live("a:b@c=d.e_f-g"))).isEqualTo("a:b@c=d.e_f-g");
    assertThat(keys.channelOfLive("other:{x}:live".getBytes(UTF_8))).isNull();
    assertThat(keys.channelOfLive("herald:{x}:stream".getBytes(UTF_8))).isNull();
  }

  @Test
  void prefixWithBracesIsRefused() {
    assertThatThrownBy(() -> new RedisKeys("a{b}")).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void scriptsLoadWithTheirSha1() {
    assertThat(RedisScripts.PUBLISH.sha1()).hasSize(40).matches("[0-9a-f]+");
    assertThat(new String(RedisScripts.READ.text(), UTF_8))
        .contains("local function trimAge")
        .contains("XRANGE");
  }
}
