package io.herald.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The README's settings table is the settings model ({@link Settings#ALL}) row for row: option,
 * variable, default and meaning. When it fails, the message holds the table as it should be.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class SettingsReadmeTest {
  private static final String HEADER = "| option | environment | default | meaning |";

  /** The row of the README table that {@code s} should have. */
  static String row(Setting<?> s) {
    String dflt = Settings.defaultText(s);
    return "| `"
        + s.option()
        + "` | `"
        + s.env()
        + "` | "
        + (dflt.isEmpty() ? "none" : "`" + dflt + "`")
        + " | "
        + s.doc()
        + " |";
  }

  private static Path readme() {
    Path here = Path.of("").toAbsolutePath();
    for (Path p = here; p != null; p = p.getParent()) {
      if (Files.exists(p.resolve("README.md")) && Files.exists(p.resolve("herald-server"))) {
        return p.resolve("README.md");
      }
    }
    throw new IllegalStateException("no README.md above " + here);
  }

  @Test
  void theReadmeSettingsTableIsTheModelRowForRow() throws IOException {
    List<String> lines = Files.readAllLines(readme(), StandardCharsets.UTF_8);
    int start = lines.indexOf(HEADER);
    assertThat(start).as("README has the settings table header " + HEADER).isNotNegative();
    List<String> actual = new ArrayList<>();
    for (int i = start + 2; i < lines.size() && lines.get(i).startsWith("|"); i++) {
      actual.add(lines.get(i));
    }
    List<String> expected = Settings.ALL.stream().map(SettingsReadmeTest::row).toList();
    assertThat(actual)
        .as(
            "the README settings table should read:%n%s%n|---|---|---|---|%n%s%n",
            HEADER, String.join(System.lineSeparator(), expected))
        .containsExactlyElementsOf(expected);
  }
}
