package io.herald.client.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.herald.core.Cursor;
import io.herald.core.Message;
import io.herald.core.Position;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The cursor a subscription keeps: what resumes on any other transport. */
class CursorTrackerTest {
  private static Message message(String channel, String epoch, long offset) {
    return Message.create(
        channel, epoch, offset, "message", "1".getBytes(StandardCharsets.UTF_8), 0);
  }

  @Test
  void startsFromNowOnEveryChannelWithoutSince() {
    CursorTracker t = new CursorTracker(List.of("a", "b"), null);
    assertThat(t.cursor().toString()).isEqualTo(",");
  }

  @Test
  void advancesOnlyTheMessagesChannelInListOrder() {
    CursorTracker t = new CursorTracker(List.of("a", "b"), Cursor.parse("e1:3,e2:9", 2));
    t.advance(message("b", "e2", 10));
    assertThat(t.cursor().toString()).isEqualTo("e1:3,e2:10");
    t.advance(message("a", "e1", 4));
    assertThat(t.cursor().toString()).isEqualTo("e1:4,e2:10");
  }

  @Test
  void ignoresMessagesOfOtherChannels() {
    CursorTracker t = new CursorTracker(List.of("a"), Cursor.parse("e1:3", 1));
    assertThat(t.advance(message("z", "e1", 4))).isEqualTo(-1);
    assertThat(t.cursor().toString()).isEqualTo("e1:3");
  }

  @Test
  void subscribedAndGapPositionsMoveTheCursor() {
    CursorTracker t = new CursorTracker(List.of("a", "b"), null);
    t.set("a", Position.parse("k3f9:0"));
    assertThat(t.cursor().toString()).isEqualTo("k3f9:0,");
    t.set("b", Position.parse("ab12:1050"));
    assertThat(t.cursor().toString()).isEqualTo("k3f9:0,ab12:1050");
  }

  @Test
  void serverCursorReplacesButEmptyEntriesKeepTheCurrentPosition() {
    CursorTracker t = new CursorTracker(List.of("a", "b"), Cursor.parse("e1:3,e2:9", 2));
    t.replace(Cursor.parse("e1:5,", 2));
    assertThat(t.cursor().toString()).isEqualTo("e1:5,e2:9");
  }

  @Test
  void refusesACursorOfTheWrongSize() {
    assertThatThrownBy(() -> new CursorTracker(List.of("a", "b"), Cursor.parse("e1:3", 1)))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void aPositionNeverMovesBackwardsInTheSameEpoch() {
    CursorTracker t = new CursorTracker(List.of("a"), Cursor.parse("e1:5", 1));
    assertThat(t.set("a", Position.parse("e1:4"))).isFalse();
    t.replace(Cursor.parse("e1:3", 1));
    assertThat(t.cursor().toString()).isEqualTo("e1:5");
    assertThat(t.set("a", Position.parse("e1:5"))).isTrue();
    assertThat(t.set("a", Position.parse("e1:8"))).isTrue();
    assertThat(t.cursor().toString()).isEqualTo("e1:8");
  }

  @Test
  void aMessageAtOrBehindThePositionIsARepeatAndDoesNotMoveIt() {
    CursorTracker t = new CursorTracker(List.of("a"), Cursor.parse("e1:5", 1));
    assertThat(t.advance(message("a", "e1", 5))).isEqualTo(-1);
    assertThat(t.advance(message("a", "e1", 2))).isEqualTo(-1);
    assertThat(t.cursor().toString()).isEqualTo("e1:5");
    assertThat(t.advance(message("a", "e1", 6))).isZero();
    assertThat(t.cursor().toString()).isEqualTo("e1:6");
  }

  @Test
  void anotherEpochOrABareOffsetIsNeverBehind() {
    CursorTracker t = new CursorTracker(List.of("a"), Cursor.parse("e1:5", 1));
    assertThat(CursorTracker.behind(Position.parse("e2:1"), t.get(0))).isFalse();
    assertThat(CursorTracker.behind(Position.parse("1"), t.get(0))).isFalse();
    assertThat(CursorTracker.behind(Position.parse("e1:1"), null)).isFalse();
    assertThat(t.set("a", Position.parse("e2:1"))).isTrue();
    assertThat(t.advance(message("a", "e2", 2))).isZero();
    assertThat(t.cursor().toString()).isEqualTo("e2:2");
  }

  @Test
  void resetMovesEvenBackwardsForTheServersFirstJudgement() {
    CursorTracker t = new CursorTracker(List.of("a"), Cursor.parse("e1:99", 1));
    t.reset("a", Position.parse("e1:2"));
    assertThat(t.cursor().toString()).isEqualTo("e1:2");
    assertThat(t.advance(message("a", "e1", 3))).isZero();
  }
}
