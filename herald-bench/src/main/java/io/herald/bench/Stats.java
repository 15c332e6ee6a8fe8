package io.herald.bench;

import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.EventExecutor;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;
import org.HdrHistogram.SingleWriterRecorder;

/**
 * The counters of one run. Counters are {@link LongAdder}s, written from any event loop. Delays go
 * into one {@link SingleWriterRecorder} per event loop (each written only by its loop) and are
 * harvested by the progress thread with {@link #harvestDelays()}. Thread-safe as described.
 */
final class Stats {
  /** Largest delay kept in the histogram: 5 minutes, in microseconds. */
  static final long MAX_DELAY_MICROS = TimeUnit.MINUTES.toMicros(5);

  /** Per event loop state, written only by that loop. */
  static final class LoopStats {
    final SingleWriterRecorder delays = new SingleWriterRecorder(MAX_DELAY_MICROS, 3);
    volatile long lastReceiptNanos;
  }

  final LongAdder delivered = new LongAdder();
  final LongAdder bytesIn = new LongAdder();
  final LongAdder bytesOut = new LongAdder();
  final LongAdder requests = new LongAdder();
  final LongAdder ready = new LongAdder();
  final LongAdder setupBytes = new LongAdder();
  final LongAdder connectFailures = new LongAdder();
  final LongAdder disconnects = new LongAdder();
  final LongAdder reconnects = new LongAdder();
  final LongAdder errors = new LongAdder();
  final LongAdder gaps = new LongAdder();
  final LongAdder publisherBytes = new LongAdder();
  final Recorder connectMicros = new Recorder(TimeUnit.MINUTES.toMicros(10), 3);
  final Histogram totalDelays = new Histogram(MAX_DELAY_MICROS, 3);
  final Histogram connectTimes = new Histogram(TimeUnit.MINUTES.toMicros(10), 3);

  /**
   * Whether resume tokens (cursors, SSE ids) are kept per message; on for churn only (it
   * allocates).
   */
  final boolean trackResume;

  /** Set when the run ends: closes are then expected, not disconnects. */
  volatile boolean stopping;

  /**
   * Wall clock at start, microseconds since the Unix epoch, and the matching {@link
   * System#nanoTime()}.
   */
  private final long baseWallMicros;

  private final long baseNanos;
  private final Map<EventExecutor, LoopStats> loops = new IdentityHashMap<>();
  private final List<LoopStats> loopList = new ArrayList<>();

  Stats(EventLoopGroup group, boolean trackResume) {
    this.trackResume = trackResume;
    for (EventExecutor e : group) {
      LoopStats ls = new LoopStats();
      loops.put(e, ls);
      loopList.add(ls);
    }
    java.time.Instant now = java.time.Instant.now();
    baseNanos = System.nanoTime();
    baseWallMicros = now.getEpochSecond() * 1_000_000L + now.getNano() / 1000;
  }

  /** The loop stats of {@code loop}; must be one of the group's loops. */
  LoopStats of(EventLoop loop) {
    LoopStats ls = loops.get(loop);
    if (ls == null) {
      throw new IllegalStateException("not a loop of this run's group");
    }
    return ls;
  }

  /** Wall clock now in microseconds since the Unix epoch (monotonic within a run). */
  long wallMicros() {
    return baseWallMicros + (System.nanoTime() - baseNanos) / 1000;
  }

  /**
   * Moves the delays recorded since the last call into the total and returns them. Progress thread
   * only.
   */
  Histogram harvestDelays() {
    Histogram interval = new Histogram(MAX_DELAY_MICROS, 3);
    for (LoopStats ls : loopList) {
      Histogram h = ls.delays.getIntervalHistogram();
      interval.add(h);
    }
    totalDelays.add(interval);
    return interval;
  }

  /** Drops everything recorded so far (start of the measured window). Progress thread only. */
  void resetDelays() {
    harvestDelays();
    totalDelays.reset();
  }

  /** Moves connect times into {@link #connectTimes}. */
  void harvestConnects() {
    connectTimes.add(connectMicros.getIntervalHistogram());
  }

  long lastReceiptNanos() {
    long max = 0;
    for (LoopStats ls : loopList) {
      max = Math.max(max, ls.lastReceiptNanos);
    }
    return max;
  }
}
