package io.herald.core;

import java.util.Comparator;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The node-wide bound on the bytes of history held in this process, across all channels: when the
 * {@link ChannelLog}s that share this budget retain more than {@link #maxBytes()}, the oldest
 * messages of the node (by publication time) are dropped first, whatever their channel, until the
 * total is back under the bound. Subscribers that had not been sent a dropped message get a gap
 * notice and polls resuming before it are not recovered, exactly as when a channel's own bound
 * drops it (PROTOCOL.md section 4).
 *
 * <p>A message retained by several logs of this process (the in-memory broker's log and the hub's
 * copy of it hold the same {@link Message}) is counted once, as {@link Message#retainedBytes()}.
 * The cost per publication is O(log n) in the number of logs holding messages: the logs are ordered
 * by the time of their oldest message, and an order that went stale because a log trimmed itself is
 * corrected lazily when that log reaches the front. No publication scans the channels.
 *
 * <p>Thread-safe. Lock order: a caller may hold a channel's lock (the hub's or the broker's) when
 * it appends; this budget's lock is taken after it, and a log's own lock after that.
 */
public final class HistoryBudget {
  /**
   * Default bytes of history per node: 256 MiB, sized for the default heap of the launcher (about a
   * quarter of {@code -Xmx1g}); keep it at about a quarter to a third of {@code -Xmx}.
   */
  public static final long DEFAULT_MAX_BYTES = 256L * 1024 * 1024;

  /** Smallest node-wide budget: 64 KiB. */
  public static final long MIN_MAX_BYTES = 64 * 1024;

  /** A budget that bounds nothing and counts nothing; for tools and tests. */
  public static final HistoryBudget UNLIMITED = new HistoryBudget();

  private static final Comparator<ChannelLog> BY_OLDEST =
      Comparator.comparingLong((ChannelLog l) -> l.queuedKey).thenComparingLong(l -> l.id);

  private final long maxBytes;
  private final boolean unlimited;
  private final AtomicLong used = new AtomicLong();
  private final AtomicLong evicted = new AtomicLong();
  private final TreeSet<ChannelLog> byOldest = new TreeSet<>(BY_OLDEST); // guarded by this

  /**
   * @param maxBytes the most bytes of history this node keeps, {@value #MIN_MAX_BYTES} or more
   * @throws IllegalArgumentException when {@code maxBytes} is smaller, saying what is allowed
   */
  public HistoryBudget(long maxBytes) {
    if (maxBytes < MIN_MAX_BYTES) {
      throw new IllegalArgumentException(
          "history bytes per node must be at least " + MIN_MAX_BYTES + ", got " + maxBytes);
    }
    this.maxBytes = maxBytes;
    this.unlimited = false;
  }

  private HistoryBudget() {
    this.maxBytes = Long.MAX_VALUE;
    this.unlimited = true;
  }

  /** The bound in bytes. */
  public long maxBytes() {
    return maxBytes;
  }

  /** The bytes of history retained now, each message counted once; 0 for {@link #UNLIMITED}. */
  public long usedBytes() {
    return used.get();
  }

  /** How many times a log dropped a message because this budget was exceeded; for metrics. */
  public long evictedMessages() {
    return evicted.get();
  }

  /** A log now retains {@code m}. Lock-free; may be called under the log's lock. */
  void retained(Message m) {
    if (!unlimited && m.retain() == 1) {
      used.addAndGet(m.retainedBytes());
    }
  }

  /** A log no longer retains {@code m}. Lock-free; may be called under the log's lock. */
  void released(Message m) {
    if (!unlimited && m.release() == 0) {
      used.addAndGet(-m.retainedBytes());
    }
  }

  /**
   * Puts {@code log} in the age order when it holds messages and is not there yet. Must not be
   * called under the log's lock.
   */
  void track(ChannelLog log) {
    if (unlimited || log.queued) {
      return;
    }
    synchronized (this) {
      enqueue(log);
    }
  }

  /** Takes a closed log out of the age order. Must not be called under the log's lock. */
  void untrack(ChannelLog log) {
    if (unlimited) {
      return;
    }
    synchronized (this) {
      if (log.queued) {
        byOldest.remove(log);
        log.queued = false;
      }
    }
  }

  /**
   * Drops the node's oldest messages until the total is within the bound. Must not be called under
   * a log's lock.
   */
  void enforce() {
    if (unlimited || used.get() <= maxBytes) {
      return;
    }
    synchronized (this) {
      while (used.get() > maxBytes) {
        ChannelLog log = byOldest.pollFirst();
        if (log == null) {
          return;
        }
        log.queued = false;
        if (log.dropOldestIfTime(log.queuedKey)) {
          evicted.incrementAndGet();
        }
        enqueue(log); // with the time of its oldest message now, when it has one
      }
    }
  }

  private void enqueue(ChannelLog log) {
    if (log.queued) {
      return;
    }
    long key = log.oldestTime();
    if (key != ChannelLog.NONE) {
      log.queuedKey = key;
      byOldest.add(log);
      log.queued = true;
    }
  }

  @Override
  public String toString() {
    return unlimited ? "HistoryBudget[unlimited]" : "HistoryBudget[" + used + "/" + maxBytes + "]";
  }
}
