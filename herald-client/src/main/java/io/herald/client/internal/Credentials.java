package io.herald.client.internal;

import java.net.http.HttpRequest;
import java.net.http.WebSocket;
import java.util.function.Supplier;

/**
 * What a client sends to prove who it is (PROTOCOL.md section 10): a token as {@code Authorization:
 * Bearer}, an API key as {@code X-Api-Key}, both, or neither. The token comes from a supplier that
 * is asked again for every request and every connection, so a supplier that renews tokens keeps a
 * client working past each token's {@code exp}. Headers only: neither travels in a URL. Immutable
 * and thread-safe when the supplier is.
 *
 * @param token gives the token to send, or {@code null} to send none; called on the thread that
 *     opens the request, must not block for long
 * @param renewable whether {@code token} may give a new token when asked again (a supplier), so
 *     that {@code token_expired} is worth a reconnection
 * @param apiKey the API key, or {@code null}
 */
public record Credentials(Supplier<String> token, boolean renewable, String apiKey) {
  /** No credentials. */
  public static final Credentials NONE = new Credentials(null, false, null);

  /** Adds the headers to an HTTP request. */
  public HttpRequest.Builder apply(HttpRequest.Builder request) {
    String t = currentToken();
    if (t != null) {
      request.header("Authorization", "Bearer " + t);
    }
    if (apiKey != null) {
      request.header("X-Api-Key", apiKey);
    }
    return request;
  }

  /** Adds the headers to a WebSocket upgrade. */
  public WebSocket.Builder apply(WebSocket.Builder upgrade) {
    String t = currentToken();
    if (t != null) {
      upgrade.header("Authorization", "Bearer " + t);
    }
    if (apiKey != null) {
      upgrade.header("X-Api-Key", apiKey);
    }
    return upgrade;
  }

  private String currentToken() {
    if (token == null) {
      return null;
    }
    String t = token.get();
    return t == null || t.isEmpty() ? null : t;
  }
}
