package io.herald.checker;

import io.herald.checker.History.Attempt;
import io.herald.checker.History.Fault;
import io.herald.checker.History.Kind;
import io.herald.checker.History.Observation;
import io.herald.checker.History.Outcome;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Checks one run's history against Herald's promise (PROTOCOL.md sections 2 to 5), per subscriber
 * and channel:
 *
 * <ul>
 *   <li>offsets strictly increasing within an epoch, each the one after the last (no duplicate, no
 *       silent hole), and no epoch change without a notice;
 *   <li>every {@code recovered:false} and every gap justified: the epoch truly changed (Redis lost
 *       its data before it), or the skipped messages were truly out of history (the first one at
 *       least {@code historySize} behind the highest head the channel could have had then);
 *   <li>every acknowledged publication delivered by the end of the run (after the faults healed);
 *   <li>no delivery that was never published, that was answered 503, that differs from what was
 *       acknowledged at its offset, and no publication (one idempotency key) at two offsets.
 * </ul>
 *
 * <p>The head bound is conservative (it counts every attempt whose outcome is not known as a
 * possible publication), so a justified notice is never reported; an unjustified one may pass when
 * many outcomes are unknown. Not thread-safe: one call per run, after the run.
 */
final class Analyzer {
  /** One broken rule. */
  record Violation(
      String rule, double time, String subscriber, String channel, String text, String pub) {
    Violation(String rule, double time, String subscriber, String channel, String text) {
      this(rule, time, subscriber, channel, text, null);
    }

    @Override
    public String toString() {
      String when = time == Double.MAX_VALUE ? "end" : String.format("%.1f", time);
      return String.format("%9s %s %s/%s: %s", when, rule, subscriber, channel, text);
    }
  }

  private record Pos(String epoch, long offset) {
    @Override
    public String toString() {
      return epoch + ":" + offset;
    }
  }

  private final History.Snapshot h;
  private final int historySize;
  private final List<Violation> violations = new ArrayList<>();
  private final Map<String, List<Attempt>> byPub = new LinkedHashMap<>();
  private final Map<String, String> pubByData = new HashMap<>();
  private final Map<String, Outcome> finalOutcome = new HashMap<>();
  private final Map<String, Pos> ackOf = new HashMap<>();
  private Map<String, List<Attempt>> attemptsByChannel;
  private Map<String, List<Observation>> observationsByChannel;

  Analyzer(History.Snapshot history, int historySize) {
    this.h = history;
    this.historySize = historySize;
  }

  /** Runs every check; answers the violations in time order. */
  List<Violation> check() {
    publications();
    deliveries();
    Map<String, Pos> finals = walks();
    completeness(finals);
    violations.sort(Comparator.comparingDouble(Violation::time));
    return violations;
  }

  private void publications() {
    for (Attempt a : h.attempts()) {
      byPub.computeIfAbsent(a.pub, k -> new ArrayList<>()).add(a);
      pubByData.put(a.data, a.pub);
    }
    Map<String, String> pubAt = new HashMap<>();
    for (Map.Entry<String, List<Attempt>> e : byPub.entrySet()) {
      Pos ack = null;
      boolean all503 = true;
      for (Attempt a : e.getValue()) {
        if (a.outcome == null) {
          all503 = false; // still running when the run stopped
          continue;
        }
        if (a.outcome != Outcome.UNAVAILABLE) {
          all503 = false;
        }
        if (a.outcome == Outcome.ACKNOWLEDGED) {
          Pos p = new Pos(a.epoch, a.offset);
          if (ack != null && !ack.equals(p)) {
            violations.add(
                new Violation(
                    "acknowledged-twice",
                    a.end,
                    "-",
                    a.channel,
                    "publication "
                        + a.pub
                        + " (key "
                        + a.key
                        + ") acknowledged at "
                        + ack
                        + " and again at "
                        + p
                        + ": a retry with the same key published it twice",
                    a.pub));
          }
          if (ack == null) {
            ack = p;
          }
          String other = pubAt.putIfAbsent(a.channel + "|" + p, a.pub);
          if (other != null && !other.equals(a.pub)) {
            violations.add(
                new Violation(
                    "offset-reused",
                    a.end,
                    "-",
                    a.channel,
                    "publications " + other + " and " + a.pub + " both acknowledged at " + p));
          }
        }
      }
      Outcome o =
          ack != null ? Outcome.ACKNOWLEDGED : all503 ? Outcome.UNAVAILABLE : Outcome.UNKNOWN;
      finalOutcome.put(e.getKey(), o);
      if (ack != null) {
        ackOf.put(e.getKey(), ack);
      }
    }
  }

