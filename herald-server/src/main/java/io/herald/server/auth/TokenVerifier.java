package io.herald.server.auth;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSVerifier;
import com.nimbusds.jose.KeySourceException;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.crypto.MACVerifier;
import com.nimbusds.jose.crypto.RSASSAVerifier;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKMatcher;
import com.nimbusds.jose.jwk.JWKSelector;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.source.JWKSource;
import com.nimbusds.jose.jwk.source.JWKSourceBuilder;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jwt.EncryptedJWT;
import com.nimbusds.jwt.JWT;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.JWTParser;
import com.nimbusds.jwt.PlainJWT;
import com.nimbusds.jwt.SignedJWT;
import io.herald.core.ErrorCode;
import io.herald.core.Json;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.MalformedURLException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.X509EncodedKeySpec;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Verifies JWTs (RFC 7519) with nimbus-jose-jwt against the configured keys: an HMAC secret
 * (HS256/384/512), a PEM public key (RS256/384/512 for RSA, the ES algorithm of the key's curve for
 * EC), and a JWKS URL (RS and ES; keys cached, and fetched again when a token names an unknown
 * {@code kid}, at most once per {@value #JWKS_MIN_REFRESH_MILLIS} ms, so keys rotate without a
 * restart). Checks {@code exp} and {@code nbf} with a clock skew, {@code iss} and {@code aud} when
 * configured. Every refusal is an {@link AuthException} whose message says which check failed.
 *
 * <p>Thread-safe. The constructor fetches the JWKS once (a warning when it cannot); the cache is
 * refreshed ahead of its expiry in the background. {@link #verify} does not block, except when a
 * token names an unknown {@code kid}: the fetch that follows blocks the caller (an event loop) up
 * to {@value #JWKS_TIMEOUT_MILLIS} ms, at most once per {@value #JWKS_MIN_REFRESH_MILLIS} ms.
 */
public final class TokenVerifier {
  /** Longest a JWKS fetch may take (connect and read each). */
  public static final int JWKS_TIMEOUT_MILLIS = 2000;

  /** Shortest time between two JWKS fetches caused by unknown key ids. */
  public static final long JWKS_MIN_REFRESH_MILLIS = 1000;

  /** How long fetched JWKS keys are used before they are fetched again. */
  public static final long JWKS_CACHE_MILLIS = 5 * 60_000;

  private static final Set<JWSAlgorithm> RS =
      Set.of(JWSAlgorithm.RS256, JWSAlgorithm.RS384, JWSAlgorithm.RS512);
  private static final Set<JWSAlgorithm> ES =
      Set.of(JWSAlgorithm.ES256, JWSAlgorithm.ES384, JWSAlgorithm.ES512);

  private static final org.slf4j.Logger LOG =
      org.slf4j.LoggerFactory.getLogger(TokenVerifier.class);

  private final List<KeyOption> keys = new ArrayList<>();
  private final Set<JWSAlgorithm> accepted = new LinkedHashSet<>();
  private final String issuer;
  private final String audience;
  private final Duration skew;
  private final Clock clock;

  /** One kind of key and the algorithms that fit it. */
  private interface KeyOption {
    Set<JWSAlgorithm> algorithms();

    List<JWSVerifier> verifiers(JWSHeader header) throws AuthException;
  }

  /**
   * A verifier for the given keys; at least one of {@code hmacSecret}, {@code publicKeyFile} and
   * {@code jwksUrl} is set.
   *
   * @throws IllegalArgumentException when a key cannot be used (a file that does not hold a PEM
   *     public key, a secret too short), naming what was wrong
   */
  public TokenVerifier(
      String hmacSecret,
      Path publicKeyFile,
      URI jwksUrl,
      String issuer,
      String audience,
      Duration skew,
      Clock clock) {
    this.issuer = issuer;
    this.audience = audience;
    this.skew = skew;
    this.clock = clock;
    if (hmacSecret != null) {
      byte[] secret = hmacSecret.getBytes(StandardCharsets.UTF_8);
      Set<JWSAlgorithm> algs = new LinkedHashSet<>();
      algs.add(JWSAlgorithm.HS256);
      if (secret.length >= 48) {
        algs.add(JWSAlgorithm.HS384);
      }
      if (secret.length >= 64) {
        algs.add(JWSAlgorithm.HS512);
      }
      MACVerifier mac;
      try {
        mac = new MACVerifier(secret);
      } catch (JOSEException e) {
        throw new IllegalArgumentException("the HMAC secret cannot verify: " + e.getMessage(), e);
      }
      add(algs, header -> List.of(mac));
    }
    if (publicKeyFile != null) {
      PublicKey key = readPem(publicKeyFile);
      if (key instanceof RSAPublicKey rsa) {
        RSASSAVerifier v = new RSASSAVerifier(rsa);
        add(RS, header -> List.of(v));
      } else if (key instanceof ECPublicKey ec) {
        Curve curve = Curve.forECParameterSpec(ec.getParams());
        JWSAlgorithm alg =
            Curve.P_256.equals(curve)
                ? JWSAlgorithm.ES256
                : Curve.P_384.equals(curve)
                    ? JWSAlgorithm.ES384
                    : Curve.P_521.equals(curve) ? JWSAlgorithm.ES512 : null;
        if (alg == null) {
          throw new IllegalArgumentException(
              "the EC key in "
                  + publicKeyFile
                  + " is on curve "
                  + curve
                  + "; use P-256, P-384 or P-521");
        }
        try {
          ECDSAVerifier v = new ECDSAVerifier(ec);
          add(Set.of(alg), header -> List.of(v));
        } catch (JOSEException e) {
          throw new IllegalArgumentException(
              "the EC key in " + publicKeyFile + " cannot verify: " + e.getMessage(), e);
        }
      } else {
        throw new IllegalArgumentException(
            "the key in " + publicKeyFile + " is " + key.getAlgorithm() + "; use an RSA or EC key");
      }
    }
    if (jwksUrl != null) {
      JWKSource<SecurityContext> source;
      try {
        source =
            JWKSourceBuilder.create(
                    jwksUrl.toURL(),
                    new com.nimbusds.jose.util.DefaultResourceRetriever(
                        JWKS_TIMEOUT_MILLIS, JWKS_TIMEOUT_MILLIS, 1 << 20))
                .cache(JWKS_CACHE_MILLIS, JWKS_TIMEOUT_MILLIS)
                .rateLimited(JWKS_MIN_REFRESH_MILLIS)
                .retrying(false)
                .refreshAheadCache(true)
                .build();
      } catch (MalformedURLException e) {
        throw new IllegalArgumentException("the JWKS URL " + jwksUrl + " is not a URL", e);
      }
      try {
        // fetch the keys now, so that no request waits for the first fetch; refreshed ahead of
        // the cache's expiry in the background, so only a token with an unknown kid waits
        source.get(new JWKSelector(new JWKMatcher.Builder().build()), null);
      } catch (KeySourceException e) {
        // the issuer may be down now: start anyway, tokens are refused until the keys come
        LOG.warn(
            "cannot fetch the signing keys at {} now ({}); fetching again when a token comes",
            jwksUrl,
            e.getMessage());
      }
      Set<JWSAlgorithm> algs = new LinkedHashSet<>(RS);
      algs.addAll(ES);
      add(algs, header -> jwksVerifiers(source, jwksUrl, header));
    }
    if (keys.isEmpty()) {
      throw new IllegalArgumentException(
          "no token key configured: set an HMAC secret, a public key file or a JWKS URL");
    }
  }

  private void add(Set<JWSAlgorithm> algorithms, KeyOptionFn fn) {
    accepted.addAll(algorithms);
    keys.add(
        new KeyOption() {
          @Override
          public Set<JWSAlgorithm> algorithms() {
            return algorithms;
          }

          @Override
          public List<JWSVerifier> verifiers(JWSHeader header) throws AuthException {
            return fn.verifiers(header);
          }
        });
  }

  @FunctionalInterface
  private interface KeyOptionFn {
    List<JWSVerifier> verifiers(JWSHeader header) throws AuthException;
  }

  private static List<JWSVerifier> jwksVerifiers(
      JWKSource<SecurityContext> source, URI url, JWSHeader header) throws AuthException {
    List<JWK> found;
    try {
      found = source.get(new JWKSelector(JWKMatcher.forJWSHeader(header)), null);
    } catch (KeySourceException e) {
      throw refused(
          "the signing keys at " + url + " cannot be fetched now (" + e.getMessage() + ")");
    }
    List<JWSVerifier> out = new ArrayList<>();
    for (JWK k : found) {
      try {
        if (k instanceof RSAKey rsa) {
          out.add(new RSASSAVerifier(rsa));
        } else if (k instanceof ECKey ec) {
          out.add(new ECDSAVerifier(ec));
        }
      } catch (JOSEException e) {
        // a key of the set that cannot verify: try the others
      }
    }
    if (out.isEmpty()) {
      throw refused(
          "no key at the JWKS URL matches the token (kid "
              + (header.getKeyID() == null ? "none" : "'" + header.getKeyID() + "'")
              + ", alg "
              + header.getAlgorithm()
              + ")");
    }
    return out;
  }

  /**
   * Verifies {@code token} (a compact JWS) and returns its principal.
   *
   * @throws AuthException {@code 401 token_expired} when its {@code exp} has passed; {@code 401
   *     unauthorized} for every other refusal: not a JWT, {@code alg: none}, an algorithm that does
   *     not fit the keys, a bad signature, not yet valid, a wrong issuer or audience, malformed
   *     {@code herald} claims
   */
  public Principal verify(String token) {
    JWT jwt;
    try {
      jwt = JWTParser.parse(token.trim());
    } catch (ParseException e) {
      throw refused("the token is not a JWT (three base64url parts separated by dots)");
    }
    if (jwt instanceof PlainJWT) {
      throw refused("unsigned tokens (alg: none) are refused; sign it with " + names(accepted));
    }
    if (jwt instanceof EncryptedJWT || !(jwt instanceof SignedJWT signed)) {
      throw refused("encrypted tokens (JWE) are not accepted; send a signed JWT (JWS)");
    }
    JWSAlgorithm alg = signed.getHeader().getAlgorithm();
    if (!accepted.contains(alg)) {
      throw refused(
          "the token's algorithm "
              + alg
              + " does not fit the configured key; this server accepts "
              + names(accepted));
    }
    boolean verified = false;
    for (KeyOption k : keys) {
      if (!k.algorithms().contains(alg)) {
        continue;
      }
      for (JWSVerifier v : k.verifiers(signed.getHeader())) {
        try {
          if (v.supportedJWSAlgorithms().contains(alg) && signed.verify(v)) {
            verified = true;
            break;
          }
        } catch (JOSEException e) {
          // this verifier cannot check this token: try the next
        }
      }
      if (verified) {
        break;
      }
    }
    if (!verified) {
      throw refused("bad signature: the token was not signed by a key this server trusts");
    }
    JWTClaimsSet claims;
    try {
      claims = signed.getJWTClaimsSet();
    } catch (ParseException e) {
      throw refused("the token's claims are not a JSON object");
    }
    Instant now = clock.instant();
    Date exp = claims.getExpirationTime();
    if (exp != null && now.isAfter(exp.toInstant().plus(skew))) {
      throw new AuthException(
          ErrorCode.TOKEN_EXPIRED,
          "the token expired at " + exp.toInstant() + "; get a new token",
          true);
    }
    Date nbf = claims.getNotBeforeTime();
    if (nbf != null && now.plus(skew).isBefore(nbf.toInstant())) {
      throw refused("the token is not valid before " + nbf.toInstant() + " (nbf)");
    }
    if (issuer != null && !issuer.equals(claims.getIssuer())) {
      throw refused(
          "the token's issuer (iss) is "
              + (claims.getIssuer() == null ? "missing" : "'" + claims.getIssuer() + "'")
              + "; this server accepts '"
              + issuer
              + "'");
    }
    if (audience != null
        && (claims.getAudience() == null || !claims.getAudience().contains(audience))) {
      throw refused(
          "the token's audience (aud) "
              + (claims.getAudience() == null || claims.getAudience().isEmpty()
                  ? "is missing"
                  : claims.getAudience() + " does not include")
              + " '"
              + audience
              + "'");
    }
    Object herald = claims.getClaim(Principal.HERALD_CLAIM);
    List<String> subscribe = List.of();
    List<String> publish = List.of();
    String info = null;
    if (herald != null) {
      if (!(herald instanceof Map<?, ?> map)) {
        throw refused("the token's 'herald' claim must be an object");
      }
      subscribe = patterns(map.get("subscribe"), "subscribe");
      publish = patterns(map.get("publish"), "publish");
      if (map.get("info") != null) {
        try {
          info = Json.MAPPER.writeValueAsString(map.get("info"));
        } catch (IOException e) {
          throw refused("the token's herald.info cannot be read");
        }
      }
    }
    return new Principal(
        claims.getSubject() == null ? "" : claims.getSubject(),
        subscribe,
        publish,
        false,
        exp == null ? null : exp.toInstant(),
        info);
  }

  private static List<String> patterns(Object value, String name) {
    if (value == null) {
      return List.of();
    }
    if (value instanceof String s) {
      return List.of(s);
    }
    if (!(value instanceof List<?> list)) {
      throw refused("the token's herald." + name + " must be a list of channel patterns");
    }
    List<String> out = new ArrayList<>(list.size());
    for (Object o : list) {
      if (!(o instanceof String s) || s.isEmpty()) {
        throw refused("the token's herald." + name + " must hold non-empty strings");
      }
      out.add(s);
    }
    return out;
  }

  private static AuthException refused(String message) {
    return new AuthException(ErrorCode.UNAUTHORIZED, message, true);
  }

  private static String names(Set<JWSAlgorithm> algs) {
    List<String> out = new ArrayList<>();
    for (JWSAlgorithm a : algs) {
      out.add(a.getName());
    }
    return String.join(", ", out);
  }

  /** Reads a PEM public key ({@code PUBLIC KEY}) or certificate ({@code CERTIFICATE}). */
  static PublicKey readPem(Path file) {
    String pem;
    try {
      pem = Files.readString(file, StandardCharsets.US_ASCII);
    } catch (IOException e) {
      throw new IllegalArgumentException(
          "cannot read the public key file " + file + ": " + e.getMessage(), e);
    }
    try {
      if (pem.contains("-----BEGIN CERTIFICATE-----")) {
        return CertificateFactory.getInstance("X.509")
            .generateCertificate(new ByteArrayInputStream(pem.getBytes(StandardCharsets.US_ASCII)))
            .getPublicKey();
      }
      int begin = pem.indexOf("-----BEGIN PUBLIC KEY-----");
      int end = pem.indexOf("-----END PUBLIC KEY-----");
      if (begin < 0 || end < begin) {
        throw new IllegalArgumentException(
            "the file "
                + file
                + " holds no PEM public key; expected -----BEGIN PUBLIC KEY----- (openssl pkey"
                + " -pubout) or -----BEGIN CERTIFICATE-----");
      }
      byte[] der =
          Base64.getMimeDecoder()
              .decode(pem.substring(begin + "-----BEGIN PUBLIC KEY-----".length(), end));
      X509EncodedKeySpec spec = new X509EncodedKeySpec(der);
      for (String type : List.of("RSA", "EC")) {
        try {
          return KeyFactory.getInstance(type).generatePublic(spec);
        } catch (java.security.spec.InvalidKeySpecException e) {
          // try the next type
        }
      }
      throw new IllegalArgumentException(
          "the public key in " + file + " is neither RSA nor EC; use one of those");
    } catch (CertificateException | java.security.NoSuchAlgorithmException e) {
      throw new IllegalArgumentException(
          "cannot read the public key in " + file + ": " + e.getMessage(), e);
    }
  }
}
