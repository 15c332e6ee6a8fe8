package io.herald.server.demo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jose.crypto.MACVerifier;
import com.nimbusds.jwt.SignedJWT;
import io.herald.core.ProtocolException;
import io.herald.server.ServerConfig;
import io.herald.server.auth.NamespacePolicy;
import io.herald.server.auth.NamespacePolicy.PublishAccess;
import io.herald.server.auth.NamespacePolicy.SubscribeAccess;
import io.herald.server.auth.TokenMinter;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The demos' sign-in and their development credentials. */
@Timeout(30)
class DemoSignInTest {
  private static final String SECRET = "demo-sign-in-test-secret-0123456789abcdef";

  private static byte[] body(String json) {
    return json.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void mintsAShortTokenForTheUsersOwnChannelAndTheDemos() throws Exception {
    Map<String, Object> answer =
        new DemoSignIn(new TokenMinter(SECRET)).signIn(body("{\"name\":\"Ada Lovelace\"}"));
    assertThat(answer)
        .containsEntry("user", "ada-lovelace")
        .containsEntry("channel", "user:ada-lovelace");
    assertThat(answer.get("ttlSeconds")).isEqualTo(DemoSignIn.DEFAULT_TTL_SECONDS);
    SignedJWT jwt = SignedJWT.parse((String) answer.get("token"));
    assertThat(jwt.verify(new MACVerifier(SECRET.getBytes(StandardCharsets.UTF_8)))).isTrue();
    var claims = jwt.getJWTClaimsSet();
    assertThat(claims.getSubject()).isEqualTo("ada-lovelace");
    long lifetime = claims.getExpirationTime().getTime() - claims.getIssueTime().getTime();
    assertThat(lifetime).isEqualTo(DemoSignIn.DEFAULT_TTL_SECONDS * 1000L);
    @SuppressWarnings("unchecked")
    Map<String, Object> herald = (Map<String, Object>) claims.getClaim("herald");
    assertThat(herald.get("subscribe")).isEqualTo(List.of("demo:*", "user:ada-lovelace"));
    assertThat(herald.get("publish")).isEqualTo(List.of("demo:*", "user:*"));
  }

  @Test
  void takesALifetimeWithinItsBoundsAndRefusesBadRequestsSayingWhatIsAllowed() {
    DemoSignIn signIn = new DemoSignIn(new TokenMinter(SECRET));
    assertThat(signIn.signIn(body("{\"name\":\"bo\",\"ttlSeconds\":5}")).get("ttlSeconds"))
        .isEqualTo(5);
    assertThatThrownBy(() -> signIn.signIn(body("{\"name\":\"bo\",\"ttlSeconds\":1}")))
        .isInstanceOf(ProtocolException.class)
        .hasMessageContaining("ttlSeconds is a whole number from 3 to 3600");
    assertThatThrownBy(() -> signIn.signIn(body("not json")))
        .hasMessageContaining("{\"name\":\"Ada\"}");
    assertThatThrownBy(() -> signIn.signIn(body("{\"name\":\"!!!\"}")))
        .hasMessageContaining("at least one letter or digit");
    assertThatThrownBy(() -> signIn.signIn(body("{\"name\":\"" + "a".repeat(41) + "\"}")))
        .hasMessageContaining("1 to 40 characters");
    assertThatThrownBy(() -> new DemoSignIn(null).signIn(body("{\"name\":\"bo\"}")))
        .hasMessageContaining("needs an HMAC secret");
  }

  @Test
  void developmentCredentialsOnlyForDemosOnLoopbackWithoutACredential() {
    ServerConfig dev =
        DemoSignIn.developmentDefaults(ServerConfig.builder().host("127.0.0.1").demoFeed(true));
    assertThat(dev.authHmacSecret()).isNotNull();
    assertThat(dev.namespaces())
        .extracting(n -> n.namespace() + " " + n.subscribe() + " " + n.publish())
        .containsExactly("default PUBLIC PUBLIC", "demo PUBLIC PUBLIC", "user TOKEN TOKEN");
    // namespaces the settings list are kept
    ServerConfig kept =
        DemoSignIn.developmentDefaults(
            ServerConfig.builder()
                .host("127.0.0.1")
                .demoFeed(true)
                .namespaces(
                    List.of(NamespacePolicy.of("demo", SubscribeAccess.TOKEN, PublishAccess.API))));
    assertThat(kept.namespaces())
        .extracting(n -> n.namespace() + " " + n.subscribe() + " " + n.publish())
        .containsExactly("demo TOKEN API", "default PUBLIC PUBLIC", "user TOKEN TOKEN");
    // no demos, a credential, or a public address: as configured
    assertThat(
            DemoSignIn.developmentDefaults(ServerConfig.builder().host("127.0.0.1"))
                .authHmacSecret())
        .isNull();
    assertThat(
            DemoSignIn.developmentDefaults(
                    ServerConfig.builder().host("127.0.0.1").demoFeed(true).authHmacSecret(SECRET))
                .authHmacSecret())
        .isEqualTo(SECRET);
    ServerConfig exposed =
        DemoSignIn.developmentDefaults(ServerConfig.builder().host("0.0.0.0").demoFeed(true));
    assertThat(exposed.credentialsConfigured()).isFalse();
    assertThat(exposed.namespaces()).isEmpty();
  }
}