  private void deliveries() {
    Map<String, String> dataAt = new HashMap<>();
    Map<String, Set<Pos>> seenAt = new HashMap<>();
    for (Observation o : h.observations()) {
      if (o.kind() != Kind.DELIVER) {
        continue;
      }
      Pos p = new Pos(o.epoch(), o.offset());
      String pub = pubByData.get(o.data());
      if (pub == null) {
        violations.add(
            new Violation(
                "never-published",
                o.time(),
                o.subscriber(),
                o.channel(),
                "delivered " + p + " with data " + o.data() + " that no publisher sent"));
        continue;
      }
      Attempt first = byPub.get(pub).get(0);
      if (!first.channel.equals(o.channel())) {
        violations.add(
            new Violation(
                "wrong-channel",
                o.time(),
                o.subscriber(),
                o.channel(),
                "delivered " + pub + " published to " + first.channel));
      }
      String prior = dataAt.putIfAbsent(o.channel() + "|" + p, o.data());
      if (prior != null && !prior.equals(o.data())) {
        violations.add(
            new Violation(
                "data-differs",
                o.time(),
                o.subscriber(),
                o.channel(),
                "two different messages delivered at " + p + ": " + prior + " and " + o.data()));
      }
      Outcome out = finalOutcome.get(pub);
      Pos ack = ackOf.get(pub);
      if (out == Outcome.UNAVAILABLE) {
        violations.add(
            new Violation(
                "delivered-after-503",
                o.time(),
                o.subscriber(),
                o.channel(),
                "delivered "
                    + pub
                    + " at "
                    + p
                    + " though every attempt to publish it was answered 503 (nothing published)",
                pub));
      } else if (ack != null && !ack.equals(p)) {
        violations.add(
            new Violation(
                "delivered-elsewhere",
                o.time(),
                o.subscriber(),
                o.channel(),
                "delivered "
                    + pub
                    + " at "
                    + p
                    + " but it was acknowledged at "
                    + ack
                    + " (published twice, or data differs from what was published at "
                    + p
                    + ")",
                pub));
      }
      Set<Pos> at = seenAt.computeIfAbsent(pub, k -> new HashSet<>());
      at.add(p);
      if (at.size() == 2 && ack == null) {
        violations.add(
            new Violation(
                "published-twice",
                o.time(),
                o.subscriber(),
                o.channel(),
                "publication " + pub + " (one idempotency key) delivered at two offsets: " + at,
                pub));
      }
    }
  }

  /** The highest head channel {@code c} can have had in {@code epoch} at time {@code t}. */
  private long headBound(String channel, String epoch, double t) {
    if (attemptsByChannel == null) {
      attemptsByChannel = new HashMap<>();
      observationsByChannel = new HashMap<>();
      for (Attempt a : h.attempts()) {
        attemptsByChannel.computeIfAbsent(a.channel, k -> new ArrayList<>()).add(a);
      }
      for (Observation o : h.observations()) {
        observationsByChannel.computeIfAbsent(o.channel(), k -> new ArrayList<>()).add(o);
      }
    }
    long max = 0;
    long unknown = 0;
    for (Attempt a : attemptsByChannel.getOrDefault(channel, List.of())) {
      if (a.start >= t) {
        continue;
      }
      if (a.outcome == Outcome.ACKNOWLEDGED) {
        if (epoch.equals(a.epoch)) {
          max = Math.max(max, a.offset);
        }
      } else {
        unknown++;
      }
    }
    for (Observation o : observationsByChannel.getOrDefault(channel, List.of())) {
      if (o.time() < t && epoch.equals(o.epoch())) {
        max = Math.max(max, o.offset());
      }
    }
    return max + unknown;
  }

  private boolean dataLostBefore(double t) {
    for (Fault f : h.faults()) {
      if (f.kind == FaultKind.RESTART_REDIS_EMPTY && f.start < t) {
        return true;
      }
    }
    return false;
  }

