package io.herald.server.auth;

import java.net.URI;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Which browser origins may open WebSockets and make CORS requests (PROTOCOL.md section 10): the
 * page's own origin (the {@code Origin}'s host and port equal the {@code Host}), the configured
 * {@code --allowed-origins}, or any origin when {@code *} is configured. Requests without {@code
 * Origin} (non-browser clients) are not affected.
 *
 * <p>Immutable and thread-safe.
 */
public final class OriginPolicy {
  private final Set<String> allowed;
  private final boolean any;

  /** The policy for {@code allowedOrigins} ({@code scheme://host[:port]} each, or {@code *}). */
  public OriginPolicy(List<String> allowedOrigins) {
    this.any = allowedOrigins.contains("*");
    this.allowed = Set.copyOf(allowedOrigins.stream().map(OriginPolicy::normalize).toList());
  }

  /**
   * The {@code Access-Control-Allow-Origin} value for a request from {@code origin} to {@code
   * host}.
   *
   * @param origin the request's {@code Origin} header, or {@code null}
   * @param host the request's {@code Host} header, or {@code null}
   * @return {@code null} when there is no {@code Origin} (not a browser: allowed, no CORS headers),
   *     {@code *} when any origin is configured, the origin itself when it is the page's own or
   *     configured, and {@link #REFUSED} otherwise
   */
  public String allowOrigin(String origin, String host) {
    if (origin == null) {
      return null;
    }
    if (any) {
      return "*";
    }
    String o = normalize(origin);
    if (allowed.contains(o) || sameOrigin(o, host)) {
      return origin;
    }
    return REFUSED;
  }

  /** Returned by {@link #allowOrigin} for an origin that is not allowed. */
  public static final String REFUSED = "";

  private static boolean sameOrigin(String origin, String host) {
    if (host == null || origin.equals("null")) {
      return false;
    }
    try {
      URI o = URI.create(origin);
      if (o.getHost() == null) {
        return false;
      }
      int port = o.getPort() >= 0 ? o.getPort() : "https".equals(o.getScheme()) ? 443 : 80;
      URI h = URI.create("http://" + host.trim().toLowerCase(Locale.ROOT));
      if (h.getHost() == null) {
        return false;
      }
      int hostPort = h.getPort() >= 0 ? h.getPort() : port == 443 ? 443 : 80;
      return o.getHost().equals(h.getHost()) && port == hostPort;
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  private static String normalize(String origin) {
    String o = origin.trim().toLowerCase(Locale.ROOT);
    if (o.startsWith("http://") && o.endsWith(":80")) {
      o = o.substring(0, o.length() - 3);
    } else if (o.startsWith("https://") && o.endsWith(":443")) {
      o = o.substring(0, o.length() - 4);
    }
    while (o.endsWith("/")) {
      o = o.substring(0, o.length() - 1);
    }
    return o;
  }
}
