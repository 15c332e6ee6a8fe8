package io.herald.server;

import io.herald.client.cli.PublishCommand;
import io.herald.client.cli.SubscribeCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code herald} command: {@code serve} runs the server; {@code publish} and {@code subscribe}
 * are the command-line client; {@code token} mints a development token. {@code herald --help} lists
 * them; each has its own {@code --help}.
 */
@Command(
    name = "herald",
    mixinStandardHelpOptions = true,
    version = "herald 0.1.0",
    description =
        "Real-time delivery over WebSocket, Server-Sent Events, long polling and short polling.",
    subcommands = {
      ServeCommand.class,
      PublishCommand.class,
      SubscribeCommand.class,
      TokenCommand.class,
      CommandLine.HelpCommand.class
    })
public final class Main implements Runnable {
  /** Runs the command line and exits with its status; {@code serve} returns only at shutdown. */
  public static void main(String[] args) {
    int code = commandLine().execute(args);
    if (code != 0 || args.length == 0 || !args[0].equals("serve")) {
      System.exit(code);
    }
  }

  /** The command line with every subcommand, for tests and embedding. */
  public static CommandLine commandLine() {
    return new CommandLine(new Main());
  }

  @Override
  public void run() {
    new CommandLine(this).usage(System.out);
  }
}
