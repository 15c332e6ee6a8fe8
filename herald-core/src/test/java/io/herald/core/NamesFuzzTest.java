package io.herald.core;

import static io.herald.core.FuzzChecks.parsedOrRefused;
import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.List;
import org.junit.jupiter.api.Timeout;

/**
 * Fuzzes channel names, channel lists and event names (PROTOCOL.md sections 1 and 2) with arbitrary
 * text, read as UTF-8 from the fuzzer's bytes. Without {@code JAZZER_FUZZ} it replays the committed
 * inputs in {@code src/test/resources/io/herald/core/NamesFuzzTestInputs/}.
 */
@Timeout(30)
class NamesFuzzTest {
  private static final int MAX_CHANNELS = 4;

  @FuzzTest(maxDuration = "10s")
  void channelNamesAreAcceptedUnchangedOrFailWithInvalidChannel(byte[] input) {
    String text = new String(input, StandardCharsets.UTF_8);
    String name = parsedOrRefused(() -> Names.channel(text), ErrorCode.INVALID_CHANNEL);
    if (name == null) {
      return;
    }
    assertThat(name).isSameAs(text).hasSizeBetween(1, Names.MAX_CHANNEL_LENGTH);
    assertThat(name.chars().allMatch(c -> Names.isChannelChar((char) c))).isTrue();
    assertThat(name).doesNotContain(",", "/", "?", "%", " ");
  }

  @FuzzTest(maxDuration = "10s")
  void channelListsSplitIntoDistinctValidNamesThatJoinBack(byte[] input) {
    String text = new String(input, StandardCharsets.UTF_8);
    List<String> names =
        parsedOrRefused(
            () -> Names.channelList(text, MAX_CHANNELS),
            ErrorCode.INVALID_CHANNEL,
            ErrorCode.TOO_MANY_CHANNELS);
    if (names == null) {
      return;
    }
    assertThat(names).hasSizeBetween(1, MAX_CHANNELS);
    assertThat(new HashSet<>(names)).hasSameSizeAs(names);
    for (String n : names) {
      assertThat(Names.channel(n)).isEqualTo(n);
    }
    assertThat(String.join(",", names)).isEqualTo(text);
  }

  @FuzzTest(maxDuration = "10s")
  void eventNamesAreAcceptedUnchangedOrFailWithInvalidEvent(byte[] input) {
    String text = new String(input, StandardCharsets.UTF_8);
    String event = parsedOrRefused(() -> Names.event(text), ErrorCode.INVALID_EVENT);
    if (event == null) {
      return;
    }
    assertThat(event).isSameAs(text).hasSizeBetween(1, Names.MAX_EVENT_LENGTH);
    assertThat(event).doesNotStartWith(Names.RESERVED_EVENT_PREFIX);
    assertThat(event.chars().allMatch(c -> Names.isAlnum((char) c) || "_-.".indexOf(c) >= 0))
        .isTrue();
  }
}
