package io.herald.server.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** If-None-Match uses the weak comparison over a list (RFC 9110 section 13.1.2). */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class EntityTagsTest {
  @Test
  void anAbsentFieldNeverMatches() {
    assertThat(EntityTags.noneMatchHits(null, "\"a\"")).isFalse();
  }

  @Test
  void aListedTagMatchesWithOrWithoutTheWeakPrefixAndSpaces() {
    assertThat(EntityTags.noneMatchHits("\"x\", W/\"a\"", "\"a\"")).isTrue();
    assertThat(EntityTags.noneMatchHits(" \"a\" ", "\"a\"")).isTrue();
    assertThat(EntityTags.noneMatchHits("\"b\"", "\"a\"", "\"b\"")).isTrue();
  }

  @Test
  void starMatchesAnythingAndOtherTagsDoNot() {
    assertThat(EntityTags.noneMatchHits("*", "\"a\"")).isTrue();
    assertThat(EntityTags.noneMatchHits("\"ab\", a, \"\"", "\"a\"")).isFalse();
    assertThat(EntityTags.noneMatchHits("", "\"a\"")).isFalse();
  }
}
