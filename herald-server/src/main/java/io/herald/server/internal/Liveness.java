package io.herald.server.internal;

import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Whether every event loop of the server still runs its tasks: each loop runs a tiny task every
 * {@link #TICK_MILLIS} ms that records when it ran; a loop whose last run is older than {@link
 * #STUCK_MILLIS} ms is stuck (blocked by a task that never returns, or starved). Behind {@code GET
 * /live}, whose answer itself runs on an event loop. Thread-safe.
 */
public final class Liveness implements AutoCloseable {
  /** How often each loop records that it runs: 1 second. */
  static final long TICK_MILLIS = 1000;

  /** A loop silent this long is stuck: 10 seconds (ten missed ticks, generous under load). */
  static final long STUCK_MILLIS = 10_000;

  private final AtomicLongArray lastRun;
  private final List<ScheduledFuture<?>> ticks = new ArrayList<>();

  /** Starts one tick per loop of {@code loops}. */
  public Liveness(EventLoopGroup loops) {
    List<EventExecutor> all = new ArrayList<>();
    loops.forEach(all::add);
    lastRun = new AtomicLongArray(all.size());
    long now = System.nanoTime();
    for (int i = 0; i < all.size(); i++) {
      int index = i;
      lastRun.set(i, now);
      ticks.add(
          all.get(i)
              .scheduleAtFixedRate(
                  () -> lastRun.set(index, System.nanoTime()),
                  0,
                  TICK_MILLIS,
                  TimeUnit.MILLISECONDS));
    }
  }

  /** The event loops, by index, that have not run their tick for {@link #STUCK_MILLIS}. */
  List<Integer> stuckLoops() {
    long now = System.nanoTime();
    List<Integer> stuck = new ArrayList<>();
    for (int i = 0; i < lastRun.length(); i++) {
      if (now - lastRun.get(i) > TimeUnit.MILLISECONDS.toNanos(STUCK_MILLIS)) {
        stuck.add(i);
      }
    }
    return stuck;
  }

  /** The number of event loops watched. */
  int loops() {
    return lastRun.length();
  }

  @Override
  public void close() {
    ticks.forEach(t -> t.cancel(false));
  }
}
