package io.herald.checker;

import static org.assertj.core.api.Assertions.assertThat;

import io.herald.checker.History.Attempt;
import io.herald.checker.History.Fault;
import io.herald.checker.History.Kind;
import io.herald.checker.History.Observation;
import io.herald.checker.History.Outcome;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Each rule of the {@link Analyzer} on small hand-made histories: it fires, and only when due. */
@Timeout(value = 10, unit = TimeUnit.SECONDS)
class AnalyzerTest {
  private static final String C = "ch";
  private final List<Attempt> attempts = new ArrayList<>();
  private final List<Observation> observations = new ArrayList<>();
  private final List<Fault> faults = new ArrayList<>();
  private long seq;
  private double time;

  private String data(String pub) {
    return "{\"pub\":\"" + pub + "\"}";
  }

  private Attempt publish(String pub, Outcome outcome, String epoch, long offset) {
    Attempt a = new Attempt(++seq, pub, "k-" + pub, C, data(pub), 1, "n1", "http", time += 1);
    a.outcome = outcome;
    a.epoch = epoch;
    a.offset = offset;
    a.end = time += 1;
    attempts.add(a);
    return a;
  }

  private void see(String sub, Kind kind, String epoch, long offset, String pub) {
    observations.add(
        new Observation(
            ++seq,
            time += 1,
            sub,
            1,
            "n1",
            "WS",
            C,
            kind,
            epoch,
            offset,
            pub == null ? null : data(pub)));
  }

  private List<String> rules(int historySize) {
    Analyzer a =
        new Analyzer(
            new History.Snapshot(
                List.copyOf(attempts), List.copyOf(observations), List.copyOf(faults)),
            historySize);
    return a.check().stream().map(Analyzer.Violation::rule).toList();
  }

  /** Three acknowledged publications delivered in order: nothing to report. */
  private void threeDelivered() {
    see("s", Kind.POSITION, "e", 0, null);
    for (int i = 1; i <= 3; i++) {
      publish("p" + i, Outcome.ACKNOWLEDGED, "e", i);
      see("s", Kind.DELIVER, "e", i, "p" + i);
    }
  }

  @Test
  void aCleanHistoryHasNoViolation() {
    threeDelivered();
    assertThat(rules(100)).isEmpty();
  }

  @Test
  void anOffsetDeliveredTwiceIsADuplicate() {
    threeDelivered();
    see("s", Kind.DELIVER, "e", 3, "p3");
    assertThat(rules(100)).contains("duplicate");
  }

  @Test
  void aSkippedOffsetWithoutNoticeIsASilentHole() {
    see("s", Kind.POSITION, "e", 0, null);
    publish("p1", Outcome.ACKNOWLEDGED, "e", 1);
    publish("p2", Outcome.ACKNOWLEDGED, "e", 2);
    see("s", Kind.DELIVER, "e", 2, "p2");
    assertThat(rules(100)).contains("silent-hole");
  }

  @Test
  void aNotRecoveredBehindThePositionMovesBackwards() {
    threeDelivered();
    see("s", Kind.NOT_RECOVERED, "e", 2, null);
    assertThat(rules(100)).contains("position-backwards");
  }

  @Test
  void aNotRecoveredOverMessagesStillInHistoryIsUnjustified() {
    threeDelivered();
    see("s", Kind.RESUME, "e", 1, null);
    for (int i = 4; i <= 6; i++) {
      publish("p" + i, Outcome.ACKNOWLEDGED, "e", i);
    }
    see("s", Kind.NOT_RECOVERED, "e", 6, null);
    assertThat(rules(100)).contains("unjustified-not-recovered");
  }

  @Test
  void aGapOverMessagesTrimmedFromHistoryIsJustified() {
    threeDelivered();
    for (int i = 4; i <= 20; i++) {
      publish("p" + i, Outcome.ACKNOWLEDGED, "e", i);
    }
    see("s", Kind.GAP, "e", 20, null);
    assertThat(rules(10)).isEmpty();
  }

  @Test
  void anEpochChangeIsJustifiedOnlyAfterRedisLostItsData() {
    threeDelivered();
    see("s", Kind.NOT_RECOVERED, "f", 0, null);
    assertThat(rules(100)).contains("unjustified-not-recovered");
    observations.remove(observations.size() - 1);
    faults.add(new Fault(++seq, FaultKind.RESTART_REDIS_EMPTY, "redis", time += 1));
    see("s", Kind.NOT_RECOVERED, "f", 0, null);
    assertThat(rules(100)).isEmpty();
  }

  @Test
  void aPublicationAnswered503MustNeverBeDelivered() {
    threeDelivered();
    publish("p4", Outcome.UNAVAILABLE, null, 0);
    see("s", Kind.DELIVER, "e", 4, "p4");
    assertThat(rules(100)).contains("delivered-after-503");
  }

  @Test
  void aRetryThatPublishedTwiceIsFound() {
    threeDelivered();
    publish("p4", Outcome.UNKNOWN, null, 0);
    publish("p4", Outcome.ACKNOWLEDGED, "e", 5);
    see("s", Kind.DELIVER, "e", 4, "p4");
    see("s", Kind.DELIVER, "e", 5, "p4");
    assertThat(rules(100)).contains("delivered-elsewhere");
  }

  @Test
  void dataNoPublisherSentIsFound() {
    threeDelivered();
    observations.add(
        new Observation(
            ++seq, time += 1, "s", 1, "n1", "WS", C, Kind.DELIVER, "e", 4, "{\"x\":1}"));
    assertThat(rules(100)).contains("never-published");
  }

  @Test
  void anAcknowledgedPublicationNeverDeliveredIsFound() {
    threeDelivered();
    publish("p4", Outcome.ACKNOWLEDGED, "e", 4);
    assertThat(rules(100)).contains("not-delivered");
  }

  @Test
  void anEpochChangeWithoutNoticeIsFound() {
    threeDelivered();
    faults.add(new Fault(++seq, FaultKind.RESTART_REDIS_EMPTY, "redis", time += 1));
    publish("p4", Outcome.ACKNOWLEDGED, "f", 1);
    see("s", Kind.DELIVER, "f", 1, "p4");
    assertThat(rules(100)).contains("silent-epoch-change");
  }
}
