package io.herald.server.internal;

/**
 * The {@code Bearer} scheme of an {@code Authorization} field (RFC 6750 section 2.1), read the same
 * way by the API ({@link HttpRouter}), {@code /metrics} and the admin page. Thread-safe: stateless.
 */
final class Bearer {
  private static final String SCHEME = "Bearer ";

  private Bearer() {}

  /**
   * The credential of {@code authorization} when its scheme is {@code Bearer} (any case), trimmed;
   * {@code null} when the field is absent or has another scheme.
   */
  static String token(String authorization) {
    if (authorization == null
        || !authorization.regionMatches(true, 0, SCHEME, 0, SCHEME.length())) {
      return null;
    }
    return authorization.substring(SCHEME.length()).trim();
  }
}
