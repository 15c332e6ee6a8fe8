package io.herald.server.internal;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * Publications and deliveries per channel on this node over the last one or two windows, for the
 * admin page's busiest channels. Counts go to the current window; {@link #rotate()} (every {@link
 * #WINDOW_SECONDS} s) makes it the previous one. A window counts at most {@link #MAX_CHANNELS}
 * channels by name; later ones in the same window are left out of the ranking (not of the
 * transports' counters). Thread-safe; counting is a map lookup and an add, and nothing at all when
 * off (the admin page is not served).
 */
final class ChannelActivity {
  /** Length of one window, in seconds. */
  static final int WINDOW_SECONDS = 10;

  /** Channels counted by name per window. */
  static final int MAX_CHANNELS = 10_000;

  /** The most channels one ranking answers. */
  static final int MAX_TOP = 100;

  /** One channel's counts in one window. */
  private static final class Counts {
    final LongAdder publications = new LongAdder();
    final LongAdder deliveries = new LongAdder();
  }

  /**
   * One row of the ranking.
   *
   * @param channel the channel name
   * @param publications publications made through this node in the last one to two windows
   * @param deliveries messages written to subscribers on this node in the same time
   */
  record Busy(String channel, long publications, long deliveries) {}

  private final boolean on;
  private volatile Map<String, Counts> current = new ConcurrentHashMap<>();
  private volatile Map<String, Counts> previous = Map.of();

  /**
   * @param on whether to count; off, every method but {@link #top} does nothing
   */
  ChannelActivity(boolean on) {
    this.on = on;
  }

  /** A publication to {@code channel} was accepted through this node. */
  void published(String channel) {
    Counts c = counts(channel);
    if (c != null) {
      c.publications.increment();
    }
  }

  /** {@code n} messages of {@code channel} were written to one subscriber. */
  void delivered(String channel, int n) {
    Counts c = counts(channel);
    if (c != null) {
      c.deliveries.add(n);
    }
  }

  private Counts counts(String channel) {
    if (!on) {
      return null;
    }
    Map<String, Counts> m = current;
    Counts c = m.get(channel);
    if (c == null && m.size() < MAX_CHANNELS) {
      c = m.computeIfAbsent(channel, k -> new Counts());
    }
    return c;
  }

  /** Starts a new window; the current one becomes the previous one. */
  void rotate() {
    previous = current;
    current = new ConcurrentHashMap<>();
  }

  /**
   * The busiest channels of the previous and the current window together, by publications plus
   * deliveries, most first.
   *
   * @param n 1 to {@link #MAX_TOP}
   */
  List<Busy> top(int n) {
    Map<String, long[]> sum = new java.util.HashMap<>();
    for (Map<String, Counts> m : List.of(previous, current)) {
      m.forEach(
          (ch, c) -> {
            long[] s = sum.computeIfAbsent(ch, k -> new long[2]);
            s[0] += c.publications.sum();
            s[1] += c.deliveries.sum();
          });
    }
    List<Busy> all = new ArrayList<>(sum.size());
    sum.forEach((ch, s) -> all.add(new Busy(ch, s[0], s[1])));
    all.sort(
        Comparator.comparingLong((Busy b) -> b.publications() + b.deliveries())
            .reversed()
            .thenComparing(Busy::channel));
    return all.size() > n ? List.copyOf(all.subList(0, n)) : all;
  }
}
