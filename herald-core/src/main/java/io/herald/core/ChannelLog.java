package io.herald.core;

import java.util.List;

/**
 * The retained history of one channel in one epoch: messages with consecutive offsets from {@link
 * #first()} to {@link #head()}, bounded by a {@link HistoryConfig}.
 *
 * <p>Threading: one writer at a time (callers serialize {@link #append}, {@link #skipTo} and {@link
 * #trim}); any number of readers on any thread, without locks. A reader that asks for an offset the
 * writer has just dropped gets {@code null}, never a wrong message. Memory grows with the messages
 * retained: the ring starts small and doubles up to {@code maxMessages}.
 */
public final class ChannelLog {
  private static final int INITIAL_CAPACITY = 16;

  private final String channel;
  private final String epoch;
  private final int maxMessages;
  private final long maxAgeMillis;
  private volatile Message[] ring;
  private volatile long head;
  private volatile long first;

  /**
   * An empty log whose last offset is {@code head} (0 for a new channel).
   *
   * @param channel the channel name
   * @param epoch the epoch, 1 to 16 of {@code a-z 0-9}
   * @param head the offset of the last message already published, 0 or more
   */
  public ChannelLog(String channel, String epoch, long head, HistoryConfig config) {
    if (!Position.isEpoch(epoch)) {
      throw new IllegalArgumentException("bad epoch '" + epoch + "'");
    }
    this.channel = channel;
    this.epoch = epoch;
    this.maxMessages = config.maxMessages();
    this.maxAgeMillis = config.maxAge().toMillis();
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

  /**
   * Appends the next message. Writer only.
   *
   * @throws IllegalArgumentException when the message's epoch differs or its offset is not {@code
   *     head() + 1}
   */
  public void append(Message message) {
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
    int size = size();
    if (size == r.length) {
      if (r.length < maxMessages) {
        r = grow(r);
      } else {
        first = first + 1; // drop the oldest before its slot is reused
      }
    }
    r[(int) (message.offset() % r.length)] = message;
    head = message.offset();
  }

  private Message[] grow(Message[] old) {
    Message[] bigger = new Message[(int) Math.min((long) old.length * 2, maxMessages)];
    for (long o = first; o <= head; o++) {
      bigger[(int) (o % bigger.length)] = old[(int) (o % old.length)];
    }
    ring = bigger;
    return bigger;
  }

  /**
   * Drops every retained message and moves the head to {@code newHead}, as when messages were lost
   * and cannot be recovered; readers behind it will see a gap. Writer only.
   *
   * @param newHead at least {@code head()}
   */
  public void skipTo(long newHead) {
    if (newHead < head) {
      throw new IllegalArgumentException("cannot move head back from " + head + " to " + newHead);
    }
    first = newHead + 1;
    head = newHead;
  }

  /**
   * Drops messages older than the history's maximum age. Writer only.
   *
   * @param nowMillis the current time in milliseconds since the Unix epoch
   * @return how many messages were dropped
   */
  public int trim(long nowMillis) {
    long cutoff = nowMillis - maxAgeMillis;
    int dropped = 0;
    Message[] r = ring;
    long f = first;
    while (f <= head) {
      Message m = r[(int) (f % r.length)];
      if (m == null || m.offset() != f || m.time() >= cutoff) {
        break;
      }
      f++;
      dropped++;
    }
    first = f;
    return dropped;
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
