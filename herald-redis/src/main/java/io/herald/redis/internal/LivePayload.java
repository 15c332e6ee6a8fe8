package io.herald.redis.internal;

import io.herald.core.Message;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Reads the payload that {@code publish.lua} sends on a channel's Pub/Sub channel: {@code
 * epoch\noffset\ntime\nevent\ndata}, where only {@code data} (one JSON value) may contain line
 * breaks. Every node builds the same envelope bytes from it with {@link Message#create}. Stateless.
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
    return Message.create(channel, epoch, offset, event, data, time);
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
