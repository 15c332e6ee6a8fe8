package io.herald.server.internal;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.ArrayList;
import java.util.List;

/**
 * The admin page's live counters, read from the server's Micrometer registry ({@link
 * ServerMetrics}), so nothing is counted twice: {@code herald.connections} and {@code
 * herald.subscriptions} (gauges, refreshed by one pass over the connections per read), {@code
 * herald.deliveries} and {@code herald.publications{outcome=published}}. With {@code
 * --metrics=false} the registry is a no-op and every row reads 0 ({@link #source()} says so).
 * Thread-safe.
 */
final class MetricsCounters implements LiveCounters {
  /** The rows: the four transports, then publications made over HTTP (admin page included). */
  private static final String[] ROWS = {"websocket", "sse", "long-poll", "short-poll", "http"};

  private final ServerMetrics metrics;

  MetricsCounters(ServerMetrics metrics) {
    this.metrics = metrics;
  }

  @Override
  public List<Row> rows() {
    MeterRegistry r = metrics.registry();
    if (metrics.enabled()) {
      metrics.refresh();
    }
    List<Row> rows = new ArrayList<>(ROWS.length);
    for (String name : ROWS) {
      String label = name.replace('-', '_');
      boolean transport = !name.equals("http");
      long connections =
          name.equals("long-poll")
              ? (long) gauge(r, "herald.polls.parked", null)
              : name.equals("short-poll") ? 0 : (long) gauge(r, "herald.connections", label);
      long subscriptions =
          name.equals("short-poll") || name.equals("http")
              ? 0
              : (long) gauge(r, "herald.subscriptions", label);
      long in = name.equals("websocket") || name.equals("http") ? published(r, label) : 0;
      long out = transport ? count(r, "herald.deliveries", label) : 0;
      rows.add(new Row(name, connections, subscriptions, in, out));
    }
    return rows;
  }

  private static double gauge(MeterRegistry r, String name, String transport) {
    Gauge g =
        transport == null ? r.find(name).gauge() : r.find(name).tag("transport", transport).gauge();
    return g == null ? 0 : g.value();
  }

  private static long count(MeterRegistry r, String name, String transport) {
    Counter c = r.find(name).tag("transport", transport).counter();
    return c == null ? 0 : (long) c.count();
  }

  private static long published(MeterRegistry r, String transport) {
    Counter c =
        r.find("herald.publications")
            .tag("transport", transport)
            .tag("outcome", "published")
            .counter();
    return c == null ? 0 : (long) c.count();
  }

  @Override
  public String source() {
    return metrics.enabled() ? "metrics" : "nowhere: metrics are off (--metrics=false)";
  }
}
