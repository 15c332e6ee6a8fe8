package io.herald.server.demo;

import com.fasterxml.jackson.databind.JsonNode;
import io.herald.core.ErrorCode;
import io.herald.core.Json;
import io.herald.core.ProtocolException;
import io.herald.server.auth.TokenMinter;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The demos' sign-in, {@code POST /demo/token} with {@code {"name":"Ada"}}: mints a short-lived
 * token for anyone who asks, so that the chat demo has users, private channels and visible token
 * refreshes. A real application never does this: it mints tokens in its own backend, for users it
 * has signed in (README, "Security").
 *
 * <p>The user id is the name in lower case with every character outside {@code a-z 0-9 _ - .}
 * replaced by {@code -} (1 to {@value #MAX_NAME_CHARS} characters). The token's subject is that id;
 * it may read {@code demo:*} and its own {@code user:ID}, and publish to {@code demo:*} and every
 * {@code user:*} (a private message to another user, which only that user can read). Its lifetime
 * is {@value #DEFAULT_TTL_SECONDS} s unless the request asks for {@code ttlSeconds} between {@value
 * #MIN_TTL_SECONDS} and {@value #MAX_TTL_SECONDS}.
 *
 * <p>Answer: {@code 200 {"token":"...","user":"ada","channel":"user:ada","expires":MILLIS,
 * "ttlSeconds":30}}; {@code 400 invalid_request} for a bad body or name; {@code 404 not_found} when
 * the server cannot mint (no HMAC secret configured). Thread-safe: immutable.
 */
public final class DemoSignIn {
  /** Lifetime of a demo token when the request names none: 30 seconds (so refreshes show). */
  public static final int DEFAULT_TTL_SECONDS = 30;

  /** Shortest lifetime a request may ask for, in seconds. */
  public static final int MIN_TTL_SECONDS = 3;

  /** Longest lifetime a request may ask for, in seconds. */
  public static final int MAX_TTL_SECONDS = 3600;

  /** Longest name, in characters. */
  public static final int MAX_NAME_CHARS = 40;

  /** The namespace of each user's private channel, {@code user:ID}. */
  public static final String USER_NAMESPACE = "user";

  private final TokenMinter minter;

  /**
   * A sign-in that signs with {@code minter}, or {@code null} when the server has no HMAC secret
   * (every request then answers {@code 404}).
   */
  public DemoSignIn(TokenMinter minter) {
    this.minter = minter;
  }

  /**
   * A random HMAC secret for a development server that has none (48 random bytes, base64): lives in
   * memory only, so tokens minted with it die with the process.
   */
  public static String developmentSecret() {
    byte[] b = new byte[48];
    new java.security.SecureRandom().nextBytes(b);
    return java.util.Base64.getEncoder().encodeToString(b);
  }

  /**
   * The settings of {@code builder}, with the demos' development credentials when the demos run and
   * nothing else protects the server: {@code --demo-feed}, no credential configured, and a loopback
   * {@code --host} (or {@code --insecure-no-auth}). Then a random HMAC secret ({@link
   * #developmentSecret()}) is set, and the namespaces {@code default} and {@code demo} are public
   * and {@code user} needs a token (namespaces the settings list are kept), so that every demo
   * works and each {@code user:ID} channel is readable with that user's token only. Logged as
   * development-only. Otherwise the settings are returned as they are (on a non-loopback host with
   * no credential, protected mode then refuses to start, as without demos).
   *
   * @param builder the settings; changed when the development credentials apply
   * @return the settings to run with
   * @throws IllegalArgumentException as {@link io.herald.server.ServerConfig.Builder#build()}
   */
  public static io.herald.server.ServerConfig developmentDefaults(
      io.herald.server.ServerConfig.Builder builder) {
    io.herald.server.ServerConfig config = builder.build();
    if (!config.demoFeed()
        || config.credentialsConfigured()
        || !(config.insecureNoAuth() || isLoopback(config.host()))) {
      return config;
    }
    List<io.herald.server.auth.NamespacePolicy> namespaces =
        new java.util.ArrayList<>(config.namespaces());
    java.util.Set<String> listed = new java.util.HashSet<>();
    namespaces.forEach(n -> listed.add(n.namespace()));
    for (io.herald.server.auth.NamespacePolicy n :
        List.of(
            io.herald.server.auth.NamespacePolicy.of(
                io.herald.server.auth.NamespacePolicy.DEFAULT_NAMESPACE,
                io.herald.server.auth.NamespacePolicy.SubscribeAccess.PUBLIC,
                io.herald.server.auth.NamespacePolicy.PublishAccess.PUBLIC),
            io.herald.server.auth.NamespacePolicy.of(
                "demo",
                io.herald.server.auth.NamespacePolicy.SubscribeAccess.PUBLIC,
                io.herald.server.auth.NamespacePolicy.PublishAccess.PUBLIC),
            io.herald.server.auth.NamespacePolicy.of(
                USER_NAMESPACE,
                io.herald.server.auth.NamespacePolicy.SubscribeAccess.TOKEN,
                io.herald.server.auth.NamespacePolicy.PublishAccess.TOKEN))) {
      if (!listed.contains(n.namespace())) {
        namespaces.add(n);
      }
    }
    org.slf4j.LoggerFactory.getLogger(DemoSignIn.class)
        .warn(
            "development only: --demo-feed without a credential, so the demos run with a random"
                + " HMAC secret (kept in memory) and the namespaces default and demo public, user"
                + " token-only; configure --auth-hmac-secret for anything else");
    return builder.authHmacSecret(developmentSecret()).namespaces(namespaces).build();
  }

  private static boolean isLoopback(String host) {
    try {
      for (java.net.InetAddress a : java.net.InetAddress.getAllByName(host)) {
        if (!a.isLoopbackAddress()) {
          return false;
        }
      }
      return true;
    } catch (java.net.UnknownHostException e) {
      return false;
    }
  }

  /** The user id for a display name, as the class comment says; empty when nothing is left. */
  public static String userId(String name) {
    String id =
        name.trim()
            .toLowerCase(Locale.ROOT)
            .replaceAll("[^a-z0-9_.\\-]+", "-")
            .replaceAll("^-+|-+$", "");
    return id.length() > MAX_NAME_CHARS ? id.substring(0, MAX_NAME_CHARS) : id;
  }

  /**
   * Answers one sign-in request.
   *
   * @param body the request body, JSON {@code {"name":"...","ttlSeconds":N}} ({@code ttlSeconds}
   *     optional)
   * @return the answer's JSON body
   * @throws ProtocolException {@code invalid_request} for a bad body, name or lifetime; {@code
   *     not_found} when this server cannot mint tokens
   */
  public Map<String, Object> signIn(byte[] body) {
    if (minter == null) {
      throw new ProtocolException(
          ErrorCode.NOT_FOUND,
          "the demo sign-in needs an HMAC secret (--auth-hmac-secret) to mint tokens; this server"
              + " verifies tokens with a public key or JWKS only");
    }
    JsonNode req;
    try {
      req = Json.MAPPER.readTree(body);
    } catch (IOException e) {
      req = null;
    }
    if (req == null || !req.path("name").isTextual()) {
      throw new ProtocolException(
          ErrorCode.INVALID_REQUEST,
          "send a JSON body {\"name\":\"Ada\"} (optionally \"ttlSeconds\": "
              + MIN_TTL_SECONDS
              + " to "
              + MAX_TTL_SECONDS
              + ")");
    }
    String name = req.path("name").asText().trim();
    String user = userId(name);
    if (user.isEmpty() || name.length() > MAX_NAME_CHARS) {
      throw new ProtocolException(
          ErrorCode.INVALID_REQUEST,
          "a name is 1 to "
              + MAX_NAME_CHARS
              + " characters with at least one letter or digit, got '"
              + (name.length() > MAX_NAME_CHARS ? name.substring(0, MAX_NAME_CHARS) + "..." : name)
              + "'");
    }
    int ttl = DEFAULT_TTL_SECONDS;
    if (!req.path("ttlSeconds").isMissingNode()) {
      JsonNode t = req.path("ttlSeconds");
      if (!t.canConvertToInt()
          || !t.isIntegralNumber()
          || t.asInt() < MIN_TTL_SECONDS
          || t.asInt() > MAX_TTL_SECONDS) {
        throw new ProtocolException(
            ErrorCode.INVALID_REQUEST,
            "ttlSeconds is a whole number from "
                + MIN_TTL_SECONDS
                + " to "
                + MAX_TTL_SECONDS
                + ", got "
                + t);
      }
      ttl = t.asInt();
    }
    String own = USER_NAMESPACE + ":" + user;
    Map<String, Object> info = new LinkedHashMap<>();
    info.put("name", name);
    Instant expires = Instant.now().plusSeconds(ttl);
    String token =
        minter.mint(
            user,
            List.of("demo:*", own),
            List.of("demo:*", USER_NAMESPACE + ":*"),
            Duration.ofSeconds(ttl),
            info);
    Map<String, Object> answer = new LinkedHashMap<>();
    answer.put("token", token);
    answer.put("user", user);
    answer.put("name", name);
    answer.put("channel", own);
    answer.put("expires", expires.toEpochMilli());
    answer.put("ttlSeconds", ttl);
    answer.put(
        "note",
        "demo only: anyone may sign in as anyone here; a real application mints tokens in its own"
            + " backend for users it has signed in");
    return answer;
  }
}
