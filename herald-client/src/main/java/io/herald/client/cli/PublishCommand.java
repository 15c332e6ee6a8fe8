package io.herald.client.cli;

import io.herald.client.HeraldClient;
import io.herald.client.HeraldClientException;
import io.herald.client.Published;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletionException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code herald publish CHANNEL}: publishes each line of standard input as one message, in order,
 * one at a time (each waits for the server's answer, so offsets follow line order), and prints each
 * message's position {@code epoch:offset} to standard error unless {@code --quiet}. A line the
 * server refuses (for example broken JSON with {@code --json}) is reported and skipped. Reads until
 * end of input, so {@code tail -f build.log | herald publish builds} streams a log.
 *
 * <p>Each line is sent with its own idempotency key; a line whose outcome is unknown ({@code 504},
 * a network error) or that the server could not take ({@code 503}) is sent again with the same key,
 * up to {@code --retries} times with a growing pause, so it is published at most once.
 *
 * <p>Exit codes: 0 every line published; 1 some lines refused; 2 bad arguments, credentials the
 * server refuses ({@code 401}, {@code 403 forbidden}: the first such answer stops the run) or the
 * server could not be reached. A token ({@code --token}, {@code HERALD_TOKEN}) or an API key
 * ({@code --api-key}, {@code HERALD_API_KEY}) goes in a header of every request. Not thread-safe:
 * one run at a time.
 */
@Command(
    name = "publish",
    description = "Publish each line of standard input as one message to CHANNEL.",
    sortOptions = false)
public class PublishCommand implements Callable<Integer> {
  @Spec private CommandSpec spec;

  @Parameters(
      index = "0",
      paramLabel = "CHANNEL",
      description = "The channel, 1 to 200 of A-Z a-z 0-9 _ - . : @ =")
  private String channel;

  @Option(
      names = "--server",
      paramLabel = "URL",
      defaultValue = "${env:HERALD_SERVER:-" + HeraldClient.DEFAULT_SERVER + "}",
      description = "The Herald server (default: $HERALD_SERVER or ${DEFAULT-VALUE}).")
  private String server;

  @Option(
      names = "--event",
      paramLabel = "NAME",
      description = "The event name (default: message).")
  private String event;

  @Option(
      names = "--json",
      description = "Each line is one JSON value (default: each line is a text).")
  private boolean json;

  @Option(
      names = "--retries",
      paramLabel = "N",
      defaultValue = "" + HeraldClient.DEFAULT_PUBLISH_RETRIES,
      description =
          "Times a line is sent again, with the same idempotency key, after a 503, 504 or network"
              + " error (default: ${DEFAULT-VALUE}).")
  private int retries;

  @Option(
      names = {"-q", "--quiet"},
      description = "Print nothing for published lines.")
  private boolean quiet;

  @Option(
      names = "--token",
      paramLabel = "JWT",
      defaultValue = "${env:HERALD_TOKEN}",
      description =
          "A token sent as Authorization: Bearer (default: $HERALD_TOKEN; prefer the variable: "
              + "options show in the process list).")
  private String token;

  @Option(
      names = "--api-key",
      paramLabel = "KEY",
      defaultValue = "${env:HERALD_API_KEY}",
      description =
          "An API key sent as X-Api-Key, for backends (default: $HERALD_API_KEY; prefer the "
              + "variable).")
  private String apiKey;

  @Option(
      names = {"-h", "--help"},
      usageHelp = true,
      description = "Show this help and exit.")
  private boolean help;

  /** Refusals of the credentials (PROTOCOL.md section 10): no use going on with the next line. */
  private static final java.util.Set<String> AUTH_REFUSALS =
      java.util.Set.of("unauthorized", "token_expired", "forbidden");

  private InputStream input = System.in;

  /** A command that reads {@link System#in}. */
  public PublishCommand() {}

  /**
   * Reads lines from {@code input} instead of {@link System#in} (for tests and embedding); returns
   * this.
   */
  public PublishCommand input(InputStream input) {
    this.input = Objects.requireNonNull(input, "input");
    return this;
  }

  /** Publishes until end of input; blocks. Returns the exit code (0, 1 or 2). */
  @Override
  public Integer call() throws Exception {
    PrintWriter err = spec.commandLine().getErr();
    HeraldClient client;
    try {
      client =
          HeraldClient.builder(URI.create(server))
              .publishRetries(retries)
              .token(token)
              .apiKey(apiKey)
              .build();
    } catch (IllegalArgumentException e) {
      err.println("herald publish: " + e.getMessage());
      err.flush();
      return 2;
    }
    int refused = 0;
    long lineNumber = 0;
    BufferedReader reader =
        new BufferedReader(new InputStreamReader(input, StandardCharsets.UTF_8));
    String line;
    while ((line = reader.readLine()) != null) {
      lineNumber++;
      if (json && line.isBlank()) {
        continue;
      }
      try {
        Published p =
            json
                ? client.publish(channel, event, line.getBytes(StandardCharsets.UTF_8)).join()
                : client.publishText(channel, event, line).join();
        if (!quiet) {
          err.println(p.position());
          err.flush();
        }
      } catch (CompletionException e) {
        Throwable cause = e.getCause() == null ? e : e.getCause();
        if (cause instanceof HeraldClientException h) {
          if (h.status() == 0 || AUTH_REFUSALS.contains(h.code())) {
            // A bad name, or credentials the server refuses: every further line would fail too.
            err.println("herald publish: " + h.code() + ": " + messageOf(h));
            err.flush();
            return 2;
          }
          refused++;
          err.println(
              "herald publish: line " + lineNumber + " refused: " + h.code() + ": " + messageOf(h));
          err.flush();
        } else {
          err.println("herald publish: cannot reach " + server + ": " + cause);
          err.flush();
          return 2;
        }
      }
    }
    return refused == 0 ? 0 : 1;
  }

  private static String messageOf(HeraldClientException h) {
    String m = h.getMessage();
    String prefix = h.code() + ": ";
    return m.startsWith(prefix) ? m.substring(prefix.length()) : m;
  }
}
