package io.herald.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A bad configuration file stops {@code herald serve} before it binds, with a message that names
 * the file, the line and the key, says what was wrong and what is allowed.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class ConfigFileErrorsTest {
  @TempDir Path dir;

  private Path file(String yaml) throws IOException {
    Path f = dir.resolve("herald.yaml");
    Files.writeString(f, yaml, StandardCharsets.UTF_8);
    return f;
  }

  private String error(String yaml) throws IOException {
    Path f = file(yaml);
    return assertThatThrownBy(() -> ServeCommand.configFrom(Map.of(), "--config", f.toString()))
        .isInstanceOf(IllegalArgumentException.class)
        .actual()
        .getMessage();
  }

  @Test
  void anUnknownKeyIsNamedWithItsLineAndTheKeyItResembles() throws IOException {
    String message = error("port: 9000\n\nhistorySize: 5\n");
    assertThat(message)
        .isEqualTo(
            dir.resolve("herald.yaml")
                + " line 3: unknown key 'historySize' (did you mean 'history-size'? keys are"
                + " spelled like the options, in kebab-case)");
  }

  @Test
  void aKeyThatResemblesNothingIsNamedWithoutAHint() throws IOException {
    assertThat(error("colour: blue\n")).endsWith("herald.yaml line 1: unknown key 'colour'");
  }

  @Test
  void aWordWhereANumberBelongsIsAWrongType() throws IOException {
    assertThat(error("host: 0.0.0.0\nport: abc\n"))
        .endsWith("herald.yaml line 2: port: must be a whole number from 0 to 65535, got 'abc'");
  }

  @Test
  void aListOrMappingWhereOneValueBelongsIsAWrongType() throws IOException {
    assertThat(error("port: [1, 2]\n"))
        .endsWith(
            "herald.yaml line 1: port: must be one value, a whole number from 0 to 65535,"
                + " got a list");
    assertThat(error("\nport: {a: 1}\n"))
        .endsWith(
            "herald.yaml line 2: port: must be a whole number from 0 to 65535, got a mapping");
    assertThat(error("demo-feed: maybe\n"))
        .endsWith("herald.yaml line 1: demo-feed: must be true or false, got 'maybe'");
  }

  @Test
  void anOutOfRangeValueSaysTheRange() throws IOException {
    assertThat(error("# sizes\nhistory-size: 0\n"))
        .endsWith(
            "herald.yaml line 2: history-size: must be a whole number from 1 to 1000000"
                + " (messages), got 0");
  }

  @Test
  void anUnknownPolicyWordIsNamedWithItsNamespaceAndLine() throws IOException {
    String message =
        error(
            """
            namespaces:
              news: { subscribe: public, publish: api }
              chat:
                subscribe: tokn
                publish: token
            """);
    assertThat(message)
        .endsWith(
            "herald.yaml line 4: namespaces.chat.subscribe: 'tokn' is not a policy: must be one"
                + " of public, token");
  }

  @Test
  void aNamespaceKeyIsCheckedToo() throws IOException {
    String message =
        error(
            """
            namespaces:
              news:
                publish: everyone
                historySize: 3
                history-age-seconds: 0
            """);
    assertThat(message.split("\n"))
        .containsExactly(
            dir.resolve("herald.yaml")
                + " line 3: namespaces.news.publish: 'everyone' is not a policy: must be one of"
                + " public, token, api",
            dir.resolve("herald.yaml")
                + " line 4: namespaces.news.historySize: unknown key 'historySize' (did you mean"
                + " 'history-size'? keys are spelled like the options, in kebab-case); a namespace"
                + " takes subscribe, publish, history-size, history-age-seconds,"
                + " poll-cache-seconds",
            dir.resolve("herald.yaml")
                + " line 5: namespaces.news.history-age-seconds: must be a whole number from 1 to"
                + " 315360000 (seconds), got 0");
  }

  @Test
  void pollCacheSecondsIsCheckedForRangeAndForAPublicNamespace() throws IOException {
    assertThat(error("namespaces:\n  news: {subscribe: public, poll-cache-seconds: 0}\n"))
        .endsWith(
            "herald.yaml line 2: namespaces.news.poll-cache-seconds: must be a whole number from 1"
                + " to 3600 (seconds), got 0");
    assertThat(error("namespaces:\n  news: {subscribe: public, pollCacheSeconds: 5}\n"))
        .contains("unknown key 'pollCacheSeconds' (did you mean 'poll-cache-seconds'?");
    assertThat(error("namespaces:\n  news: {subscribe: token, poll-cache-seconds: 5}\n"))
        .endsWith(
            "herald.yaml line 2: namespaces.news.poll-cache-seconds: shared caches may keep only"
                + " what anyone may read; set 'subscribe: public' in this namespace, or remove"
                + " poll-cache-seconds");
  }

  @Test
  void aBadNamespaceNameOrShapeIsRefused() throws IOException {
    assertThat(error("namespaces:\n  \"a:b\": {subscribe: public}\n"))
        .contains("herald.yaml line 2: namespaces.a:b: not a namespace name");
    assertThat(error("namespaces:\n  news: public\n"))
        .endsWith(
            "herald.yaml line 2: namespaces.news: must be a mapping {subscribe, publish,"
                + " history-size, history-age-seconds}, got a plain value");
    assertThat(error("namespaces: [news]\n"))
        .contains("herald.yaml line 1: namespaces: must be a mapping");
  }

  @Test
  void everyErrorIsReportedAtOnce() throws IOException {
    String message = error("port: -1\nbogus: 1\nmax-channels: 0\n");
    assertThat(message.split("\n"))
        .containsExactlyInAnyOrder(
            dir.resolve("herald.yaml") + " line 2: unknown key 'bogus'",
            dir.resolve("herald.yaml")
                + " line 1: port: must be a whole number from 0 to 65535, got -1",
            dir.resolve("herald.yaml")
                + " line 3: max-channels: must be a whole number from 1 to 1000 (channels), got 0");
  }

  @Test
  void aKeyGivenTwiceIsRefused() throws IOException {
    assertThat(error("port: 1\nhost: a\nport: 2\n"))
        .endsWith("herald.yaml line 3: port is given twice (first on line 1)");
  }

  @Test
  void brokenYamlNamesTheFileAndLine() throws IOException {
    assertThat(error("port: 9000\nhost: [unclosed\n"))
        .startsWith(dir.resolve("herald.yaml") + " line ")
        .contains(": not valid YAML: ");
  }

  @Test
  void aFileThatIsNotAMappingIsRefused() throws IOException {
    assertThat(error("- port\n- 9000\n"))
        .endsWith(
            "herald.yaml line 1: the file must be a mapping of settings (key: value), got a"
                + " list");
  }

  @Test
  void aMissingFileIsNamed() {
    Path missing = dir.resolve("nope.yaml");
    assertThatThrownBy(
            () -> ServeCommand.configFrom(Map.of(Settings.CONFIG_ENV, missing.toString())))
        .hasMessage("cannot read the config file " + missing + ": no such file");
  }

  @Test
  void aBadFileStopsServeBeforeItBindsWithStatus2() throws IOException {
    Path f = file("namespaces:\n  chat: { subscribe: tokn }\n");
    String[] run =
        SettingsTest.runCapturingStderr("serve", "--port", "0", "--config", f.toString());
    assertThat(run[0]).isEqualTo("2");
    assertThat(run[1])
        .contains(
            "herald serve: "
                + f
                + " line 2: namespaces.chat.subscribe: 'tokn' is not a policy: must be one of"
                + " public, token");
  }

  @Test
  void aBadVariableIsNamed() {
    assertThatThrownBy(() -> ServeCommand.configFrom(Map.of("HERALD_MAX_WAIT_SECONDS", "1m")))
        .hasMessage(
            "HERALD_MAX_WAIT_SECONDS: must be a whole number from 1 to 86400 (seconds), got '1m'");
  }
}
