package io.herald.server.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The static files are read once at start; a miss is empty and keeps nothing. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class StaticFilesTest {
  private final StaticFiles files = new StaticFiles("static/");

  @Test
  void everyFileIsLoadedAtStart() {
    int loaded = files.size();
    assertThat(loaded).isGreaterThanOrEqualTo(3);
    assertThat(files.find("/herald.js")).isPresent();
    assertThat(files.find("/").orElseThrow().contentType()).startsWith("text/html");
    assertThat(files.find("/demos/").orElseThrow().bytes()).isNotEmpty();
    assertThat(files.find("/demos/chat.html")).isPresent();
    assertThat(files.size()).isEqualTo(loaded);
  }

  @Test
  void missesAreEmptyAndCostNoMemory() {
    int loaded = files.size();
    for (int i = 0; i < 100_000; i++) {
      assertThat(files.find("/missing-" + i + ".js")).isEmpty();
    }
    assertThat(files.size()).isEqualTo(loaded);
  }

  @Test
  void pathsOutsideTheFolderAreNeverServed() {
    assertThat(files.find("/../logback.xml")).isEmpty();
    assertThat(files.find("/demos/../herald.js")).isEmpty();
    assertThat(files.find("/.hidden.js")).isEmpty();
    assertThat(files.find("\\herald.js")).isEmpty();
  }
}
