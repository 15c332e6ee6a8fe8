package io.herald.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.herald.server.auth.NamespacePolicy;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's settings table is the settings model ({@link Settings#ALL}) row for row: option,
 * variable, default and meaning. When it fails, the message holds the table as it should be. The
 * README's example configuration file is valid.
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
  void theReadmeConfigurationFileExampleIsValid(@TempDir Path dir) throws IOException {
    String readme = Files.readString(readme(), StandardCharsets.UTF_8);
    int start = readme.indexOf("```yaml\n# herald.yaml");
    assertThat(start).as("README has the example configuration file").isNotNegative();
    String yaml =
        readme.substring(readme.indexOf('\n', start) + 1, readme.indexOf("```", start + 7));
    Path f = dir.resolve("herald.yaml");
    Files.writeString(f, yaml, StandardCharsets.UTF_8);
    ServerConfig config = ServeCommand.configFrom(Map.of(), "--config", f.toString());
    assertThat(config.port()).isEqualTo(9000);
    assertThat(config.namespaces())
        .extracting(NamespacePolicy::namespace)
        .containsExactly("default", "news", "chat");
    assertThat(config.historyOf("news:x").maxMessages()).isEqualTo(100);
  }

  @Test
  void everyYamlBlockInTheReadmeIsAValidConfigurationFile(@TempDir Path dir) throws IOException {
    String readme = Files.readString(readme(), StandardCharsets.UTF_8);
    int blocks = 0;
    for (int at = readme.indexOf("```yaml\n"); at >= 0; at = readme.indexOf("```yaml\n", at + 1)) {
      String yaml = readme.substring(at + "```yaml\n".length(), readme.indexOf("```", at + 7));
      Path f = dir.resolve("block" + blocks++ + ".yaml");
      Files.writeString(f, yaml, StandardCharsets.UTF_8);
      org.assertj.core.api.Assertions.assertThatCode(
              () -> ServeCommand.configFrom(Map.of(), "--config", f.toString()))
          .as("README yaml block:%n%s", yaml)
          .doesNotThrowAnyException();
    }
    assertThat(blocks).isPositive();
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
