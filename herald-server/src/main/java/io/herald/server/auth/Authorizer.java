package io.herald.server.auth;

import io.herald.core.ErrorCode;
import io.herald.server.ServerConfig;
import io.herald.server.auth.NamespacePolicy.PublishAccess;
import io.herald.server.auth.NamespacePolicy.SubscribeAccess;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The one authorizer of PROTOCOL.md section 10: turns credentials (a bearer token, an API key,
 * none) into a {@link Principal}, and decides whether a principal may subscribe to or publish on a
 * channel under its namespace's policy and the token's grants. Every transport asks it before it
 * touches the hub.
 *
 * <p>With no credential configured everything is public (version 1). With one, a namespace not
 * listed in {@link ServerConfig#namespaces()} (and {@code default}, unless listed) is {@code
 * {subscribe: token, publish: token}}.
 *
 * <p>Thread-safe. Nothing here blocks, except a JWKS fetch (see {@link TokenVerifier}).
 */
public final class Authorizer {
  private static final NamespacePolicy PUBLIC =
      NamespacePolicy.of("*", SubscribeAccess.PUBLIC, PublishAccess.PUBLIC);
  private static final NamespacePolicy TOKEN =
      NamespacePolicy.of("*", SubscribeAccess.TOKEN, PublishAccess.TOKEN);

  private final boolean enabled;
  private final TokenVerifier verifier;
  private final List<byte[]> apiKeyDigests = new ArrayList<>();
  private final Map<String, NamespacePolicy> namespaces = new HashMap<>();
  private final Clock clock;

  /**
   * The authorizer of {@code config}.
   *
   * @throws IllegalArgumentException when a configured key cannot be used
   */
  public Authorizer(ServerConfig config) {
    this(config, Clock.systemUTC());
  }

  /** The authorizer of {@code config}, reading the time from {@code clock}. */
  public Authorizer(ServerConfig config, Clock clock) {
    this.clock = clock;
    this.enabled = config.credentialsConfigured();
    boolean tokens =
        config.authHmacSecret() != null
            || config.authPublicKeyFile() != null
            || config.authJwksUrl() != null;
    this.verifier =
        tokens
            ? new TokenVerifier(
                config.authHmacSecret(),
                config.authPublicKeyFile(),
                config.authJwksUrl(),
                config.authIssuer(),
                config.authAudience(),
                config.authClockSkew(),
                clock)
            : null;
    for (String k : config.apiKeys()) {
      apiKeyDigests.add(digest(k));
    }
    for (NamespacePolicy p : config.namespaces()) {
      namespaces.put(p.namespace(), p);
    }
  }

  /** Whether any credential is configured (else everything is public). */
  public boolean enabled() {
    return enabled;
  }

  /** Whether tokens are accepted (an HMAC secret, a public key or a JWKS URL is configured). */
  public boolean acceptsTokens() {
    return verifier != null;
  }

  /**
   * The principal of a request: the API key when one is given (it must be valid), else the token,
   * else {@link Principal#ANONYMOUS}.
   *
   * @param token the bearer token, or {@code null}
   * @param apiKey the {@code X-Api-Key} value, or {@code null}
   * @throws AuthException 401 when a credential is given but not valid, or the token expired
   */
  public Principal authenticate(String token, String apiKey) {
    if (!enabled) {
      return Principal.ANONYMOUS;
    }
    if (apiKey != null) {
      if (!apiKeyValid(apiKey)) {
        throw new AuthException(
            ErrorCode.UNAUTHORIZED, "the X-Api-Key is not one this server accepts", false);
      }
      return Principal.API_KEY;
    }
    if (token != null) {
      return verify(token);
    }
    return Principal.ANONYMOUS;
  }

  /**
   * Verifies a token (from a {@code connect} or {@code refresh} command).
   *
   * @throws AuthException 401 when it is not valid or expired, or when tokens are not configured
   */
  public Principal verify(String token) {
    if (token == null || token.isBlank()) {
      throw new AuthException(ErrorCode.UNAUTHORIZED, "the token is empty", false);
    }
    if (verifier == null) {
      throw new AuthException(
          ErrorCode.UNAUTHORIZED,
          "this server accepts no tokens (no HMAC secret, public key or JWKS URL is configured)",
          true);
    }
    return verifier.verify(token);
  }

  /** Whether {@code given} is one of the configured API keys (compared in constant time). */
  public boolean isApiKey(String given) {
    return given != null && apiKeyValid(given);
  }

  private boolean apiKeyValid(String given) {
    byte[] d = digest(given);
    boolean ok = false;
    for (byte[] k : apiKeyDigests) {
      ok |= MessageDigest.isEqual(k, d); // every key compared, in constant time
    }
    return ok;
  }

  private static byte[] digest(String key) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The policy of {@code channel}'s namespace. */
  public NamespacePolicy policy(String channel) {
    if (!enabled) {
      return PUBLIC;
    }
    NamespacePolicy p = namespaces.get(NamespacePolicy.namespaceOf(channel));
    return p != null ? p : TOKEN;
  }

