package io.herald.core;

import java.util.Objects;

/**
 * A position in one channel: "everything up to and including {@code offset} of {@code epoch} has
 * been seen" (PROTOCOL.md section 3). Written {@code epoch:offset}, or a bare {@code offset} when
 * the epoch is unknown ({@link #epoch()} is then {@code null} and no epoch check is made).
 * Immutable.
 *
 * @param epoch 1 to 16 of {@code a-z 0-9}, or {@code null} for a bare offset
 * @param offset 0 (before the first message) or more
 */
public record Position(String epoch, long offset) {
  /** Longest epoch, in characters. */
  public static final int MAX_EPOCH_LENGTH = 16;

  public Position {
    if (offset < 0) {
      throw new IllegalArgumentException("offset must be 0 or more, got " + offset);
    }
    if (epoch != null && !isEpoch(epoch)) {
      throw new IllegalArgumentException("epoch must be 1 to 16 of a-z 0-9, got '" + epoch + "'");
    }
  }

  /**
   * Parses {@code epoch:offset} or a bare {@code offset}.
   *
   * @throws ProtocolException {@code invalid_cursor} saying what was wrong
   */
  public static Position parse(String text) {
    Objects.requireNonNull(text, "text");
    int colon = text.indexOf(':');
    String epoch = colon < 0 ? null : text.substring(0, colon);
    String offset = colon < 0 ? text : text.substring(colon + 1);
    if (epoch != null && !isEpoch(epoch)) {
      throw new ProtocolException(
          ErrorCode.INVALID_CURSOR,
          "position '"
              + Names.printable(text)
              + "' has a bad epoch; write epoch:offset with an epoch of 1 to 16 of a-z 0-9");
    }
    return new Position(epoch, parseOffset(text, offset));
  }

  private static long parseOffset(String text, String digits) {
    if (digits.isEmpty() || digits.length() > 18) {
      throw badOffset(text);
    }
    long value = 0;
    for (int i = 0; i < digits.length(); i++) {
      char c = digits.charAt(i);
      if (c < '0' || c > '9') {
        throw badOffset(text);
      }
      value = value * 10 + (c - '0');
    }
    return value;
  }

  private static ProtocolException badOffset(String text) {
    return new ProtocolException(
        ErrorCode.INVALID_CURSOR,
        "position '"
            + Names.printable(text)
            + "' has a bad offset; write epoch:offset or offset, with an offset of 0 to 18 decimal digits");
  }

  /** Whether {@code s} is a valid epoch: 1 to 16 of {@code a-z 0-9}. */
  public static boolean isEpoch(String s) {
    if (s.isEmpty() || s.length() > MAX_EPOCH_LENGTH) {
      return false;
    }
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))) {
        return false;
      }
    }
    return true;
  }

  /** {@code epoch:offset}, or the bare offset when the epoch is unknown. */
  @Override
  public String toString() {
    return epoch == null ? Long.toString(offset) : epoch + ":" + offset;
  }
}
