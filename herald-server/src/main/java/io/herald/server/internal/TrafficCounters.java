package io.herald.server.internal;

import io.herald.core.Transport;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * This server's own counts of messages in and out per transport, and the open streaming connections
 * they are read from: what the admin page shows. Counting costs one {@link LongAdder} add per drain
 * or answer, never a lock. Thread-safe.
 */
final class TrafficCounters implements LiveCounters {
  /** Row of publications made with {@code POST /channels/NAME}. */
  static final int HTTP = Transport.values().length;

  /** Row of publications made from the admin page. */
  static final int ADMIN = HTTP + 1;

  private static final String[] NAMES = names();

  private final LongAdder[] in = adders();
  private final LongAdder[] out = adders();
  private final Set<StreamingTransport> streams = ConcurrentHashMap.newKeySet();
  private final ServerContext server;

  TrafficCounters(ServerContext server) {
    this.server = server;
  }

  private static String[] names() {
    String[] n = new String[ADMIN + 1];
    for (Transport t : Transport.values()) {
      n[t.ordinal()] = t.wireName();
    }
    n[HTTP] = "http";
    n[ADMIN] = "admin";
    return n;
  }

  private static LongAdder[] adders() {
    LongAdder[] a = new LongAdder[ADMIN + 1];
    for (int i = 0; i < a.length; i++) {
      a[i] = new LongAdder();
    }
    return a;
  }

  /** A publication was accepted through row {@code row} (a transport's ordinal, HTTP or ADMIN). */
  void published(int row) {
    in[row].increment();
  }

  /** {@code n} messages were written through {@code t}. */
  void delivered(Transport t, int n) {
    out[t.ordinal()].add(n);
  }

  /** A streaming connection started (its transport handler was added). */
  void opened(StreamingTransport s) {
    streams.add(s);
  }

  /** A streaming connection ended. Idempotent. */
  void closed(StreamingTransport s) {
    streams.remove(s);
  }

  @Override
  public List<Row> rows() {
    long[] connections = new long[NAMES.length];
    long[] subscriptions = new long[NAMES.length];
    for (StreamingTransport s : streams) {
      int row = s.transport().ordinal();
      connections[row]++;
      subscriptions[row] += s.subscriptions.size(); // read across threads: a display figure
    }
    for (PollHandler p : server.parked) {
      connections[Transport.LONG_POLL.ordinal()]++;
      subscriptions[Transport.LONG_POLL.ordinal()] += p.channelCount();
    }
    List<Row> rows = new ArrayList<>(NAMES.length);
    for (int i = 0; i < NAMES.length; i++) {
      rows.add(new Row(NAMES[i], connections[i], subscriptions[i], in[i].sum(), out[i].sum()));
    }
    return rows;
  }

  @Override
  public String source() {
    return "herald";
  }
}
