package io.herald.core;

/**
 * Idempotency keys of publications (PROTOCOL.md section 5, version 1.1; the {@code Idempotency-Key}
 * header of the IETF httpapi draft): their syntax and the defaults of the window during which a key
 * is remembered. A publication to a channel with a key seen on that channel within the window
 * publishes nothing and answers the first publication's offset and epoch, on every node.
 *
 * <p>Thread-safe (stateless).
 */
public final class IdempotencyKeys {
  /** Default time a key is remembered after its publication, in seconds. */
  public static final long DEFAULT_WINDOW_SECONDS = 300;

  /** Longest key, in characters. */
  public static final int MAX_LENGTH = 128;

  /**
   * Default bound on the keys the in-memory broker remembers per node; past it the oldest are
   * forgotten first (a retry of a forgotten key would publish again).
   */
  public static final int DEFAULT_MAX_KEYS = 100_000;

  private IdempotencyKeys() {}

  /**
   * Checks a key from a client.
   *
   * @param key the key, or {@code null} when the client sent none
   * @return the key, or {@code null} when {@code key} is {@code null}
   * @throws ProtocolException {@code invalid_request} when the key is empty, longer than {@value
   *     #MAX_LENGTH} characters, or has a character outside printable ASCII (0x20 to 0x7E)
   */
  public static String check(String key) {
    if (key == null) {
      return null;
    }
    if (key.isEmpty() || key.length() > MAX_LENGTH) {
      throw new ProtocolException(
          ErrorCode.INVALID_REQUEST,
          "an idempotency key must be 1 to "
              + MAX_LENGTH
              + " printable ASCII characters, got "
              + key.length()
              + " characters");
    }
    for (int i = 0; i < key.length(); i++) {
      char c = key.charAt(i);
      if (c < 0x20 || c > 0x7E) {
        throw new ProtocolException(
            ErrorCode.INVALID_REQUEST,
            "an idempotency key must be 1 to "
                + MAX_LENGTH
                + " printable ASCII characters (0x20 to 0x7E); character "
                + (i + 1)
                + " is not one");
      }
    }
    return key;
  }
}
