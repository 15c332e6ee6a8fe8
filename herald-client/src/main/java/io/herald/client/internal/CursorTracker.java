package io.herald.client.internal;

import io.herald.core.Cursor;
import io.herald.core.Message;
import io.herald.core.Position;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The current cursor of a subscription: one position per channel, moved forward by messages, {@code
 * subscribed} answers, gaps and the cursors the server sends (poll answers, SSE ids). Thread-safe:
 * readers never block writers for long.
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

  /** Moves channel {@code channel} to {@code position}; ignores channels not subscribed. */
  public synchronized void set(String channel, Position position) {
    int i = indexOf(channel);
    if (i >= 0) {
      cursor = cursor.with(i, position);
    }
  }

  /** Moves the message's channel to right after the message; returns the channel's index or -1. */
  public synchronized int advance(Message message) {
    int i = indexOf(message.channel());
    if (i >= 0) {
      cursor = cursor.with(i, message.position());
    }
    return i;
  }

  /**
   * Replaces the cursor with one the server sent; entries that are empty keep the current position.
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
      if (server.get(i) != null) {
        c = c.with(i, server.get(i));
      }
    }
    cursor = c;
  }
}
