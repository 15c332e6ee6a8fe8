package io.herald.server.internal;

import java.util.List;

/**
 * Where the admin page reads its live counters per transport: one small interface, so that the
 * source (this server's own {@link TrafficCounters} now) can be swapped in one place. Thread-safe.
 */
interface LiveCounters {
  /**
   * One row of the counters, totals since the server started.
   *
   * @param name the transport's wire name ({@code websocket}, {@code sse}, {@code long-poll},
   *     {@code short-poll}) or {@code http} (publications by {@code POST}) or {@code admin}
   *     (publications from the admin page)
   * @param connections connections held open by the transport now (parked polls for long polling)
   * @param subscriptions channel subscriptions open now on those connections
   * @param messagesIn publications accepted through it since start
   * @param messagesOut messages written to subscribers through it since start
   */
  record Row(
      String name, long connections, long subscriptions, long messagesIn, long messagesOut) {}

  /** Every row, in a fixed order. Cheap enough to call once a second; never blocks. */
  List<Row> rows();

  /** A short name of the source, shown on the page, for example {@code herald}. */
  String source();
}