  private Map<String, Pos> walks() {
    Map<String, Pos> cur = new LinkedHashMap<>();
    for (Observation o : h.observations()) {
      if (o.kind() == Kind.RESUME) {
        continue;
      }
      String k = o.subscriber() + "|" + o.channel();
      Pos p = new Pos(o.epoch(), o.offset());
      Pos c = cur.get(k);
      cur.put(k, p);
      if (c == null) {
        continue;
      }
      String where = " (" + o.transport() + " on " + o.node() + ")";
      switch (o.kind()) {
        case DELIVER -> {
          if (!p.epoch().equals(c.epoch())) {
            violate(
                o,
                "silent-epoch-change",
                "delivered " + p + " while at " + c + ", with no notice" + where);
          } else if (p.offset() <= c.offset()) {
            violate(
                o,
                "duplicate",
                "delivered " + p + " again or out of order, already at " + c + where);
          } else if (p.offset() > c.offset() + 1) {
            violate(
                o,
                "silent-hole",
                "delivered "
                    + p
                    + " right after "
                    + c
                    + ": offsets "
                    + (c.offset() + 1)
                    + ".."
                    + (p.offset() - 1)
                    + " skipped with no notice"
                    + where);
          }
        }
        case POSITION -> {
          if (!p.epoch().equals(c.epoch())) {
            violate(o, "silent-epoch-change", "recovered at " + p + " while at " + c + where);
          } else if (p.offset() > c.offset()) {
            violate(
                o,
                "silent-hole",
                "recovered position "
                    + p
                    + " is ahead of "
                    + c
                    + ": offsets "
                    + (c.offset() + 1)
                    + ".."
                    + p.offset()
                    + " skipped with no notice"
                    + where);
          } else if (p.offset() < c.offset()) {
            violate(o, "position-backwards", "recovered position " + p + " is behind " + c + where);
          }
        }
        case NOT_RECOVERED, GAP -> justify(o, c, p, where);
        default -> {}
      }
    }
    return cur;
  }

  private void justify(Observation o, Pos c, Pos p, String where) {
    String what = o.kind() == Kind.GAP ? "gap" : "recovered:false";
    if (!p.epoch().equals(c.epoch())) {
      if (!dataLostBefore(o.time())) {
        violate(
            o,
            "unjustified-" + (o.kind() == Kind.GAP ? "gap" : "not-recovered"),
            what + " from " + c + " to epoch " + p + ", but Redis never lost its data" + where);
      }
      return;
    }
    if (p.offset() < c.offset()) {
      violate(
          o,
          "position-backwards",
          what + " moved the position back from " + c + " to " + p + where);
      return;
    }
    long head = headBound(o.channel(), c.epoch(), o.time());
    long oldestKept = head - historySize + 1;
    if (c.offset() + 1 >= oldestKept) {
      violate(
          o,
          "unjustified-" + (o.kind() == Kind.GAP ? "gap" : "not-recovered"),
          what
              + " from "
              + c
              + " to "
              + p
              + ", but history still held offset "
              + (c.offset() + 1)
              + " (head at most "
              + head
              + ", "
              + historySize
              + " kept)"
              + where);
    }
  }

  private void completeness(Map<String, Pos> finals) {
    Map<String, Attempt> lastAck = new HashMap<>();
    Map<String, Long> maxOffset = new HashMap<>();
    for (Attempt a : h.attempts()) {
      if (a.outcome != Outcome.ACKNOWLEDGED) {
        continue;
      }
      Attempt l = lastAck.get(a.channel);
      if (l == null || a.end > l.end) {
        lastAck.put(a.channel, a);
      }
    }
    for (Attempt a : h.attempts()) {
      Attempt l = lastAck.get(a.channel);
      if (a.outcome == Outcome.ACKNOWLEDGED && l.epoch.equals(a.epoch)) {
        maxOffset.merge(a.channel, a.offset, Math::max);
      }
    }
    for (Map.Entry<String, Pos> e : finals.entrySet()) {
      String[] k = e.getKey().split("\\|", 2);
      String channel = k[1];
      Attempt l = lastAck.get(channel);
      if (l == null) {
        continue;
      }
      Pos p = e.getValue();
      long max = maxOffset.get(channel);
      boolean behind =
          p.epoch().equals(l.epoch)
              ? p.offset() < max
              : firstSeen(channel, p.epoch()) < firstSeen(channel, l.epoch);
      if (behind) {
        violations.add(
            new Violation(
                "not-delivered",
                Double.MAX_VALUE,
                k[0],
                channel,
                "at the end of the run the subscriber stands at "
                    + p
                    + " but publications up to "
                    + l.epoch
                    + ":"
                    + max
                    + " were acknowledged"));
      }
    }
  }

  /** When an epoch of a channel was first seen, in an acknowledgement or on the wire. */
  private double firstSeen(String channel, String epoch) {
    double t = Double.MAX_VALUE;
    for (Attempt a : h.attempts()) {
      if (a.channel.equals(channel) && epoch.equals(a.epoch) && a.outcome == Outcome.ACKNOWLEDGED) {
        t = Math.min(t, a.end);
      }
    }
    for (Observation o : h.observations()) {
      if (o.channel().equals(channel) && epoch.equals(o.epoch())) {
        t = Math.min(t, o.time());
      }
    }
    return t;
  }

