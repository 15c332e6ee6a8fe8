package io.herald.core;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The idempotency keys that {@link MemoryBroker} remembers: per channel and key, the first
 * publication's message, for a window after it was made. Bounded in entries: past {@code maxKeys}
 * the oldest entry is forgotten first. Holds no message bytes, only where each publication went.
 * Expired entries are dropped as new ones come and by {@link #expire}.
 *
 * <p>Thread-safe (every method synchronizes on the cache).
 */
final class IdempotencyCache {
  private final long windowMillis;
  private final int maxKeys;
  private final LinkedHashMap<String, Entry> entries = new LinkedHashMap<>();

  /** Where the first publication of a key went; holds none of its bytes. */
  record Published(String epoch, long offset, long time) {}

  private record Entry(Published first, long expiresAt) {}

  /**
   * @param windowMillis how long a key is remembered after its publication, 1 or more
   * @param maxKeys how many keys are remembered at most, 1 or more
   */
  IdempotencyCache(long windowMillis, int maxKeys) {
    if (windowMillis < 1 || maxKeys < 1) {
      throw new IllegalArgumentException(
          "idempotency window and key bound must be 1 or more, got "
              + windowMillis
              + " ms and "
              + maxKeys);
    }
    this.windowMillis = windowMillis;
    this.maxKeys = maxKeys;
  }

  private static String id(String channel, String key) {
    return channel + '\n' + key;
  }

  /** The first publication made on {@code channel} with {@code key} within the window, or null. */
  synchronized Published find(String channel, String key, long now) {
    Entry e = entries.get(id(channel, key));
    if (e == null) {
      return null;
    }
    if (e.expiresAt <= now) {
      entries.remove(id(channel, key));
      return null;
    }
    return e.first;
  }

  /** Remembers {@code first} as the publication of {@code key} on its channel. */
  synchronized void remember(String key, Message first, long now) {
    String id = id(first.channel(), key);
    entries.remove(id); // re-inserted last, in time order
    entries.put(
        id,
        new Entry(new Published(first.epoch(), first.offset(), first.time()), now + windowMillis));
    expire(now);
    while (entries.size() > maxKeys) {
      Iterator<Map.Entry<String, Entry>> it = entries.entrySet().iterator();
      it.next();
      it.remove();
    }
  }

  /** Drops the entries whose window has passed. Entries are in time order: stops at a live one. */
  synchronized void expire(long now) {
    for (Iterator<Entry> it = entries.values().iterator(); it.hasNext(); ) {
      if (it.next().expiresAt > now) {
        return;
      }
      it.remove();
    }
  }

  /** How many keys are remembered now. */
  synchronized int size() {
    return entries.size();
  }
}
