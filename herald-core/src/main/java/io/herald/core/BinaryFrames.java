package io.herald.core;

/**
 * The layout of a WebSocket binary frame's payload (PROTOCOL.md section 11), both ways: 4 bytes
 * big-endian N, N bytes of JSON (a {@code publish} command, or a message's envelope, without {@code
 * data}), then the raw bytes of the data (zero or more). Thread-safe: stateless.
 */
public final class BinaryFrames {
  /** Bytes of the length prefix. */
  public static final int PREFIX_BYTES = 4;

  private BinaryFrames() {}

  /**
   * Reads and checks N, the length of the JSON part.
   *
   * @param frame the payload, or at least its first {@value #PREFIX_BYTES} bytes (when {@code
   *     length} is that many or more)
   * @param length the whole payload's length in bytes
   * @return N, 2 or more, with {@code 4 + N <= length}
   * @throws ProtocolException {@code invalid_request} saying what is wrong with the layout
   */
  public static int headLength(byte[] frame, int length) {
    if (length < PREFIX_BYTES) {
      throw new ProtocolException(
          ErrorCode.INVALID_REQUEST,
          "a binary frame is 4 bytes big-endian N, N bytes of JSON, then the data; this one has "
              + length
              + " bytes");
    }
    long n =
        ((frame[0] & 0xffL) << 24)
            | ((frame[1] & 0xffL) << 16)
            | ((frame[2] & 0xffL) << 8)
            | (frame[3] & 0xffL);
    if (n < 2 || n > length - PREFIX_BYTES) {
      throw new ProtocolException(
          ErrorCode.INVALID_REQUEST,
          "a binary frame starts with 4 bytes big-endian N, the length of the JSON that follows;"
              + " N is "
              + n
              + " but the frame has "
              + (length - PREFIX_BYTES)
              + " bytes after it (N must be 2 or more, and at most that)");
    }
    return (int) n;
  }

  /** Writes {@code n} as 4 bytes big-endian at {@code at}. */
  public static void writeLength(byte[] dst, int at, int n) {
    dst[at] = (byte) (n >>> 24);
    dst[at + 1] = (byte) (n >>> 16);
    dst[at + 2] = (byte) (n >>> 8);
    dst[at + 3] = (byte) n;
  }
}
