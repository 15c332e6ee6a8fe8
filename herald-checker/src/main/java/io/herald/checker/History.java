package io.herald.checker;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Everything that happened in one run, in the order it was recorded: publication attempts, what
 * subscribers saw on the wire, and faults. Times are milliseconds since the run started (monotonic
 * clock).
 *
 * <p>Thread-safe: publishers, subscribers and the nemesis record concurrently; {@link #snapshot}
 * copies under the same lock.
 */
public final class History {
  private final long startNanos = System.nanoTime();
  private final AtomicLong seq = new AtomicLong();
  private final List<Attempt> attempts = new ArrayList<>();
  private final List<Observation> observations = new ArrayList<>();
  private final List<Fault> faults = new ArrayList<>();

  /** Milliseconds since the run started; monotonic. */
  public double now() {
    return (System.nanoTime() - startNanos) / 1e6;
  }

  long nextSeq() {
    return seq.incrementAndGet();
  }

  synchronized void add(Attempt a) {
    attempts.add(a);
  }

  synchronized void add(Observation o) {
    observations.add(o);
  }

  synchronized void add(Fault f) {
    faults.add(f);
  }

  /** A consistent copy of the three lists (attempts, observations, faults). */
  synchronized Snapshot snapshot() {
    return new Snapshot(List.copyOf(attempts), List.copyOf(observations), List.copyOf(faults));
  }

  /** A frozen copy of the history. */
  record Snapshot(List<Attempt> attempts, List<Observation> observations, List<Fault> faults) {}

  /** How one publication attempt ended. */
  enum Outcome {
    /** 201 (or WebSocket {@code published}) with an offset and epoch. */
    ACKNOWLEDGED,
    /** 503: the server says nothing was published. */
    UNAVAILABLE,
    /**
     * 504 publish_outcome_unknown, a timeout or a network error: it may or may not be published.
     */
    UNKNOWN,
    /** Any other answer (a bug in the checker or the server): reported, counted as unknown. */
    OTHER
  }

  /**
   * One publication attempt (one HTTP request or one WebSocket command). A publication is one
   * {@code pub} id with one idempotency key; retries are further attempts with the same key.
   */
  static final class Attempt {
    final long seq;
    final String pub;
    final String key;
    final String channel;
    final String data;
    final int number;
    final String node;
    final String transport;
    final double start;
    volatile double end;
    volatile Outcome outcome;
    volatile String epoch;
    volatile long offset;
    volatile String detail = "";

    Attempt(
        long seq,
        String pub,
        String key,
        String channel,
        String data,
        int number,
        String node,
        String transport,
        double start) {
      this.seq = seq;
      this.pub = pub;
      this.key = key;
      this.channel = channel;
      this.data = data;
      this.number = number;
      this.node = node;
      this.transport = transport;
      this.start = start;
    }

    @Override
    public String toString() {
      String res =
          outcome == Outcome.ACKNOWLEDGED
              ? "ack " + epoch + ":" + offset
              : outcome + (detail.isEmpty() ? "" : " (" + detail + ")");
      return String.format(
          "%9.1f..%9.1f publish %s #%d key=%s to %s via %s on %s -> %s",
          start, end, pub, number, key, channel, transport, node, res);
    }
  }

  /** What a subscriber saw on the wire, for one channel. */
  enum Kind {
    /** A delivered envelope. */
    DELIVER,
    /** A position the server reported as recovered (subscribed, poll cursor, SSE id). */
    POSITION,
    /** {@code recovered:false}: the server moved the subscriber to this position. */
    NOT_RECOVERED,
    /** A gap notice: the server moved the subscriber to this position. */
    GAP,
    /** The subscriber asked to resume from this position (what it sent). */
    RESUME
  }

  /** One fact seen by one subscriber. {@code data} is the envelope's data as JSON text. */
  record Observation(
      long seq,
      double time,
      String subscriber,
      int session,
      String node,
      String transport,
      String channel,
      Kind kind,
      String epoch,
      long offset,
      String data) {
    @Override
    public String toString() {
      return String.format(
          "%9.1f %19s %s %s s%d on %s: %s %s %s:%d%s",
          time,
          "",
          subscriber,
          transport,
          session,
          node,
          channel,
          kind,
          epoch,
          offset,
          data == null ? "" : " " + data);
    }
  }

  /** A fault the nemesis injected, from {@code start} until {@code end} (healed). */
  static final class Fault {
    final long seq;
    final FaultKind kind;
    final String target;
    final double start;
    volatile double end = Double.NaN;

    Fault(long seq, FaultKind kind, String target, double start) {
      this.seq = seq;
      this.kind = kind;
      this.target = target;
      this.start = start;
    }

    @Override
    public String toString() {
      return String.format("%9.1f..%9.1f FAULT %s on %s", start, end, kind, target);
    }
  }
}
