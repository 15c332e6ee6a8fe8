package io.herald.core;

import static io.herald.core.FuzzChecks.parsedOrRefused;
import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Timeout;

/**
 * Fuzzes position and cursor parsing (PROTOCOL.md section 3) with arbitrary text, read as UTF-8
 * from the fuzzer's bytes. Without {@code JAZZER_FUZZ} it replays the committed inputs in {@code
 * src/test/resources/io/herald/core/CursorFuzzTestInputs/}; see the README's "Fuzzing".
 */
@Timeout(30)
class CursorFuzzTest {
  @FuzzTest(maxDuration = "10s")
  void positionParsesOrFailsWithInvalidCursorAndFormatsBackStably(byte[] input) {
    String text = new String(input, StandardCharsets.UTF_8);
    Position p = parsedOrRefused(() -> Position.parse(text), ErrorCode.INVALID_CURSOR);
    if (p == null) {
      return;
    }
    assertThat(p.offset()).isNotNegative();
    assertThat(p.epoch() == null || Position.isEpoch(p.epoch())).isTrue();
    String formatted = p.toString();
    Position again = Position.parse(formatted);
    assertThat(again).isEqualTo(p);
    assertThat(again.toString()).isEqualTo(formatted);
  }

  @FuzzTest(maxDuration = "10s")
  void cursorParsesOrFailsWithInvalidCursorAndFormatsBackStably(byte[] input) {
    String text = new String(input, StandardCharsets.UTF_8);
    int channels = text.split(",", -1).length;
    Cursor c = parsedOrRefused(() -> Cursor.parse(text, channels), ErrorCode.INVALID_CURSOR);
    if (c != null) {
      assertThat(c.size()).isEqualTo(channels);
      String formatted = c.toString();
      Cursor again = Cursor.parse(formatted, channels);
      assertThat(again).isEqualTo(c);
      assertThat(again.toString()).isEqualTo(formatted);
    }
    // A cursor for another number of channels never parses (unless empty: "from now").
    Cursor other =
        parsedOrRefused(() -> Cursor.parse(text, channels + 1), ErrorCode.INVALID_CURSOR);
    assertThat(other == null || text.isEmpty()).as("cursor for %d channels", channels + 1).isTrue();
  }
}
