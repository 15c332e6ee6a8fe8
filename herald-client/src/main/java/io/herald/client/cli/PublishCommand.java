package io.herald.client.cli;

import io.herald.client.HeraldClient;
import io.herald.client.HeraldClientException;
import io.herald.client.Published;
import io.herald.core.ContentTypes;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
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
 *
 * <p>With {@code --data-file FILE} (or {@code -} for standard input) the whole file is one message
 * instead, sent byte for byte with {@code --content-type} (PROTOCOL.md section 11: a type that is
 * neither JSON nor text makes a binary message; {@code application/octet-stream} by default), so
 * {@code herald publish frames --content-type image/png --data-file frame.png} publishes an image.
 * A binary {@code --content-type} without {@code --data-file} is refused (exit 2): lines of
 * standard input are text.
 */
@Command(
    name = "publish",
    description =
        "Publish each line of standard input, or the whole --data-file, as one message to"
            + " CHANNEL.",
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
      names = "--content-type",
      paramLabel = "TYPE",
      description =
          "The messages' content type: JSON (as --json), text/* (as the default), or any other"
              + " type, such as application/octet-stream, for a binary message from --data-file.")
  private String contentType;

  @Option(
      names = "--data-file",
      paramLabel = "FILE",
      description =
          "Publish the whole FILE (- for standard input) as one message, byte for byte, instead"
              + " of each line; its type is --content-type (default: application/octet-stream,"
              + " or JSON with --json).")
  private String dataFile;

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

  @Mixin private CredentialsOptions credentials = new CredentialsOptions();

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
              .token(credentials.token())
              .apiKey(credentials.apiKey())
              .build();
    } catch (IllegalArgumentException e) {
      err.println("herald publish: " + e.getMessage());
      err.flush();
      return 2;
    }
    String type = contentType == null ? null : contentType.trim();
    String media = ContentTypes.mediaType(type);
    if (json && type != null && !ContentTypes.isJson(media)) {
      return usage(err, "--json publishes JSON; it cannot go with --content-type " + type);
    }
    boolean asJson = json || ContentTypes.isJson(media);
    if (dataFile != null) {
      return publishFile(client, err, asJson, type == null ? ContentTypes.DEFAULT_BINARY : type);
    }
    if (!asJson && !ContentTypes.isText(media)) {
      return usage(
          err,
          "--content-type "
              + type
              + " is binary: give the bytes with --data-file FILE (lines of standard input are"
              + " text)");
    }
    int refused = 0;
    long lineNumber = 0;
    BufferedReader reader =
        new BufferedReader(new InputStreamReader(input, StandardCharsets.UTF_8));
    String line;
    while ((line = reader.readLine()) != null) {
      lineNumber++;
      if (asJson && line.isBlank()) {
        continue;
      }
      int outcome =
          outcome(
              asJson
                  ? client.publish(channel, event, line.getBytes(StandardCharsets.UTF_8))
                  : client.publishText(channel, event, line),
              err,
              "line " + lineNumber);
      if (outcome == 2) {
        return 2;
      }
      refused += outcome;
    }
    return refused == 0 ? 0 : 1;
  }

  /** Publishes the whole of {@code --data-file} as one message of {@code type}. */
  private int publishFile(HeraldClient client, PrintWriter err, boolean asJson, String type) {
    byte[] bytes;
    try {
      bytes = dataFile.equals("-") ? input.readAllBytes() : Files.readAllBytes(Path.of(dataFile));
    } catch (IOException | java.nio.file.InvalidPathException e) {
      return usage(err, "cannot read --data-file " + dataFile + ": " + e);
    }
    String media = ContentTypes.mediaType(type);
    return outcome(
        asJson
            ? client.publish(channel, event, bytes)
            : ContentTypes.isText(media)
                ? client.publishText(channel, event, new String(bytes, StandardCharsets.UTF_8))
                : client.publishBinary(channel, event, bytes, type),
        err,
        dataFile);
  }

  /**
   * Waits for one publication and reports it: 0 published, 1 refused (reported), 2 no use going on
   * (a bad name or content type, refused credentials, an unreachable server).
   */
  private int outcome(CompletableFuture<Published> publication, PrintWriter err, String what) {
    try {
      Published p = publication.join();
      if (!quiet) {
        err.println(p.position());
        err.flush();
      }
      return 0;
    } catch (CompletionException e) {
      Throwable cause = e.getCause() == null ? e : e.getCause();
      if (cause instanceof HeraldClientException h) {
        if (h.status() == 0 || AUTH_REFUSALS.contains(h.code())) {
          // A bad name, or credentials the server refuses: every further line would fail too.
          err.println("herald publish: " + h.code() + ": " + messageOf(h));
          err.flush();
          return 2;
        }
        err.println("herald publish: " + what + " refused: " + h.code() + ": " + messageOf(h));
        err.flush();
        return 1;
      }
      err.println("herald publish: cannot reach " + server + ": " + cause);
      err.flush();
      return 2;
    }
  }

  private static int usage(PrintWriter err, String message) {
    err.println("herald publish: " + message);
    err.flush();
    return 2;
  }

  private static String messageOf(HeraldClientException h) {
    String m = h.getMessage();
    String prefix = h.code() + ": ";
    return m.startsWith(prefix) ? m.substring(prefix.length()) : m;
  }
}
