package io.herald.server.auth;

import com.fasterxml.jackson.core.type.TypeReference;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import io.herald.core.Json;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Mints HS256 tokens (PROTOCOL.md section 10) from the server's shared HMAC secret: {@code sub},
 * {@code iat}, {@code exp} and the {@code herald} claim with {@code subscribe}, {@code publish} and
 * {@code info}. For development, scripts, tests and the demo sign-in; a real application mints its
 * tokens in its own backend with any JWT library.
 *
 * <pre>{@code
 * TokenMinter minter = new TokenMinter(secret);
 * String token = minter.mint("42", List.of("chat:*"), List.of("chat:*"), Duration.ofHours(1), null);
 * }</pre>
 *
 * <p>Immutable and thread-safe.
 */
public final class TokenMinter {
  /** The shortest secret HS256 accepts, in bytes (RFC 7518 section 3.2: the hash's size). */
  public static final int MIN_SECRET_BYTES = 32;

  private final MACSigner signer;
  private final Clock clock;
  private final String issuer;
  private final String audience;

  /**
   * A minter signing with {@code secret} (UTF-8 bytes, at least {@value #MIN_SECRET_BYTES}).
   *
   * @throws IllegalArgumentException when the secret is shorter
   */
  public TokenMinter(String secret) {
    this(secret, null, null, Clock.systemUTC());
  }

  /**
   * A minter that also sets {@code iss} and {@code aud} (each may be {@code null}) and reads the
   * time from {@code clock} (tests mint expired or not-yet-valid tokens with it).
   *
   * @throws IllegalArgumentException when the secret is shorter than {@value #MIN_SECRET_BYTES}
   *     bytes
   */
  public TokenMinter(String secret, String issuer, String audience, Clock clock) {
    Objects.requireNonNull(secret, "secret");
    byte[] bytes = secret.getBytes(StandardCharsets.UTF_8);
    if (bytes.length < MIN_SECRET_BYTES) {
      throw new IllegalArgumentException(
          "the HMAC secret is "
              + bytes.length
              + " bytes; HS256 needs at least "
              + MIN_SECRET_BYTES
              + " (for example: openssl rand -base64 48)");
    }
    try {
      this.signer = new MACSigner(bytes);
    } catch (JOSEException e) {
      throw new IllegalArgumentException("the HMAC secret cannot sign: " + e.getMessage(), e);
    }
    this.issuer = issuer;
    this.audience = audience;
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  /**
   * A signed token (compact JWS) for user {@code subject}.
   *
   * @param subject the user id ({@code sub}), not empty
   * @param subscribe channel patterns the token may subscribe to (a name, or a prefix ending in
   *     {@code *}); may be empty
   * @param publish channel patterns the token may publish to; may be empty
   * @param ttl how long the token is valid from now, at least one second
   * @param info any JSON-encodable value for {@code herald.info}, or {@code null} for none
   * @return the token; this method does not block
   */
  public String mint(
      String subject, List<String> subscribe, List<String> publish, Duration ttl, Object info) {
    if (subject == null || subject.isEmpty()) {
      throw new IllegalArgumentException("a token needs a subject (the user id), got none");
    }
    if (ttl == null || ttl.compareTo(Duration.ofSeconds(1)) < 0) {
      throw new IllegalArgumentException(
          "a token's lifetime must be at least 1 second, got " + ttl);
    }
    Instant now = clock.instant();
    Map<String, Object> herald = new LinkedHashMap<>();
    herald.put("subscribe", new ArrayList<>(subscribe));
    herald.put("publish", new ArrayList<>(publish));
    if (info != null) {
      herald.put("info", Json.MAPPER.convertValue(info, new TypeReference<Object>() {}));
    }
    JWTClaimsSet.Builder claims =
        new JWTClaimsSet.Builder()
            .subject(subject)
            .issueTime(Date.from(now))
            .expirationTime(Date.from(now.plus(ttl)))
            .claim(Principal.HERALD_CLAIM, herald);
    if (issuer != null) {
      claims.issuer(issuer);
    }
    if (audience != null) {
      claims.audience(audience);
    }
    SignedJWT jwt =
        new SignedJWT(
            new JWSHeader.Builder(JWSAlgorithm.HS256).type(JOSEObjectType.JWT).build(),
            claims.build());
    try {
      jwt.sign(signer);
    } catch (JOSEException e) {
      throw new IllegalStateException("signing failed: " + e.getMessage(), e);
    }
    return jwt.serialize();
  }
}