  private void violate(Observation o, String rule, String text) {
    violations.add(new Violation(rule, o.time(), o.subscriber(), o.channel(), text));
  }

  /** Prints counts: publications by outcome, deliveries, notices, faults by kind, violations. */
  void printSummary(PrintStream out, List<Violation> found) {
    Map<Outcome, Integer> pubs = new EnumMap<>(Outcome.class);
    finalOutcome.values().forEach(o -> pubs.merge(o, 1, Integer::sum));
    Map<String, Integer> attempts = new TreeMap<>();
    for (Attempt a : h.attempts()) {
      attempts.merge(a.transport + " " + a.outcome, 1, Integer::sum);
    }
    Map<String, Integer> seen = new TreeMap<>();
    for (Observation o : h.observations()) {
      seen.merge(o.kind() + " " + o.transport(), 1, Integer::sum);
    }
    Map<FaultKind, Integer> faults = new EnumMap<>(FaultKind.class);
    h.faults().forEach(f -> faults.merge(f.kind, 1, Integer::sum));
    Map<String, Integer> rules = new TreeMap<>();
    found.forEach(v -> rules.merge(v.rule(), 1, Integer::sum));
    out.println("publications by final outcome: " + pubs);
    out.println("attempts: " + attempts);
    out.println("observations: " + seen);
    out.println("faults: " + faults);
    out.println("violations: " + found.size() + " " + rules);
  }

  /**
   * Prints the history around a violation: every fault, the publications to its channel and what
   * its subscriber saw on that channel (at most 60 lines before it and 15 after), the attempts of
   * the publication involved, and the faults of the 15 s before.
   */
  void printHistory(PrintStream out, Violation v) {
    double t = v.time() == Double.MAX_VALUE ? lastTime() : v.time();
    List<Object[]> lines = new ArrayList<>();
    for (Fault f : h.faults()) {
      double end = Double.isNaN(f.end) ? Double.MAX_VALUE : f.end;
      if (end >= t - 5_000 && f.start <= t + 1_000) {
        lines.add(new Object[] {f.start, f.seq, f.toString()});
      }
    }
    for (Attempt a : h.attempts()) {
      if (a.channel.equals(v.channel()) && a.start >= t - 5_000 && a.start <= t + 1_000) {
        lines.add(new Object[] {a.start, a.seq, a.toString()});
      }
    }
    for (Observation o : h.observations()) {
      if (o.channel().equals(v.channel())
          && o.subscriber().equals(v.subscriber())
          && o.time() >= t - 5_000
          && o.time() <= t + 1_000) {
        String s = o.toString();
        if (o.kind() == Kind.DELIVER) {
          String pub = pubByData.get(o.data());
          s += pub == null ? "" : " (" + pub + ", " + finalOutcome.get(pub) + ")";
        }
        lines.add(new Object[] {o.time(), o.seq(), s});
      }
    }
    lines.sort(
        Comparator.<Object[]>comparingDouble(l -> (Double) l[0])
            .thenComparingLong(l -> (Long) l[1]));
    int at = 0;
    while (at < lines.size() && (Double) lines.get(at)[0] <= t) {
      at++;
    }
    List<Object[]> shown = new ArrayList<>(lines.subList(Math.max(0, at - 60), at));
    shown.addAll(lines.subList(at, Math.min(lines.size(), at + 15)));
    if (v.pub() != null) {
      for (Attempt a : byPub.getOrDefault(v.pub(), List.of())) {
        if (shown.stream().noneMatch(l -> (Long) l[1] == a.seq)) {
          shown.add(new Object[] {a.start, a.seq, a.toString()});
        }
      }
    }
    for (Fault f : h.faults()) {
      double end = Double.isNaN(f.end) ? Double.MAX_VALUE : f.end;
      if (end >= t - 15_000
          && f.start <= t + 1_000
          && shown.stream().noneMatch(l -> (Long) l[1] == f.seq)) {
        shown.add(new Object[] {f.start, f.seq, f.toString()});
      }
    }
    shown.sort(
        Comparator.<Object[]>comparingDouble(l -> (Double) l[0])
            .thenComparingLong(l -> (Long) l[1]));
    out.println("---- history around the first violation (ms since start) ----");
    for (Object[] l : shown) {
      out.println(l[2]);
    }
    out.println("---- " + v);
  }

  private double lastTime() {
    double t = 0;
    for (Observation o : h.observations()) {
      t = Math.max(t, o.time());
    }
    return t;
  }
}
