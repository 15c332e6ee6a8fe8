package io.herald.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Cursors: one position per listed channel, comma-separated (PROTOCOL.md section 3). */
@Timeout(10)
class CursorTest {
  @Test
  void parsesOnePositionPerChannelInOrder() {
    Cursor c = Cursor.parse("k3f9:18,ab12:40", 2);
    assertThat(c.size()).isEqualTo(2);
    assertThat(c.get(0)).isEqualTo(new Position("k3f9", 18));
    assertThat(c.get(1)).isEqualTo(new Position("ab12", 40));
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "k3f9:18,ab12:40 | 2",
        "k3f9:18 | 1",
        "k3f9:18, | 2",
        ",k3f9:18 | 2",
        "18,ab12:0,7 | 3",
        "',' | 2",
        "',,' | 3"
      })
  void formatsBackToTheSameText(String text, int channels) {
    Cursor c = Cursor.parse(text, channels);
    assertThat(c.toString()).isEqualTo(text);
    assertThat(Cursor.parse(c.toString(), channels)).isEqualTo(c);
  }

  @Test
  void bareOffsetsAreAccepted() {
    Cursor c = Cursor.parse("18,40", 2);
    assertThat(c.get(0)).isEqualTo(new Position(null, 18));
    assertThat(c.get(1).epoch()).isNull();
  }

  @Test
  void anEmptyEntryMeansFromNowForThatChannel() {
    Cursor c = Cursor.parse("k3f9:18,", 2);
    assertThat(c.get(0)).isEqualTo(new Position("k3f9", 18));
    assertThat(c.get(1)).isNull();
    assertThat(Cursor.parse(",", 2).positions()).containsExactly(null, null);
  }

  @Test
  void noCursorMeansFromNowOnEveryChannel() {
    assertThat(Cursor.parse(null, 3)).isEqualTo(Cursor.fromNow(3));
    assertThat(Cursor.parse("", 2).positions()).containsExactly(null, null);
    assertThat(Cursor.fromNow(1).toString()).isEmpty();
    assertThat(Cursor.fromNow(3).toString()).isEqualTo(",,");
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "k3f9:18 | 2",
        "k3f9:18,ab12:40 | 1",
        "k3f9:18,ab12:40,zz:1 | 2",
        "',' | 1",
        "',' | 3"
      })
  void aCountOfPositionsOtherThanTheChannelsIsAnInvalidCursor(String text, int channels) {
    assertThatThrownBy(() -> Cursor.parse(text, channels))
        .isInstanceOf(ProtocolException.class)
        .satisfies(
            e -> assertThat(((ProtocolException) e).code()).isEqualTo(ErrorCode.INVALID_CURSOR))
        .satisfies(e -> assertThat(e.getMessage()).contains(channels + " channel"));
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "k3f9:x,ab12:40 | 2",
        "k3f9:18;ab12:40 | 1",
        "K3F9:1 | 1",
        "k3f9:18,ab12: | 2",
        "k3f9:18, ab12:40 | 2",
        "%2C | 1"
      })
  void garbageIsAnInvalidCursor(String text, int channels) {
    assertThatThrownBy(() -> Cursor.parse(text, channels))
        .isInstanceOf(ProtocolException.class)
        .satisfies(
            e -> assertThat(((ProtocolException) e).code()).isEqualTo(ErrorCode.INVALID_CURSOR));
  }

  @Test
  void withReplacesOnePositionAndKeepsTheOriginal() {
    Cursor c = Cursor.parse("k3f9:18,", 2);
    Cursor moved = c.with(1, new Position("ab12", 3));
    assertThat(moved.toString()).isEqualTo("k3f9:18,ab12:3");
    assertThat(c.toString()).isEqualTo("k3f9:18,");
  }

  @Test
  void ofKeepsFromNowEntriesAndIsImmutable() {
    Cursor c = Cursor.of(Arrays.asList(null, new Position("a", 1)));
    assertThat(c.toString()).isEqualTo(",a:1");
    assertThatThrownBy(() -> c.positions().set(0, new Position("b", 2)))
        .isInstanceOf(UnsupportedOperationException.class);
  }
}
