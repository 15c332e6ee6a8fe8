package io.herald.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.herald.core.Transport;
import io.herald.server.auth.NamespacePolicy;
import io.herald.server.auth.NamespacePolicy.PublishAccess;
import io.herald.server.auth.NamespacePolicy.SubscribeAccess;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import picocli.CommandLine;

/**
 * The settings model ({@link Settings}): every setting reachable by its option, its variable and
 * its file key, the precedence between them, the namespaces, and {@code --help} and the start-up
 * line derived from the one declaration.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class SettingsTest {
  @TempDir Path dir;

  /** Text settings whose builder wants a particular shape; others get "x" + their default. */
  private static final Map<String, String> TEXT_SAMPLES =
      Map.of(
          "host", "localhost",
          "broker", "redis://127.0.0.1:6390",
          "redis-key-prefix", "herald2",
          "auth-hmac-secret", "a-secret-of-at-least-thirty-two-bytes-0123456789",
          "auth-public-key-file", "/etc/herald/key.pem",
          "auth-jwks-url", "https://keys.example/.well-known/jwks.json",
          "log-format", "json",
          "admin-password", "an-admin-password-0123");

  /** List settings whose builder wants a particular shape; others get "a,b". */
  private static final Map<String, String> LIST_SAMPLES =
      Map.of(
          "api-key", "a-backend-api-key-0123456789",
          "allowed-origins", "https://app.example");

  static Stream<Setting<?>> settings() {
    return Settings.ALL.stream();
  }

  /** A valid value other than the default, as the command line would spell it. */
  static String sample(Setting<?> s) {
    Object dflt = s.defaultValue();
    return switch (s.kind()) {
      case INT, LONG -> {
        long d = ((Number) dflt).longValue();
        yield Long.toString(d < s.max() ? d + 1 : d - 1);
      }
      case BOOLEAN -> Boolean.toString(!(Boolean) dflt);
      case LIST ->
          s.allowed().isEmpty() ? LIST_SAMPLES.getOrDefault(s.name(), "a,b") : s.allowed().get(0);
      case TEXT -> TEXT_SAMPLES.getOrDefault(s.name(), "x" + dflt);
    };
  }

  private Path file(String yaml) throws IOException {
    Path f = Files.createTempFile(dir, "herald", ".yaml");
    Files.writeString(f, yaml, StandardCharsets.UTF_8);
    return f;
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("settings")
  void everySettingIsReachableByOptionVariableAndFile(Setting<?> s) throws IOException {
    String value = sample(s);
    Object expected = s.parse(value);
    assertThat(expected).as("the sample differs from the default").isNotEqualTo(s.defaultValue());

    assertThat(s.get(ServeCommand.configFrom(Map.of(), s.option(), value))).isEqualTo(expected);
    assertThat(s.get(ServeCommand.configFrom(Map.of(s.env(), value)))).isEqualTo(expected);
    Path f = file(s.name() + ": " + value + "\n");
    assertThat(s.get(ServeCommand.configFrom(Map.of(), "--config", f.toString())))
        .isEqualTo(expected);
    assertThat(s.get(ServeCommand.configFrom(Map.of(Settings.CONFIG_ENV, f.toString()))))
        .isEqualTo(expected);
    assertThat(s.get(ServeCommand.configFrom(Map.of()))).isEqualTo(s.defaultValue());
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("settings")
  void theModelsRangeIsOneTheBuilderAccepts(Setting<?> s) {
    if (s.kind() != Setting.Kind.INT && s.kind() != Setting.Kind.LONG) {
      return;
    }
    for (long v : new long[] {s.min(), s.max()}) {
      assertThatCode(() -> s.parseAndApply(ServerConfig.builder(), Long.toString(v)))
          .as("%s %d", s.option(), v)
          .doesNotThrowAnyException();
    }
    assertThatThrownBy(() -> s.parse(Long.toString(s.min() - 1)))
        .hasMessageContaining("from " + s.min() + " to " + s.max());
    assertThatThrownBy(() -> s.parse(Long.toString(s.max() + 1)))
        .hasMessageContaining("from " + s.min() + " to " + s.max());
  }

  @Test
  void anOptionWinsOverItsVariableWhichWinsOverTheFileWhichWinsOverTheDefault() throws IOException {
    Path f = file("port: 9003\n");
    Map<String, String> env = Map.of("HERALD_PORT", "9002", Settings.CONFIG_ENV, f.toString());
    assertThat(ServeCommand.configFrom(env, "--port", "9001").port()).isEqualTo(9001);
    assertThat(ServeCommand.configFrom(env).port()).isEqualTo(9002);
    assertThat(ServeCommand.configFrom(Map.of(Settings.CONFIG_ENV, f.toString())).port())
        .isEqualTo(9003);
    assertThat(ServeCommand.configFrom(Map.of()).port()).isEqualTo(ServerConfig.DEFAULT_PORT);
  }

  @Test
  void configOptionWinsOverHeraldConfig() throws IOException {
    Path a = file("port: 9101\n");
    Path b = file("port: 9102\n");
    assertThat(
            ServeCommand.configFrom(
                    Map.of(Settings.CONFIG_ENV, b.toString()), "--config", a.toString())
                .port())
        .isEqualTo(9101);
  }

  @Test
  void anEmptyVariableCountsAsUnset() throws IOException {
    Path f = file("port: 9003\n");
    assertThat(ServeCommand.configFrom(Map.of("HERALD_PORT", ""), "--config", f.toString()).port())
        .isEqualTo(9003);
  }

  @Test
  void aListTakesARepeatedOptionCommasOrAYamlList() throws IOException {
    Set<Transport> both = Set.of(Transport.SSE, Transport.WEBSOCKET);
    assertThat(
            ServeCommand.configFrom(
                    Map.of(), "--disable-transports", "sse", "--disable-transports", "websocket")
                .disabledTransports())
        .isEqualTo(both);
    assertThat(
            ServeCommand.configFrom(Map.of(), "--disable-transports", "sse,websocket")
                .disabledTransports())
        .isEqualTo(both);
    assertThat(
            ServeCommand.configFrom(Map.of("HERALD_DISABLE_TRANSPORTS", "sse, websocket"))
                .disabledTransports())
        .isEqualTo(both);
    Path f = file("disable-transports: [sse, websocket]\n");
    assertThat(ServeCommand.configFrom(Map.of(), "--config", f.toString()).disabledTransports())
        .isEqualTo(both);
    assertThatThrownBy(
            () -> ServeCommand.configFrom(Map.of(), "--disable-transports", "short-poll"))
        .hasMessageContaining("--disable-transports")
        .hasMessageContaining("'short-poll' is not allowed")
        .hasMessageContaining("websocket, sse, long-poll");
  }

  @Test
  void aFlagAloneMeansTrue() {
    assertThat(ServeCommand.configFrom(Map.of(), "--demo-feed").demoFeed()).isTrue();
    assertThat(ServeCommand.configFrom(Map.of(), "--demo-feed=false").demoFeed()).isFalse();
    assertThat(ServeCommand.configFrom(Map.of("HERALD_DEMO_FEED", "true")).demoFeed()).isTrue();
  }

  @Test
  void namespacesAreBoundFromTheFile() throws IOException {
    Path f =
        file(
            """
            port: 9000
            namespaces:
              default: { subscribe: token, publish: token }
              news:    { subscribe: public, publish: api, history-size: 100, history-age-seconds: 600 }
              chat:    { subscribe: token, publish: token }
              quiet:
            """);
    ServerConfig config = ServeCommand.configFrom(Map.of(), "--config", f.toString());
    assertThat(config.namespaces())
        .containsExactly(
            NamespacePolicy.of("default", SubscribeAccess.TOKEN, PublishAccess.TOKEN),
            new NamespacePolicy(
                "news",
                SubscribeAccess.PUBLIC,
                PublishAccess.API,
                Optional.of(100),
                Optional.of(Duration.ofSeconds(600))),
            NamespacePolicy.of("chat", SubscribeAccess.TOKEN, PublishAccess.TOKEN),
            NamespacePolicy.of("quiet", SubscribeAccess.TOKEN, PublishAccess.TOKEN));
    assertThat(config.historyOf("news:world").maxMessages()).isEqualTo(100);
    assertThat(config.historyOf("news:world").maxAge()).isEqualTo(Duration.ofSeconds(600));
    assertThat(config.historyOf("news:world").maxBytes()).isEqualTo(config.history().maxBytes());
    assertThat(config.historyOf("chat:lobby")).isEqualTo(config.history());
    assertThat(config.historyOf("plain")).isEqualTo(config.history());
  }

  @Test
  void aNamespaceKeepsTheServersHistoryForWhatItDoesNotSet() throws IOException {
    Path f =
        file(
            """
            history-size: 50
            history-age-seconds: 70
            namespaces:
              news: { subscribe: public, publish: api, history-size: 5 }
            """);
    ServerConfig config = ServeCommand.configFrom(Map.of(), "--config", f.toString());
    assertThat(config.historyOf("news:a").maxMessages()).isEqualTo(5);
    assertThat(config.historyOf("news:a").maxAge()).isEqualTo(Duration.ofSeconds(70));
    assertThat(config.historyOf("other:a").maxMessages()).isEqualTo(50);
  }

  @Test
  void anEmptyFileSetsNothing() throws IOException {
    Path f = file("# nothing here\n");
    assertThat(ServeCommand.configFrom(Map.of(), "--config", f.toString()).toString())
        .isEqualTo(ServerConfig.defaults().toString());
  }

  @Test
  void theStartUpLineNamesEverySettingWithItsValue() {
    ServerConfig config = ServeCommand.configFrom(Map.of(), "--port", "9999");
    String line = config.toString();
    for (Setting<?> s : Settings.ALL) {
      assertThat(line).contains(s.name() + "=" + Settings.formatted(s, config));
    }
    assertThat(line).contains("port=9999").contains("namespaces=[]");
  }

  @Test
  void helpListsEveryOptionWithItsVariableAndDefault() {
    StringWriter out = new StringWriter();
    CommandLine cl = Main.commandLine();
    cl.setOut(new PrintWriter(out));
    assertThat(cl.execute("serve", "--help")).isZero();
    String help = out.toString().replaceAll("\\s+", " ");
    assertThat(help).contains("--config=FILE").contains("[HERALD_CONFIG]");
    for (Setting<?> s : Settings.ALL) {
      assertThat(help).contains(s.option()).contains("[" + s.env() + "]");
      String dflt = Settings.defaultText(s);
      if (!dflt.isEmpty()) {
        assertThat(help).contains("[" + s.env() + "] (default: " + dflt + ")");
      }
    }
  }

  @Test
  void aBadValueStopsServeWithStatus2AndSaysWhere() {
    String[] run = runCapturingStderr("serve", "--port", "70000");
    assertThat(run[0]).isEqualTo("2");
    assertThat(run[1])
        .contains("herald serve: --port: must be a whole number from 0 to 65535, got 70000");
  }

  @Test
  void everySettingHasAUniqueNameAndAnEnvironmentVariableDerivedFromIt() {
    assertThat(Settings.ALL.stream().map(Setting::name).distinct().count())
        .isEqualTo(Settings.ALL.size());
    assertThat(Settings.byName("history-size").orElseThrow().env())
        .isEqualTo("HERALD_HISTORY_SIZE");
    assertThat(Settings.ALL).allSatisfy(s -> assertThat(s.doc()).isNotBlank());
  }

  @Test
  void aSecretIsNeverShownInTheStartUpLine() {
    Setting<String> secret =
        Setting.secret("x-secret", "a secret", c -> "hunter2", (b, v) -> {}).asSecret();
    assertThat(secret.format("hunter2")).isEqualTo("***");
    assertThat(secret.format("")).isEmpty();
    Setting<List<String>> keys =
        Setting.list("x-keys", List.of(), "keys", c -> List.of(), (b, v) -> {}).asSecret();
    assertThat(keys.format(List.of("k1", "k2"))).isEqualTo("***");
    assertThat(keys.format(List.of())).isEmpty();
  }

  /** Runs {@code herald ARGS}; answers its exit status and what it wrote to System.err. */
  static String[] runCapturingStderr(String... args) {
    java.io.PrintStream saved = System.err;
    java.io.ByteArrayOutputStream captured = new java.io.ByteArrayOutputStream();
    System.setErr(new java.io.PrintStream(captured, true, StandardCharsets.UTF_8));
    int code;
    try {
      code = Main.commandLine().execute(args);
    } finally {
      System.setErr(saved);
    }
    return new String[] {Integer.toString(code), captured.toString(StandardCharsets.UTF_8)};
  }
}
