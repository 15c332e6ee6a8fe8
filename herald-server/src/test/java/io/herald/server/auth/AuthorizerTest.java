package io.herald.server.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.herald.core.ErrorCode;
import io.herald.server.ServerConfig;
import io.herald.server.auth.NamespacePolicy.PublishAccess;
import io.herald.server.auth.NamespacePolicy.SubscribeAccess;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The authorizer's decisions: namespace defaults, grants, API keys, expiry. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class AuthorizerTest {
  static final String SECRET = "a-secret-of-at-least-thirty-two-bytes";
  static final String KEY = "backend-key-0123456789";

  static Authorizer with(List<NamespacePolicy> namespaces) {
    return new Authorizer(
        ServerConfig.builder()
            .authHmacSecret(SECRET)
            .apiKeys(List.of(KEY))
            .namespaces(namespaces)
            .build());
  }

  static Principal user(String... grants) {
    return new Principal("42", List.of(grants), List.of(grants), false, null, null);
  }

  static ErrorCode refusal(Runnable r) {
    try {
      r.run();
      return null;
    } catch (AuthException e) {
      return e.code();
    }
  }

  @Test
  void withNoCredentialConfiguredEverythingIsPublicEvenListedNamespaces() {
    Authorizer a =
        new Authorizer(
            ServerConfig.builder()
                .namespaces(
                    List.of(NamespacePolicy.of("chat", SubscribeAccess.TOKEN, PublishAccess.API)))
                .build());
    assertThat(a.enabled()).isFalse();
    assertThatCode(() -> a.checkSubscribe(Principal.ANONYMOUS, List.of("chat:a", "plain")))
        .doesNotThrowAnyException();
    assertThatCode(() -> a.checkPublish(Principal.ANONYMOUS, "chat:a")).doesNotThrowAnyException();
    assertThat(a.authenticate("garbage", null)).isEqualTo(Principal.ANONYMOUS);
  }

  @Test
  void unlistedNamespacesAndTheDefaultOneNeedATokenOnceACredentialIsConfigured() {
    Authorizer a =
        with(List.of(NamespacePolicy.of("news", SubscribeAccess.PUBLIC, PublishAccess.API)));
    for (String ch : List.of("plain", "chat:a", "other:b")) {
      assertThat(refusal(() -> a.checkSubscribe(Principal.ANONYMOUS, List.of(ch))))
          .as(ch)
          .isEqualTo(ErrorCode.UNAUTHORIZED);
      assertThat(refusal(() -> a.checkPublish(Principal.ANONYMOUS, ch)))
          .isEqualTo(ErrorCode.UNAUTHORIZED);
    }
    assertThat(refusal(() -> a.checkSubscribe(Principal.ANONYMOUS, List.of("news:x")))).isNull();
  }

  @Test
  void theDefaultNamespaceFollowsItsPolicyWhenListed() {
    Authorizer a =
        with(
            List.of(
                NamespacePolicy.of(
                    NamespacePolicy.DEFAULT_NAMESPACE,
                    SubscribeAccess.PUBLIC,
                    PublishAccess.PUBLIC)));
    assertThat(refusal(() -> a.checkSubscribe(Principal.ANONYMOUS, List.of("plain")))).isNull();
    assertThat(refusal(() -> a.checkPublish(Principal.ANONYMOUS, "plain"))).isNull();
    assertThat(refusal(() -> a.checkPublish(Principal.ANONYMOUS, "chat:a")))
        .isEqualTo(ErrorCode.UNAUTHORIZED);
  }

  @Test
  void patternsGrantAChannelOrEveryChannelWithAPrefix() {
    assertThat(Principal.grants(List.of("chat:*"), "chat:lobby")).isTrue();
    assertThat(Principal.grants(List.of("chat:*"), "chatter")).isFalse();
    assertThat(Principal.grants(List.of("chat:lobby"), "chat:lobby")).isTrue();
    assertThat(Principal.grants(List.of("chat:lobby"), "chat:lobby2")).isFalse();
    assertThat(Principal.grants(List.of("*"), "anything")).isTrue();
    assertThat(Principal.grants(List.of(), "anything")).isFalse();
  }

  @Test
  void aListNamingOneForbiddenChannelIsRefusedWhole() {
    Authorizer a = with(List.of());
    assertThatThrownBy(() -> a.checkSubscribe(user("chat:*"), List.of("chat:a", "dm:b", "chat:c")))
        .isInstanceOf(AuthException.class)
        .hasMessageContaining("'dm:b'")
        .extracting(e -> ((AuthException) e).code())
        .isEqualTo(ErrorCode.FORBIDDEN);
  }

  @Test
  void anApiOnlyNamespaceRefusesTokensAndTakesApiKeys() {
    Authorizer a =
        with(List.of(NamespacePolicy.of("news", SubscribeAccess.PUBLIC, PublishAccess.API)));
    assertThat(refusal(() -> a.checkPublish(user("news:*"), "news:a")))
        .isEqualTo(ErrorCode.FORBIDDEN);
    assertThat(refusal(() -> a.checkPublish(a.authenticate(null, KEY), "news:a"))).isNull();
  }

  @Test
  void apiKeysAreComparedExactly() {
    Authorizer a = with(List.of());
    assertThat(a.authenticate(null, KEY).apiKey()).isTrue();
    for (String wrong : List.of(KEY + "x", KEY.substring(1), "", KEY.toUpperCase())) {
      assertThat(refusal(() -> a.authenticate(null, wrong))).isEqualTo(ErrorCode.UNAUTHORIZED);
    }
  }

  @Test
  void aPrincipalWhoseTokenExpiredIsRefusedWithTokenExpired() {
    Instant now = Instant.parse("2026-01-01T00:00:00Z");
    Authorizer a =
        new Authorizer(
            ServerConfig.builder().authHmacSecret(SECRET).build(),
            Clock.fixed(now, ZoneOffset.UTC));
    Principal expired =
        new Principal("42", List.of("chat:*"), List.of(), false, now.minusSeconds(1), null);
    assertThat(refusal(() -> a.checkSubscribe(expired, List.of("chat:a"))))
        .isEqualTo(ErrorCode.TOKEN_EXPIRED);
    String token =
        new TokenMinter(SECRET, null, null, Clock.fixed(now.minusSeconds(100), ZoneOffset.UTC))
            .mint("42", List.of("chat:*"), List.of(), Duration.ofSeconds(60), null);
    assertThat(refusal(() -> a.verify(token))).isEqualTo(ErrorCode.TOKEN_EXPIRED);
  }

  @Test
  void originsAllowTheirOwnHostTheListAndNoOrigin() {
    OriginPolicy p = new OriginPolicy(List.of("https://app.example"));
    assertThat(p.allowOrigin(null, "herald.example:8080")).isNull();
    assertThat(p.allowOrigin("http://herald.example:8080", "herald.example:8080"))
        .isEqualTo("http://herald.example:8080");
    assertThat(p.allowOrigin("https://herald.example", "herald.example"))
        .isEqualTo("https://herald.example");
    assertThat(p.allowOrigin("https://app.example", "herald.example"))
        .isEqualTo("https://app.example");
    assertThat(p.allowOrigin("https://APP.example:443", "herald.example"))
        .isEqualTo("https://APP.example:443");
    for (String evil :
        List.of(
            "http://evil.example",
            "http://herald.example:8081",
            "https://app.example.evil",
            "null")) {
      assertThat(p.allowOrigin(evil, "herald.example:8080"))
          .as(evil)
          .isEqualTo(OriginPolicy.REFUSED);
    }
    assertThat(new OriginPolicy(List.of("*")).allowOrigin("http://evil.example", "h"))
        .isEqualTo("*");
  }

  @Test
  void secretsTooShortAndBadOriginsAreRefusedWithTheRule() {
    assertThatThrownBy(() -> ServerConfig.builder().authHmacSecret("short"))
        .hasMessageContaining("at least 32 bytes");
    assertThatThrownBy(() -> ServerConfig.builder().allowedOrigins(List.of("app.example")))
        .hasMessageContaining("scheme://host");
    assertThatThrownBy(() -> ServerConfig.builder().apiKeys(List.of("short")))
        .hasMessageContaining("16 to 512");
    assertThat(ServerConfig.builder().authHmacSecret(SECRET).build().toString())
        .doesNotContain(SECRET);
    assertThat(ServerConfig.builder().apiKeys(List.of(KEY)).build().toString())
        .doesNotContain(KEY)
        .contains("api-key=***");
  }
}
