package io.herald.core;

import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A cursor over one channel's log, opened by {@link Hub#subscribe}: it knows the next offset to
 * deliver and reads the log from there. Transports keep one per channel they deliver; a poll opens
 * one, reads, and closes it.
 *
 * <p>Threading: confined to the executor given to {@link Hub#subscribe} (for a transport, the
 * connection's event loop) once the subscribe future has completed. {@link #close()} may be called
 * from any thread.
 */
public final class Subscription implements AutoCloseable {
  private final Hub hub;
  private final HubChannel channel;
  private final Executor executor;
  private final Runnable listener;
  private final boolean recovered;
  private final Position start;
  private ChannelLog log;
  private long next;
  private final AtomicBoolean closed = new AtomicBoolean();

  Subscription(Hub hub, HubChannel channel, Position since, Executor executor, Runnable listener) {
    this.hub = hub;
    this.channel = channel;
    this.executor = executor;
    this.listener = listener;
    if (listener != null) {
      channel.group(executor).add(this); // before reading the log, so no append goes unsignalled
    }
    ChannelLog l = channel.log();
    this.log = l;
    boolean ok =
        since == null
            || ((since.epoch() == null || since.epoch().equals(l.epoch()))
                && since.offset() <= l.head()
                && since.offset() + 1 >= l.first());
    this.recovered = ok;
    if (!ok) {
      hub.observer()
          .notRecovered(
              since.epoch() != null && !since.epoch().equals(l.epoch())
                  ? HubObserver.RecoveryFailure.EPOCH
                  : since.offset() > l.head()
                      ? HubObserver.RecoveryFailure.AHEAD
                      : HubObserver.RecoveryFailure.EXPIRED);
    }
    this.next = since != null && ok ? since.offset() + 1 : l.head() + 1;
    this.start = new Position(l.epoch(), next - 1);
  }

  /** The channel name. */
  public String channel() {
    return channel.name();
  }

  /**
   * Whether the subscription resumed from the position it was given with every message after it
   * still retained (PROTOCOL.md section 4). A subscription from now is recovered.
   */
  public boolean recovered() {
    return recovered;
  }

  /** Where the subscription stood when opened: the position it resumed from, or the head. */
  public Position startPosition() {
    return start;
  }

  /** The position after the last message read: what a cursor for this channel holds now. */
  public Position position() {
    return new Position(log.epoch(), next - 1);
  }

  /** Whether the log holds messages this cursor has not read, or the epoch changed. */
  public boolean hasMore() {
    ChannelLog l = channel.log();
    return l != log || l.head() >= next;
  }

  /**
   * Reads up to {@code max} messages after the cursor into {@code out}, in offset order, and moves
   * the cursor past them. Returns immediately.
   *
   * <p>When messages after the cursor are no longer retained (the reader lagged behind the history
   * size or age), or the channel's epoch changed, the cursor first moves to the head of the log
   * (for a new epoch: before its oldest retained message) and this method returns that new
   * position: the caller sends a gap notice before the messages added to {@code out}.
   *
   * @param out receives the messages
   * @param max the most messages to add, 1 or more
   *     <p>Every message added follows the previous one, or the returned gap position, without a
   *     hole.
   * @return the position the cursor was moved to by a gap, or {@code null} when there was none
   */
  public Position read(List<Message> out, int max) {
    ChannelLog l = channel.log();
    Position gap = null;
    if (l != log) {
      log = l;
      next = l.first();
      gap = new Position(l.epoch(), next - 1);
      hub.observer().gap(HubObserver.GapCause.EPOCH);
    } else if (next < l.first()) {
      next = l.head() + 1;
      gap = new Position(l.epoch(), next - 1);
      hub.observer().gap(HubObserver.GapCause.LAGGED);
    }
    int start = out.size();
    int n = l.read(next - 1, max, out);
    if (n > 0) {
      long firstRead = out.get(start).offset();
      if (firstRead != next) {
        // The writer dropped the next message between the check above and the read, and the log
        // answered from its oldest retained one: that is a gap, never a silent hole.
        gap = new Position(l.epoch(), firstRead - 1);
        hub.observer().gap(HubObserver.GapCause.LAGGED);
      }
      next = out.get(out.size() - 1).offset() + 1;
    } else if (next < l.first()) {
      // dropped between the check and the read
      next = l.head() + 1;
      gap = new Position(l.epoch(), next - 1);
      hub.observer().gap(HubObserver.GapCause.LAGGED);
    }
    return gap;
  }

  void signal() {
    if (!closed.get()) {
      try {
        listener.run();
      } catch (RuntimeException e) {
        Hub.LOG.error("subscription listener on {} failed", channel.name(), e);
      }
    }
  }

  /** Stops signalling and releases the channel; idempotent, any thread. */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    if (listener != null) {
      channel.group(executor).remove(this);
    }
    hub.release(channel);
  }
}
