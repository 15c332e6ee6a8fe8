package io.herald.bench;

import io.netty.buffer.ByteBuf;
import java.nio.charset.StandardCharsets;

/**
 * Allocation-free scanning of JSON bytes for the few fields the bench reads: {@code "offset":N},
 * {@code "time":T}, {@code "epoch":"E"}, {@code "cursor":"C"}. The bench's own payloads hold only
 * padding ({@code x}), so the first occurrence of a key after a position is the envelope's own.
 * Stateless; thread-safe.
 */
final class Scan {
  static final byte[] OFFSET = ascii("\"offset\":");
  static final byte[] TIME = ascii("\"time\":");
  static final byte[] EPOCH = ascii("\"epoch\":\"");
  static final byte[] CURSOR = ascii("\"cursor\":\"");
  static final byte[] POSITION = ascii("\"position\":\"");
  static final byte[] TYPE_MESSAGE = ascii("{\"type\":\"message\"");
  static final byte[] TYPE_SUBSCRIBED = ascii("\"type\":\"subscribed\"");
  static final byte[] TYPE_GAP = ascii("\"type\":\"gap\"");
  static final byte[] TYPE_ERROR = ascii("\"type\":\"error\"");

  private Scan() {}

  static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }

  /** Index of {@code pat} in {@code buf[from, to)}, or -1. */
  static int indexOf(ByteBuf buf, int from, int to, byte[] pat) {
    byte first = pat[0];
    outer:
    for (int i = from, last = to - pat.length; i <= last; i++) {
      if (buf.getByte(i) != first) {
        continue;
      }
      for (int j = 1; j < pat.length; j++) {
        if (buf.getByte(i + j) != pat[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }

  /** Whether {@code buf[from, to)} starts with {@code pat}. */
  static boolean startsWith(ByteBuf buf, int from, int to, byte[] pat) {
    if (to - from < pat.length) {
      return false;
    }
    for (int j = 0; j < pat.length; j++) {
      if (buf.getByte(from + j) != pat[j]) {
        return false;
      }
    }
    return true;
  }

  /**
   * The non-negative decimal number starting at {@code i} (spaces skipped), or -1 when there is
   * none.
   */
  static long number(ByteBuf buf, int i, int to) {
    while (i < to && buf.getByte(i) == ' ') {
      i++;
    }
    long v = 0;
    int digits = 0;
    while (i < to) {
      byte b = buf.getByte(i);
      if (b < '0' || b > '9') {
        break;
      }
      v = v * 10 + (b - '0');
      i++;
      digits++;
    }
    return digits == 0 ? -1 : v;
  }

  /**
   * The string value starting at {@code i} (just after its opening quote) up to the next quote, or
   * null.
   */
  static String string(ByteBuf buf, int i, int to) {
    int end = indexOf(buf, i, to, new byte[] {'"'});
    return end < 0 ? null : buf.toString(i, end - i, StandardCharsets.UTF_8);
  }

  /**
   * The string value of the first {@code key} (a pattern ending in {@code :"}) in the range, or
   * null.
   */
  static String field(ByteBuf buf, int from, int to, byte[] key) {
    int k = indexOf(buf, from, to, key);
    return k < 0 ? null : string(buf, k + key.length, to);
  }
}
