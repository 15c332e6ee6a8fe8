package io.herald.core;

import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The retained history of one channel in one epoch: messages with consecutive offsets from {@link
 * #first()} to {@link #head()}, bounded by a {@link HistoryConfig} (messages, bytes and age) and by
 * the node's {@link HistoryBudget}, oldest dropped first.
 *
 * <p>Threading: one writer at a time (callers serialize {@link #append}, {@link #skipTo}, {@link
 * #trim} and {@link #close}); the node's budget may drop the oldest message from another thread at
 * any time, under this log's own lock. Any number of readers on any thread, without locks. A reader
 * that asks for an offset just dropped gets {@code null}, never a wrong message. Memory grows with
 * the messages retained: the ring starts small and doubles up to {@code maxMessages}; a dropped
 * message's slot is cleared at once, so it is collected.
 */
public final class ChannelLog {
  private static final int INITIAL_CAPACITY = 16;
  private static final AtomicLong IDS = new AtomicLong();

  /** {@link #oldestTime()} of a log that retains nothing. */
  static final long NONE = Long.MIN_VALUE;

  private final String channel;
  private final String epoch;
  private final int maxMessages;
  private final long maxBytes;
  private final long maxAgeMillis;
  private final HistoryBudget budget;
  private volatile Message[] ring;
  private volatile long head;
  private volatile long first;
  private long bytes; // guarded by this
  private boolean closed; // guarded by this

  /** Identity in the budget's order, for ties. */
  final long id = IDS.incrementAndGet();

  /** The time of the oldest message when put in the budget's order; guarded by the budget. */
  long queuedKey;

  /** Whether this log is in the budget's order; written under the budget's lock. */
  volatile boolean queued;

  /**
   * An empty log whose last offset is {@code head} (0 for a new channel), bounded only by {@code
   * config}.
   *
   * @param channel the channel name
   * @param epoch the epoch, 1 to 16 of {@code a-z 0-9}
   * @param head the offset of the last message already published, 0 or more
   */
  public ChannelLog(String channel, String epoch, long head, HistoryConfig config) {
    this(channel, epoch, head, config, HistoryBudget.UNLIMITED);
  }

  /**
   * An empty log whose last offset is {@code head}, bounded by {@code config} and sharing the
   * node's {@code budget}. Call {@link #close()} when the log is dropped, so the budget forgets it.
   *
   * @param channel the channel name
   * @param epoch the epoch, 1 to 16 of {@code a-z 0-9}
   * @param head the offset of the last message already published, 0 or more
   */
  public ChannelLog(
      String channel, String epoch, long head, HistoryConfig config, HistoryBudget budget) {
    if (!Position.isEpoch(epoch)) {
      throw new IllegalArgumentException("bad epoch '" + epoch + "'");
    }
    this.channel = channel;
    this.epoch = epoch;
    this.maxMessages = config.maxMessages();
    this.maxBytes = config.maxBytes();
    this.maxAgeMillis = config.maxAge().toMillis();
    this.budget = budget;
    this.ring = new Message[Math.min(INITIAL_CAPACITY, maxMessages)];
    this.head = head;
    this.first = head + 1;
  }

  /** The channel name. */
  public String channel() {
    return channel;
  }

  /** The epoch; fixed for the life of this log. */
  public String epoch() {
    return epoch;
  }

  /** The offset of the last message appended, 0 when none ever was. */
  public long head() {
    return head;
  }

  /** The offset of the oldest retained message; {@code head() + 1} when none is retained. */
  public long first() {
    return first;
  }

  /**
   * The length of the ring now: 16 (or {@code maxMessages} when smaller) doubling up to {@code
   * maxMessages}. For tests.
   */
  int capacity() {
    return ring.length;
  }

  /** The position of the head: {@code epoch:head}. */
  public Position headPosition() {
    return new Position(epoch, head);
  }

  /** How many messages are retained. */
  public int size() {
    return (int) (head - first + 1);
  }

  /** The bytes retained, as {@link Message#retainedBytes()} summed. */
  public synchronized long bytes() {
    return bytes;
  }

  /**
   * Appends the next message, then drops the oldest while more than {@code maxMessages} or {@code
   * maxBytes} are retained (always keeping the one appended), then lets the node's budget drop the
   * node's oldest messages if it is exceeded. Writer only; must not be called under another log's
   * lock.
   *
   * @throws IllegalArgumentException when the message's epoch differs or its offset is not {@code
   *     head() + 1}
   */
  public void append(Message message) {
    synchronized (this) {
      if (!message.epoch().equals(epoch) || message.offset() != head + 1) {
        throw new IllegalArgumentException(
            "expected offset "
                + (head + 1)
                + " of epoch "
                + epoch
                + " on "
                + channel
                + ", got "
                + message.position());
      }
      Message[] r = ring;
      if (size() == r.length) {
        if (r.length < maxMessages) {
          r = grow(r);
        } else {
          dropOldest(); // before its slot is reused
        }
      }
      r[(int) (message.offset() % r.length)] = message;
      head = message.offset();
      bytes += message.retainedBytes();
      budget.retained(message);
      while (bytes > maxBytes && size() > 1) {
        dropOldest();
      }
    }
    budget.track(this);
    budget.enforce();
  }

  private Message[] grow(Message[] old) {
    Message[] bigger = new Message[(int) Math.min((long) old.length * 2, maxMessages)];
    for (long o = first; o <= head; o++) {
      bigger[(int) (o % bigger.length)] = old[(int) (o % old.length)];
    }
    ring = bigger;
    return bigger;
  }

  /** Drops the oldest retained message, which must exist. Caller holds this lock. */
  private void dropOldest() {
    Message[] r = ring;
    long f = first;
    int slot = (int) (f % r.length);
    Message m = r[slot];
    first = f + 1; // before the slot is cleared: a reader then sees null, never a wrong message
    r[slot] = null;
    if (m != null && m.offset() == f) {
      bytes -= m.retainedBytes();
      budget.released(m);
    }
  }

  /**
   * Drops every retained message and moves the head to {@code newHead}, as when messages were lost
   * and cannot be recovered; readers behind it will see a gap. Writer only.
   *
   * @param newHead at least {@code head()}
   */
  public synchronized void skipTo(long newHead) {
    if (newHead < head) {
      throw new IllegalArgumentException("cannot move head back from " + head + " to " + newHead);
    }
    while (size() > 0) {
      dropOldest();
    }
    first = newHead + 1;
    head = newHead;
  }

  /**
   * Drops every retained message and takes this log out of the node's budget; for a log that is no
   * longer used (its channel was deactivated or changed epoch). Idempotent; readers still holding
   * it see nothing retained.
   */
  public void close() {
    synchronized (this) {
      closed = true;
      while (size() > 0) {
        dropOldest();
      }
    }
    budget.untrack(this);
  }

  /**
   * Drops messages older than the history's maximum age. Writer only.
   *
   * @param nowMillis the current time in milliseconds since the Unix epoch
   * @return how many messages were dropped
   */
  public synchronized int trim(long nowMillis) {
    long cutoff = nowMillis - maxAgeMillis;
    int dropped = 0;
    while (first <= head) {
      Message[] r = ring;
      Message m = r[(int) (first % r.length)];
      if (m == null || m.offset() != first || m.time() >= cutoff) {
        break;
      }
      dropOldest();
      dropped++;
    }
    return dropped;
  }

  /** The time of the oldest retained message, or {@link #NONE}. For the budget. */
  synchronized long oldestTime() {
    if (closed || first > head) {
      return NONE;
    }
    Message[] r = ring;
    Message m = r[(int) (first % r.length)];
    return m == null ? NONE : m.time();
  }

  /**
   * Drops the oldest retained message when its time is {@code time}: the budget's choice, made from
   * an order that may be stale. For the budget.
   *
   * @return whether a message was dropped
   */
  synchronized boolean dropOldestIfTime(long time) {
    if (first > head) {
      return false;
    }
    Message[] r = ring;
    Message m = r[(int) (first % r.length)];
    if (m == null || m.time() != time) {
      return false;
    }
    dropOldest();
    return true;
  }

  /**
   * The retained message at {@code offset}, or {@code null} when it is not retained (dropped, or
   * not yet published). Any thread.
   */
  public Message get(long offset) {
    if (offset < first || offset > head) {
      return null;
    }
    Message[] r = ring;
    Message m = r[(int) (offset % r.length)];
    return m != null && m.offset() == offset ? m : null;
  }

  /**
   * Adds to {@code out} the retained messages after {@code afterOffset}, in order, at most {@code
   * limit}. Stops early at the first message that is no longer retained. Any thread.
   *
   * @return how many were added
   */
  public int read(long afterOffset, int limit, List<Message> out) {
    int added = 0;
    long h = head;
    for (long o = Math.max(afterOffset + 1, first); o <= h && added < limit; o++) {
      Message m = get(o);
      if (m == null) {
        break;
      }
      out.add(m);
      added++;
    }
    return added;
  }

  @Override
  public String toString() {
    return "ChannelLog[" + channel + " " + epoch + " " + first + ".." + head + "]";
  }
}
