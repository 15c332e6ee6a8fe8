package io.herald.client.internal;

import io.herald.core.Cursor;
import io.herald.core.Message;
import io.herald.core.Position;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The current cursor of a subscription: one position per channel, moved forward by messages, {@code
 * subscribed} answers, gaps and the cursors the server sends (poll answers, SSE ids). A position
 * never moves backwards within an epoch: a server answer behind it (a node whose log lags the
 * broker's) is ignored, and a message at or behind it is a repeat. The one exception is {@link
 * #reset}: the server's first judgement of a position the application gave. Thread-safe: readers
 * never block writers for long.
 */
public final class CursorTracker {
  private final List<String> channels;
  private final Map<String, Integer> index = new HashMap<>();
  private volatile Cursor cursor;

  /**
   * @param channels the subscription's channels, in order
   * @param start the starting cursor, or {@code null} for "from now" on every channel
   * @throws IllegalArgumentException when {@code start} does not have one position per channel
   */
  public CursorTracker(List<String> channels, Cursor start) {
    this.channels = List.copyOf(channels);
    for (int i = 0; i < this.channels.size(); i++) {
      index.put(this.channels.get(i), i);
    }
    Cursor c = start == null ? Cursor.fromNow(channels.size()) : start;
    if (c.size() != channels.size()) {
      throw new IllegalArgumentException(
          "cursor '"
              + c
              + "' has "
              + c.size()
              + " position(s) but "
              + channels.size()
              + " channel(s) are listed");
    }
    this.cursor = c;
  }

  /** The current cursor. */
  public Cursor cursor() {
    return cursor;
  }

  /** The position of channel {@code i}, or {@code null} for "from now". */
  public Position get(int i) {
    return cursor.get(i);
  }

  /** The index of {@code channel} in the subscription, or -1 when it is not one of them. */
  public int indexOf(String channel) {
    Integer i = index.get(channel);
    return i == null ? -1 : i;
  }

  /** The channels, in order. */
  public List<String> channels() {
    return channels;
  }

  /**
   * Whether {@code candidate} lies behind {@code held} in the same epoch: moving there would move
   * the cursor backwards and deliver messages again. Positions of different epochs, or without an
   * epoch (a bare offset), or {@code null} ("from now") are never behind.
   */
  public static boolean behind(Position candidate, Position held) {
    return candidate != null
        && held != null
        && candidate.epoch() != null
        && candidate.epoch().equals(held.epoch())
        && candidate.offset() < held.offset();
  }

  /**
   * Moves channel {@code channel} to {@code position} unless that is behind its position in the
   * same epoch (a position never moves backwards); ignores channels not subscribed.
   *
   * @return whether the position is now {@code position}: false for a channel not subscribed or a
   *     move backwards
   */
  public synchronized boolean set(String channel, Position position) {
    int i = indexOf(channel);
    if (i < 0 || behind(position, cursor.get(i))) {
      return false;
    }
    cursor = cursor.with(i, position);
    return true;
  }

  /**
   * Moves channel {@code channel} to {@code position} even when that is backwards: for the first
   * answer of the server about a position the application gave, which the server judges (a position
   * ahead of the channel's head continues from the head). Ignores channels not subscribed.
   */
  public synchronized void reset(String channel, Position position) {
    int i = indexOf(channel);
    if (i >= 0) {
      cursor = cursor.with(i, position);
    }
  }

  /**
   * Moves the message's channel to right after the message, unless the cursor already holds it (an
   * offset at or behind the position, in the same epoch): that message is a repeat.
   *
   * @return the channel's index, or -1 for a channel not subscribed or a repeat (not to deliver)
   */
  public synchronized int advance(Message message) {
    int i = indexOf(message.channel());
    if (i < 0) {
      return -1;
    }
    Position held = cursor.get(i);
    if (held != null && message.epoch().equals(held.epoch()) && message.offset() <= held.offset()) {
      return -1;
    }
    cursor = cursor.with(i, message.position());
    return i;
  }

  /**
   * Replaces the cursor with one the server sent; entries that are empty, or behind the current
   * position in the same epoch, keep the current position.
   *
   * @throws IllegalArgumentException when the sizes differ
   */
  public synchronized void replace(Cursor server) {
    if (server.size() != channels.size()) {
      throw new IllegalArgumentException(
          "server cursor '" + server + "' does not match " + channels.size() + " channel(s)");
    }
    Cursor c = cursor;
    for (int i = 0; i < server.size(); i++) {
      if (server.get(i) != null && !behind(server.get(i), c.get(i))) {
        c = c.with(i, server.get(i));
      }
    }
    cursor = c;
  }
}
