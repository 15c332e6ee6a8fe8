package io.herald.redis.internal;

import io.herald.core.Message;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Reads the payload that {@code publish.lua} sends on a channel's Pub/Sub channel: {@code
 * epoch\noffset\ntime\nevent\ndata}, where only {@code data} (one JSON value, or a binary message's
 * raw bytes) may contain line breaks. Every node builds the same envelope bytes from it with {@link
 * Message#create}. Stateless.
 *
 * <p>A binary message (PROTOCOL.md section 11) carries its content type in the event field, after a
 * space: {@code event contentType}, in the live payload and in the stream's {@code e} field alike
 * (see {@link #eventField}). Event names never hold a space and content types never a line break,
 * so JSON messages keep the version 1 layout and the raw bytes pass through Redis untouched.
 */
public final class LivePayload {
  private LivePayload() {}

  /**
   * Parses one payload.
   *
   * @param channel the Herald channel it was received on
   * @throws IllegalArgumentException when the payload is malformed
   */
  public static Message parse(String channel, byte[] payload) {
    int[] nl = new int[4];
    int from = 0;
    for (int i = 0; i < 4; i++) {
      int at = indexOf(payload, (byte) '\n', from);
      if (at < 0) {
        throw new IllegalArgumentException(
            "malformed live payload on "
                + channel
                + ": "
                + new String(payload, StandardCharsets.UTF_8));
      }
      nl[i] = at;
      from = at + 1;
    }
    String epoch = text(payload, 0, nl[0]);
    long offset = Long.parseLong(text(payload, nl[0] + 1, nl[1]));
    long time = Long.parseLong(text(payload, nl[1] + 1, nl[2]));
    String event = text(payload, nl[2] + 1, nl[3]);
    byte[] data = Arrays.copyOfRange(payload, nl[3] + 1, payload.length);
    return message(channel, epoch, offset, event, data, time);
  }

  /**
   * The event field a publication stores and relays: the event name, or for a binary message the
   * event name, a space and the content type.
   *
   * @param contentType {@code null} for JSON data
   */
  public static String eventField(String event, String contentType) {
    return contentType == null ? event : event + ' ' + contentType;
  }

  /**
   * A message from the fields Redis keeps: {@code eventField} as {@link #eventField} wrote it.
   *
   * @throws IllegalArgumentException when the fields do not make a message
   */
  public static Message message(
      String channel, String epoch, long offset, String eventField, byte[] data, long time) {
    int space = eventField.indexOf(' ');
    if (space < 0) {
      return Message.create(channel, epoch, offset, eventField, data, time);
    }
    return Message.create(
        channel,
        epoch,
        offset,
        eventField.substring(0, space),
        data,
        eventField.substring(space + 1),
        time);
  }

  private static String text(byte[] b, int from, int to) {
    return new String(b, from, to - from, StandardCharsets.UTF_8);
  }

  private static int indexOf(byte[] b, byte x, int from) {
    for (int i = from; i < b.length; i++) {
      if (b[i] == x) {
        return i;
      }
    }
    return -1;
  }
}
