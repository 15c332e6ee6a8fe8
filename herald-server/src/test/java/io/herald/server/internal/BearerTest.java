package io.herald.server.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Authorization: Bearer is read in any case, trimmed; another scheme or none gives no token. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class BearerTest {
  @Test
  void theBearerSchemeGivesItsTrimmedCredentialInAnyCase() {
    assertThat(Bearer.token("Bearer abc")).isEqualTo("abc");
    assertThat(Bearer.token("bEARER  abc ")).isEqualTo("abc");
    assertThat(Bearer.token("Bearer ")).isEmpty();
  }

  @Test
  void anotherSchemeOrNoFieldGivesNone() {
    assertThat(Bearer.token(null)).isNull();
    assertThat(Bearer.token("Basic YTpi")).isNull();
    assertThat(Bearer.token("Bearer")).isNull();
    assertThat(Bearer.token("Bearerabc")).isNull();
  }
}
