package io.herald.core;

import java.util.List;

/**
 * A broker's answer about one channel's retained history: its epoch, the offset of its head, and
 * the retained messages after the offset asked for, in offset order, ending at {@code head}.
 * Immutable.
 *
 * @param epoch the channel's current epoch
 * @param head the offset of the channel's last message, 0 when none was published in this epoch
 * @param messages retained messages after the requested offset, consecutive and ascending; the
 *     first may come later than asked when older ones were dropped
 */
public record History(String epoch, long head, List<Message> messages) {
  public History {
    messages = List.copyOf(messages);
  }
}