  /**
   * How long shared caches may keep a short-poll answer for {@code channels} (PROTOCOL.md section
   * 12), in seconds: the smallest {@code poll-cache-seconds} of their namespaces, or 0 (never) when
   * one of them sets none or its subscribing is not public. On a server without credentials every
   * namespace is public. Whether the request itself carried credentials is the caller's to check.
   */
  public int pollCacheSeconds(List<String> channels) {
    int seconds = Integer.MAX_VALUE;
    for (String channel : channels) {
      NamespacePolicy p = namespaces.get(NamespacePolicy.namespaceOf(channel));
      if (p == null
          || p.pollCacheSeconds().isEmpty()
          || (enabled && p.subscribe() != SubscribeAccess.PUBLIC)) {
        return 0;
      }
      seconds = Math.min(seconds, p.pollCacheSeconds().get());
    }
    return seconds == Integer.MAX_VALUE ? 0 : seconds;
  }

  /**
   * Whether {@code principal} may subscribe to every one of {@code channels}; a list that names one
   * forbidden channel is refused whole.
   *
   * @throws AuthException 401 when a channel needs a token and none came (or it expired), 403 when
   *     the token does not grant a channel; the message names the channel
   */
  public void checkSubscribe(Principal principal, List<String> channels) {
    for (String channel : channels) {
      if (policy(channel).subscribe() == SubscribeAccess.PUBLIC || principal.apiKey()) {
        continue;
      }
      checkLive(principal, channel, "subscribe to");
      if (!Principal.grants(principal.subscribe(), channel)) {
        throw new AuthException(
            ErrorCode.FORBIDDEN,
            "the token does not grant subscribing to '"
                + channel
                + "' (herald.subscribe: "
                + principal.subscribe()
                + ")",
            true);
      }
    }
  }

  /**
   * Whether {@code principal} may publish to {@code channel}.
   *
   * @throws AuthException 401 when credentials are needed and none came (or the token expired), 403
   *     when they do not grant it
   */
  public void checkPublish(Principal principal, String channel) {
    PublishAccess access = policy(channel).publish();
    if (access == PublishAccess.PUBLIC || principal.apiKey()) {
      return;
    }
    String namespace = NamespacePolicy.namespaceOf(channel);
    if (access == PublishAccess.API) {
      if (principal.anonymous()) {
        throw new AuthException(
            ErrorCode.UNAUTHORIZED,
            "publishing to '" + channel + "' needs an API key (X-Api-Key)",
            false);
      }
      throw new AuthException(
          ErrorCode.FORBIDDEN,
          "namespace '" + namespace + "' takes publications from API keys (X-Api-Key) only",
          true);
    }
    checkLive(principal, channel, "publish to");
    if (!Principal.grants(principal.publish(), channel)) {
      throw new AuthException(
          ErrorCode.FORBIDDEN,
          "the token does not grant publishing to '"
              + channel
              + "' (herald.publish: "
              + principal.publish()
              + ")",
          true);
    }
  }

  private void checkLive(Principal principal, String channel, String action) {
    if (principal.anonymous()) {
      throw new AuthException(
          ErrorCode.UNAUTHORIZED,
          "to "
              + action
              + " '"
              + channel
              + "' send a token (Authorization: Bearer, the token query parameter, or connect on"
              + " /ws)",
          false);
    }
    if (principal.expiredAt(clock.instant())) {
      throw new AuthException(
          ErrorCode.TOKEN_EXPIRED,
          "the token expired at " + principal.expires() + "; get a new token",
          true);
    }
  }

  /** Now, by this authorizer's clock. */
  public Instant now() {
    return clock.instant();
  }

  /** One line for the start-up log saying which mode is in force. */
  public static String describe(ServerConfig config) {
    if (!config.credentialsConfigured()) {
      return config.insecureNoAuth()
          ? "auth OFF (--insecure-no-auth): anyone who can reach this server can read and publish"
              + " every channel"
          : "auth off: no credential configured, every channel is public (loopback only)";
    }
    List<String> what = new ArrayList<>();
    if (config.authHmacSecret() != null) {
      what.add("HMAC tokens");
    }
    if (config.authPublicKeyFile() != null) {
      what.add("tokens signed by " + config.authPublicKeyFile());
    }
    if (config.authJwksUrl() != null) {
      what.add("tokens signed by the keys at " + config.authJwksUrl());
    }
    if (!config.apiKeys().isEmpty()) {
      what.add(config.apiKeys().size() + " API key(s)");
    }
    return "auth on: "
        + String.join(", ", what)
        + "; namespaces "
        + (config.namespaces().isEmpty() ? "none listed (all need a token)" : config.namespaces())
        + "; allowed origins "
        + (config.allowedOrigins().isEmpty() ? "same origin only" : config.allowedOrigins());
  }
}
