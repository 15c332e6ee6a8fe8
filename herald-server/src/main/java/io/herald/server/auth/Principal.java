package io.herald.server.auth;

import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * Who makes a request or holds a connection (DESIGN.md "Authorize at the edge, once"): the user and
 * the channel patterns a token grants, or a backend with an API key, or nobody. Every transport
 * turns its credentials into one principal and asks the {@link Authorizer}.
 *
 * <p>Immutable and thread-safe.
 *
 * @param user the token's {@code sub}, or {@code null} for an API key or nobody
 * @param subscribe patterns of channels it may subscribe to: a name, or a prefix ending in {@code
 *     *}
 * @param publish patterns of channels it may publish to
 * @param apiKey whether it holds an API key (a backend: may publish to and read any channel)
 * @param expires when the token expires, or {@code null} when it does not (API keys, nobody, tokens
 *     without {@code exp})
 * @param info the token's {@code herald.info} as JSON text, or {@code null}
 */
public record Principal(
    String user,
    List<String> subscribe,
    List<String> publish,
    boolean apiKey,
    Instant expires,
    String info) {

  /** The claim holding {@code subscribe}, {@code publish} and {@code info}. */
  public static final String HERALD_CLAIM = "herald";

  /** No credentials. */
  public static final Principal ANONYMOUS =
      new Principal(null, List.of(), List.of(), false, null, null);

  /** A backend that presented a valid API key. */
  public static final Principal API_KEY =
      new Principal(null, List.of(), List.of(), true, null, null);

  public Principal {
    subscribe = List.copyOf(subscribe);
    publish = List.copyOf(publish);
  }

  /** Whether it presented no credentials at all. */
  public boolean anonymous() {
    return user == null && !apiKey;
  }

  /** Whether the token has expired at {@code now}. */
  public boolean expiredAt(Instant now) {
    return expires != null && !now.isBefore(expires);
  }

  /**
   * Whether one of {@code patterns} matches {@code channel}: equal to it, or a prefix ending in
   * {@code *} that it starts with ({@code chat:*}; {@code *} alone matches every channel).
   */
  public static boolean grants(List<String> patterns, String channel) {
    Objects.requireNonNull(channel, "channel");
    for (String p : patterns) {
      if (p.endsWith("*")
          ? channel.startsWith(p.substring(0, p.length() - 1))
          : p.equals(channel)) {
        return true;
      }
    }
    return false;
  }
}
