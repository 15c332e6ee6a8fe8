package io.herald.bench;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;

/**
 * One simulated subscriber: its channel, its connection, its resume state and its delivery
 * accounting (from offsets). Confined to the event loop of its connection (reconnects use the same
 * loop); read by the runner only after the run has stopped.
 */
final class Subscriber {
  final int id;
  final String channelName;
  final int channelIndex;
  Stats.LoopStats loop;
  Channel conn;
  long connectStartNanos;
  boolean ready;
  boolean churning;

  /** Herald cursor ({@code epoch:offset}) or the last SSE id; null before the first. */
  String resume;

  /** Generic long polling: the last {@code Last-Modified} and {@code Etag}. */
  String lastModified;

  String etag;

  /** Cache-friendly short polls: the last poll's URI, and whether seen offsets are dropped. */
  String lastPollUri;

  boolean skipSeen;
  long bytesIn;
  long bytesOut;

  /** Highest offset seen. */
  long last;

  long received;
  long distinct;

  /** Offsets at or below the highest seen: duplicates or reordering. */
  long backwards;

  /** Offsets skipped over when a higher one arrived. */
  long holes;

  Subscriber(int id, String channelName, int channelIndex) {
    this.id = id;
    this.channelName = channelName;
    this.channelIndex = channelIndex;
  }

  /**
   * Accounts one message with its offset and its publish time (ms since the epoch), received at
   * {@code nowMicros} (µs since the epoch); the caller adds to {@link Stats#delivered}.
   */
  void onMessage(long offset, long timeMillis, long nowMicros) {
    received++;
    if (offset > last) {
      if (offset > last + 1 && last > 0) {
        holes += offset - last - 1;
      }
      last = offset;
      distinct++;
    } else {
      backwards++;
    }
    if (timeMillis > 0) {
      long d = nowMicros - timeMillis * 1000;
      loop.delays.recordValue(Math.min(Math.max(d, 0), Stats.MAX_DELAY_MICROS));
    }
  }

  /**
   * Accounts every {@code "offset":N ... "time":T} pair in {@code buf[from, to)} (one envelope, a
   * poll answer's list, or a generic payload); returns how many. With {@code herald} and resume
   * tracking, keeps {@code epoch:offset} of the last as the resume cursor.
   */
  int onMessages(Stats stats, ByteBuf buf, int from, int to, boolean heraldEnvelope) {
    int n = 0;
    int i = from;
    long now = stats.wallMicros();
    while (true) {
      int o = Scan.indexOf(buf, i, to, Scan.OFFSET);
      if (o < 0) {
        break;
      }
      long offset = Scan.number(buf, o + Scan.OFFSET.length, to);
      int t = Scan.indexOf(buf, o, to, Scan.TIME);
      long time = t < 0 ? 0 : Scan.number(buf, t + Scan.TIME.length, to);
      if (skipSeen && offset <= last) { // sent again to a cache-friendly poll: already had
        i = t < 0 ? o + Scan.OFFSET.length : t + Scan.TIME.length;
        continue;
      }
      if (stats.trackResume && heraldEnvelope) {
        String epoch = Scan.field(buf, o, to, Scan.EPOCH);
        if (epoch != null) {
          resume = epoch + ":" + offset;
        }
      }
      onMessage(offset, time, now);
      n++;
      i = t < 0 ? o + Scan.OFFSET.length : t + Scan.TIME.length;
    }
    if (n > 0) {
      stats.delivered.add(n);
      loop.lastReceiptNanos = System.nanoTime();
    }
    return n;
  }
}
