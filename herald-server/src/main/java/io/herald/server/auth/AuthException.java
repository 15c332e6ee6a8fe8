package io.herald.server.auth;

import io.herald.core.ErrorCode;
import io.herald.core.ProtocolException;

/**
 * A refusal of PROTOCOL.md section 10: {@code 401 unauthorized}, {@code 401 token_expired} or
 * {@code 403 forbidden}. Knows whether the request carried a token, so an HTTP answer can give the
 * right {@code WWW-Authenticate} challenge (RFC 6750 section 3).
 */
public final class AuthException extends ProtocolException {
  private final boolean tokenPresented;

  /**
   * @param code {@link ErrorCode#UNAUTHORIZED}, {@link ErrorCode#TOKEN_EXPIRED} or {@link
   *     ErrorCode#FORBIDDEN}
   * @param message what was wrong and what is allowed, in a user's words
   * @param tokenPresented whether the request carried a token
   */
  public AuthException(ErrorCode code, String message, boolean tokenPresented) {
    super(code, message);
    this.tokenPresented = tokenPresented;
  }

  /** Whether the refused request carried a token. */
  public boolean tokenPresented() {
    return tokenPresented;
  }

  /**
   * The {@code WWW-Authenticate} value for a 401 answer: a bare {@code Bearer} challenge when no
   * token came, {@code error="invalid_token"} with a description when one did.
   */
  public String challenge() {
    if (!tokenPresented) {
      return "Bearer realm=\"herald\"";
    }
    // RFC 6750 section 3: error_description is printable ASCII without '"' and '\'; the message
    // may quote a token's claims, so anything else (a line break, say) becomes '?'
    StringBuilder description = new StringBuilder();
    String message = getMessage();
    for (int i = 0; i < message.length() && description.length() < 200; i++) {
      char c = message.charAt(i);
      description.append(c == '"' ? '\'' : c == '\\' ? '/' : c < 0x20 || c > 0x7e ? '?' : c);
    }
    return "Bearer realm=\"herald\", error=\"invalid_token\", error_description=\""
        + description
        + "\"";
  }
}
