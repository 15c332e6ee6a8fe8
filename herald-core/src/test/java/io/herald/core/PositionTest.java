package io.herald.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Positions: {@code epoch:offset} or a bare offset (PROTOCOL.md section 3). */
@Timeout(10)
class PositionTest {
  @Test
  void parsesEpochAndOffset() {
    Position p = Position.parse("k3f9:18");
    assertThat(p.epoch()).isEqualTo("k3f9");
    assertThat(p.offset()).isEqualTo(18);
  }

  @ParameterizedTest
  @ValueSource(strings = {"k3f9:18", "a:0", "0123456789abcdef:999999999999999999", "zz:1", "9:42"})
  void formatsBackToTheSameText(String text) {
    assertThat(Position.parse(text).toString()).isEqualTo(text);
    assertThat(Position.parse(text)).isEqualTo(Position.parse(text));
  }

  @Test
  void aBareOffsetHasNoEpoch() {
    Position p = Position.parse("18");
    assertThat(p.epoch()).isNull();
    assertThat(p.offset()).isEqualTo(18);
    assertThat(p.toString()).isEqualTo("18");
    assertThat(Position.parse("0").offset()).isZero();
  }

  @Test
  void offsetZeroIsBeforeTheFirstMessage() {
    assertThat(Position.parse("k3f9:0")).isEqualTo(new Position("k3f9", 0));
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "",
        ":",
        ":18",
        "k3f9:",
        "K3F9:1",
        "k3-f:1",
        "0123456789abcdefg:1",
        "k3f9:-1",
        "k3f9:+1",
        "-1",
        "1.5",
        "k3f9:1:2",
        "k3f9:1x",
        "abc",
        "k3f9 :1",
        "k3f9: 1",
        " 1",
        "1 ",
        "1234567890123456789",
        "k3f9:0x10",
        "é:1"
      })
  void garbageIsAnInvalidCursor(String text) {
    assertThatThrownBy(() -> Position.parse(text))
        .isInstanceOf(ProtocolException.class)
        .satisfies(
            e -> assertThat(((ProtocolException) e).code()).isEqualTo(ErrorCode.INVALID_CURSOR))
        .satisfies(e -> assertThat(e.getMessage()).contains("position"));
  }

  @Test
  void eighteenDigitsIsTheLongestOffset() {
    assertThat(Position.parse("999999999999999999").offset()).isEqualTo(999_999_999_999_999_999L);
    assertThatThrownBy(() -> Position.parse("9999999999999999999"))
        .isInstanceOf(ProtocolException.class);
  }

  @Test
  void epochsAreOneToSixteenLowercaseLettersAndDigits() {
    assertThat(Position.isEpoch("a")).isTrue();
    assertThat(Position.isEpoch("0123456789abcdef")).isTrue();
    assertThat(Position.isEpoch("0123456789abcdefg")).isFalse();
    assertThat(Position.isEpoch("")).isFalse();
    assertThat(Position.isEpoch("aB")).isFalse();
    assertThat(Position.isEpoch("a_b")).isFalse();
  }

  @Test
  void randomEpochsAreValidAndDiffer() {
    String a = Epochs.random();
    assertThat(a).hasSize(8).matches("[a-z0-9]{8}");
    assertThat(Position.isEpoch(a)).isTrue();
    assertThat(Epochs.random()).isNotEqualTo(a);
  }

  @Test
  void theConstructorRejectsANegativeOffsetOrABadEpoch() {
    assertThatThrownBy(() -> new Position("k3f9", -1)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new Position("K", 1)).isInstanceOf(IllegalArgumentException.class);
    assertThat(new Position(null, 3).toString()).isEqualTo("3");
  }
}
