package io.herald.client.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The commands' options and usage, without a server. */
class CommandsTest {
  @Test
  void publishUsageListsItsOptions() {
    String usage = new CommandLine(new PublishCommand()).getUsageMessage();
    assertThat(usage).contains("publish", "CHANNEL", "--server", "--event", "--json", "--quiet");
  }

  @Test
  void subscribeUsageListsItsOptionsAndTransports() {
    String usage = new CommandLine(new SubscribeCommand()).getUsageMessage();
    assertThat(usage)
        .contains(
            "subscribe",
            "--server",
            "--transport",
            "websocket|sse|long-poll|short-poll",
            "--since",
            "--count");
  }

  @Test
  void serverDefaultsToHeraldServerVariableOrLoopback8080() {
    CommandLine cli = new CommandLine(new SubscribeCommand());
    cli.parseArgs("a");
    String expected =
        System.getenv("HERALD_SERVER") != null
            ? System.getenv("HERALD_SERVER")
            : "http://127.0.0.1:8080";
    assertThat((String) cli.getCommandSpec().findOption("--server").getValue()).isEqualTo(expected);
  }

  @Test
  void badServerUrlIsAUsageError() {
    StringWriter err = new StringWriter();
    CommandLine cli =
        new CommandLine(new PublishCommand().input(new java.io.ByteArrayInputStream(new byte[0])));
    cli.setErr(new PrintWriter(err, true));
    assertThat(cli.execute("a", "--server", "ftp://x")).isEqualTo(2);
    assertThat(err.toString()).contains("http://");
  }

  @Test
  void emptyInputPublishesNothingAndSucceeds() {
    StringWriter err = new StringWriter();
    CommandLine cli =
        new CommandLine(new PublishCommand().input(new java.io.ByteArrayInputStream(new byte[0])));
    cli.setErr(new PrintWriter(err, true));
    assertThat(cli.execute("a", "--server", "http://127.0.0.1:1")).isZero();
    assertThat(err.toString()).isEmpty();
  }
}
