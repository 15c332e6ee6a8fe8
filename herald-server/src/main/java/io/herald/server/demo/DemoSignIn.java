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
