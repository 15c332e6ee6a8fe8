package io.herald.server.internal;

import io.herald.core.ErrorCode;
import io.herald.core.ProtocolException;
import io.herald.server.ServerConfig;
import io.herald.server.auth.AuthException;
import io.herald.server.auth.Authorizer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Who may use the admin page: the holder of an API key ({@code X-Api-Key}) or of the admin
 * password. Signing in with either gives a session token, {@code v1.<expiry ms>.<HMAC-SHA256>},
 * signed with a key drawn at random when the server starts (so a token works on the node that gave
 * it until it expires or the node restarts); the page sends it as {@code Authorization: Bearer}.
 * Credentials travel in headers and bodies only, never in URLs, and never in cookies, so another
 * site cannot make a signed-in browser act (no CSRF). Comparisons are constant-time (digests
 * compared with {@link MessageDigest#isEqual}). Failed sign-ins are limited to {@value
 * #MAX_FAILURES} per {@value #FAILURE_WINDOW_SECONDS} s per node; past that, {@code 429
 * rate_limited}. Thread-safe.
 */
final class AdminAuth {
  /** Failed sign-ins allowed per window on this node. */
  static final int MAX_FAILURES = 20;

  /** The window of {@link #MAX_FAILURES}, in seconds. */
  static final int FAILURE_WINDOW_SECONDS = 60;

  private static final String PREFIX = "v1.";

  private final Authorizer authorizer;
  private final byte[] passwordDigest;
  private final long sessionMillis;
  private final Clock clock;
  private final SecretKeySpec key;
  private long windowStart; // guarded by this
  private int failures; // guarded by this

  AdminAuth(ServerConfig config, Authorizer authorizer, Clock clock) {
    this.authorizer = authorizer;
    this.passwordDigest = config.adminPassword() == null ? null : digest(config.adminPassword());
    this.sessionMillis = config.adminSession().toMillis();
    this.clock = clock;
    byte[] k = new byte[32];
    new SecureRandom().nextBytes(k);
    this.key = new SecretKeySpec(k, "HmacSHA256");
  }

  /**
   * Signs in with {@code secret} (the admin password or an API key).
   *
   * @return a session token valid for the admin session setting
   * @throws ProtocolException {@code 401 unauthorized} when the secret is neither, {@code 429
   *     rate_limited} after too many failures
   */
  String signIn(String secret) {
    checkFailures();
    if (secret == null || secret.isEmpty() || !(password(secret) || apiKey(secret))) {
      fail();
      throw new AuthException(
          ErrorCode.UNAUTHORIZED, "that is neither the admin password nor an API key", false);
    }
    long expiry = clock.millis() + sessionMillis;
    return PREFIX + expiry + "." + sign(expiry);
  }

  /** Milliseconds a new session lasts. */
  long sessionMillis() {
    return sessionMillis;
  }

  /**
   * Checks a request's credentials: {@code Authorization: Bearer} with a session token of this
   * node, or {@code X-Api-Key}.
   *
   * @throws AuthException 401 when neither is given or valid
   */
  void check(String authorization, String apiKey) {
    if (apiKey != null) {
      if (!apiKey(apiKey)) {
        throw new AuthException(
            ErrorCode.UNAUTHORIZED, "the X-Api-Key is not one this server accepts", false);
      }
      return;
    }
    String token = Bearer.token(authorization);
    if (token == null) {
      throw new AuthException(
          ErrorCode.UNAUTHORIZED,
          "sign in to the admin page (POST /admin/api/session), then send 'Authorization: Bearer"
              + " TOKEN', or send X-Api-Key",
          false);
    }
    if (!valid(token)) {
      throw new AuthException(
          ErrorCode.UNAUTHORIZED,
          "the admin session is not valid or has expired; sign in again",
          true);
    }
  }

  private boolean valid(String token) {
    if (!token.startsWith(PREFIX)) {
      return false;
    }
    int dot = token.indexOf('.', PREFIX.length());
    if (dot < 0) {
      return false;
    }
    long expiry;
    try {
      expiry = Long.parseLong(token.substring(PREFIX.length(), dot));
    } catch (NumberFormatException e) {
      return false;
    }
    byte[] given = token.substring(dot + 1).getBytes(StandardCharsets.US_ASCII);
    byte[] expected = sign(expiry).getBytes(StandardCharsets.US_ASCII);
    return MessageDigest.isEqual(given, expected) && clock.millis() < expiry;
  }

  private String sign(long expiry) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(key);
      byte[] sig = mac.doFinal(("herald-admin:" + expiry).getBytes(StandardCharsets.US_ASCII));
      return Base64.getUrlEncoder().withoutPadding().encodeToString(sig);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  private boolean password(String secret) {
    return passwordDigest != null && MessageDigest.isEqual(passwordDigest, digest(secret));
  }

  private boolean apiKey(String secret) {
    try {
      return authorizer.enabled() && authorizer.authenticate(null, secret).apiKey();
    } catch (AuthException e) {
      return false;
    }
  }

  private synchronized void checkFailures() {
    long now = clock.millis();
    if (now - windowStart >= FAILURE_WINDOW_SECONDS * 1000L) {
      windowStart = now;
      failures = 0;
    }
    if (failures >= MAX_FAILURES) {
      throw new ProtocolException(
          ErrorCode.RATE_LIMITED,
          "more than "
              + MAX_FAILURES
              + " failed admin sign-ins in "
              + FAILURE_WINDOW_SECONDS
              + " s on this node; wait and try again");
    }
  }

  private synchronized void fail() {
    failures++;
  }

  private static byte[] digest(String s) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }
}
