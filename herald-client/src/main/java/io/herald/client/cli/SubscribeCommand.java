package io.herald.client.cli;

import io.herald.client.HeraldClient;
import io.herald.client.HeraldClientException;
import io.herald.client.HeraldSubscription;
import io.herald.client.SubscriptionListener;
import io.herald.core.Cursor;
import io.herald.core.Message;
import io.herald.core.Position;
import io.herald.core.ProtocolException;
import io.herald.core.Transport;
import java.io.PrintWriter;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicLong;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code herald subscribe CHANNEL[,CHANNEL...]}: prints each envelope that arrives as one JSON line
 * on standard output (a binary message as its base64 envelope, PROTOCOL.md section 11), and notices
 * (not recovered, gaps, dropped connections, the cursor to resume from on exit) on standard error,
 * each starting with {@code herald subscribe:}. Runs until interrupted, or until {@code --count}
 * messages arrived; a dropped connection is reopened from the current cursor.
 *
 * <p>Exit codes: 0 after {@code --count} messages or an interrupt; 1 when the server refused the
 * subscription; 2 bad arguments. Not thread-safe: one run at a time.
 */
@Command(
    name = "subscribe",
    description = "Print each message of the channels as one JSON envelope per line.",
    sortOptions = false)
public class SubscribeCommand implements Callable<Integer> {
  @Spec private CommandSpec spec;

  @Parameters(
      index = "0",
      paramLabel = "CHANNEL[,CHANNEL...]",
      description = "The channels, comma-separated.")
  private String channels;

  @Option(
      names = "--server",
      paramLabel = "URL",
      defaultValue = "${env:HERALD_SERVER:-" + HeraldClient.DEFAULT_SERVER + "}",
      description = "The Herald server (default: $HERALD_SERVER or ${DEFAULT-VALUE}).")
  private String server;

  @Option(
      names = "--transport",
      paramLabel = "websocket|sse|long-poll|short-poll",
      defaultValue = "websocket",
      converter = TransportConverter.class,
      description = "How to receive (default: ${DEFAULT-VALUE}).")
  private Transport transport;

  @Option(
      names = "--since",
      paramLabel = "CURSOR",
      description =
          "Resume after this cursor, one epoch:offset per channel, comma-separated (default: from now).")
  private String since;

  @Option(
      names = "--poll-interval",
      paramLabel = "MILLIS",
      defaultValue = "1000",
      description =
          "Short poll: pause after an empty answer, in milliseconds (default: ${DEFAULT-VALUE}).")
  private long pollIntervalMillis;

  @Option(
      names = "--wait",
      paramLabel = "SECONDS",
      defaultValue = "25",
      description =
          "Long poll: the longest wait of one request, in seconds (default: ${DEFAULT-VALUE}).")
  private long waitSeconds;

  @Option(
      names = "--count",
      paramLabel = "N",
      defaultValue = "0",
      description = "Exit after N messages; 0 runs until interrupted (default: ${DEFAULT-VALUE}).")
  private long count;

  @Mixin private CredentialsOptions credentials = new CredentialsOptions();

  @Option(
      names = {"-h", "--help"},
      usageHelp = true,
      description = "Show this help and exit.")
  private boolean help;

  /** A command with default settings; picocli fills in the options. */
  public SubscribeCommand() {}

  /**
   * Subscribes and prints until done; blocks the calling thread. Returns the exit code (0, 1 or 2).
   */
  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    List<String> list = Arrays.asList(channels.split(",", -1));
    HeraldClient client;
    Cursor cursor;
    try {
      client =
          HeraldClient.builder(URI.create(server))
              .shortPollInterval(Duration.ofMillis(pollIntervalMillis))
              .longPollWait(Duration.ofSeconds(waitSeconds))
              .token(credentials.token())
              .apiKey(credentials.apiKey())
              .build();
      cursor = since == null ? null : Cursor.parse(since, list.size());
    } catch (IllegalArgumentException | ProtocolException e) {
      return usage(err, e.getMessage());
    }
    CompletableFuture<Integer> exit = new CompletableFuture<>();
    AtomicLong received = new AtomicLong();
    SubscriptionListener listener =
        new SubscriptionListener() {
          @Override
          public void onSubscribed(String channel, Position position, boolean recovered) {
            if (!recovered) {
              notice(err, "channel " + channel + " not recovered: continuing from " + position);
            }
          }

          @Override
          public void onMessage(Message message) {
            out.println(new String(message.envelope(), StandardCharsets.UTF_8));
            out.flush();
            if (count > 0 && received.incrementAndGet() >= count) {
              exit.complete(0);
            }
          }

          @Override
          public void onGap(String channel, Position position) {
            notice(
                err,
                "gap on channel " + channel + ": messages were lost, continuing from " + position);
          }

          @Override
          public void onError(Throwable error) {
            if (!(error instanceof HeraldClientException)) {
              String what =
                  error.getMessage() == null || error.getMessage().isBlank()
                      ? error.getClass().getSimpleName()
                      : error.getMessage();
              notice(err, what + "; retrying");
            }
          }
        };
    HeraldSubscription subscription;
    try {
      subscription = client.subscribe(list, transport, cursor, listener);
    } catch (IllegalArgumentException e) {
      return usage(err, e.getMessage());
    }
    subscription
        .done()
        .whenComplete(
            (v, e) -> {
              if (e != null) {
                Throwable cause =
                    e.getCause() != null && !(e instanceof HeraldClientException)
                        ? e.getCause()
                        : e;
                notice(err, cause.getMessage());
                exit.complete(1);
              }
            });
    Thread hook =
        new Thread(
            () -> {
              subscription.close();
              notice(err, "resume with --since " + subscription.cursor());
            },
            "herald-subscribe-exit");
    boolean hooked = registerHook(hook);
    try {
      return exit.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return 0;
    } catch (ExecutionException e) {
      return 1;
    } finally {
      if (hooked) {
        try {
          Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException ignored) {
          // Shutting down: the hook runs.
        }
      }
      subscription.close();
      notice(err, "resume with --since " + subscription.cursor());
    }
  }

  private static boolean registerHook(Thread hook) {
    try {
      Runtime.getRuntime().addShutdownHook(hook);
      return true;
    } catch (IllegalStateException | SecurityException e) {
      return false;
    }
  }

  private static void notice(PrintWriter err, String text) {
    synchronized (err) {
      err.println("herald subscribe: " + text);
      err.flush();
    }
  }

  private static int usage(PrintWriter err, String message) {
    notice(err, message);
    return 2;
  }

  /** Converts {@code websocket|sse|long-poll|short-poll} to a {@link Transport}. */
  static final class TransportConverter implements ITypeConverter<Transport> {
    @Override
    public Transport convert(String value) {
      return Transport.parse(value);
    }
  }
}
