package io.herald.server.internal;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * Counts refused requests and cut connections by a key such as {@code 400 invalid_request} or
 * {@code slow_client}, for the periodic summary log line that replaces one log line per client
 * mistake. Thread-safe.
 */
public final class Refusals {
  private final Map<String, LongAdder> counts = new ConcurrentHashMap<>();
  private final ServerMetrics metrics;

  /** Counts that are also reported to {@code metrics} ({@code herald_refusals_total}). */
  Refusals(ServerMetrics metrics) {
    this.metrics = metrics;
  }

  /** Counts one refusal under {@code key}. */
  void count(String key) {
    counts.computeIfAbsent(key, k -> new LongAdder()).increment();
    metrics.refused(key);
  }

  /**
   * The counts since the last call, sorted by key, for example {@code 400 invalid_request=12, 408
   * request_timeout=3}; empty when there were none. Resets the counts.
   */
  public String drain() {
    Map<String, Long> now = new TreeMap<>();
    for (Map.Entry<String, LongAdder> e : counts.entrySet()) {
      long n = e.getValue().sumThenReset();
      if (n > 0) {
        now.put(e.getKey(), n);
      }
    }
    StringBuilder b = new StringBuilder();
    now.forEach((k, n) -> b.append(b.length() == 0 ? "" : ", ").append(k).append('=').append(n));
    return b.toString();
  }
}
