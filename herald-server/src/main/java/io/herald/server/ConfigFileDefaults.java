package io.herald.server;

import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Properties;
import picocli.CommandLine.IDefaultValueProvider;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * Defaults for {@code herald serve} from a properties file named by the {@code HERALD_CONFIG}
 * environment variable: one line per option, named without its dashes ({@code port=9000}, {@code
 * broker=redis://127.0.0.1:6379}). Precedence, highest first: the command-line option, its {@code
 * HERALD_*} environment variable, the config file, the built-in default. A file that cannot be read
 * fails the start with a message naming it.
 */
final class ConfigFileDefaults implements IDefaultValueProvider {
  /** The environment variable that names the config file. */
  static final String ENV = "HERALD_CONFIG";

  private final Properties properties = new Properties();

  ConfigFileDefaults() {
    String file = System.getenv(ENV);
    if (file != null && !file.isBlank()) {
      try (Reader r = Files.newBufferedReader(Path.of(file), StandardCharsets.UTF_8)) {
        properties.load(r);
      } catch (IOException e) {
        throw new UncheckedIOException(
            "cannot read the config file " + file + " named by " + ENV + ": " + e.getMessage(), e);
      }
    }
  }

  @Override
  public String defaultValue(ArgSpec argSpec) {
    if (!(argSpec instanceof OptionSpec option)) {
      return null;
    }
    String name = option.longestName().replaceFirst("^-+", "");
    String env = "HERALD_" + name.toUpperCase(Locale.ROOT).replace('-', '_');
    if (System.getenv(env) != null) {
      return null; // the environment variable, read by the option's own default, wins over the file
    }
    return properties.getProperty(name);
  }
}
