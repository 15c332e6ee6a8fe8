package io.herald.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.herald.core.Transport;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * The bench's command line: {@code java -jar herald-bench.jar <scenario> [options]}. Each scenario
 * command runs every combination of its {@code --target}s and {@code --transport}s one after the
 * other and writes one JSON file and one HTML report for all of them. Exit status 0 when every run
 * completed, 1 when a run failed, 2 on bad arguments.
 */
@Command(
    name = "herald-bench",
    mixinStandardHelpOptions = true,
    version = "herald-bench 0.1",
    description =
        "The Herald transport lab: load generator and report for WebSocket, SSE, long and short polling.",
    subcommands = {
      BenchMain.FanOut.class,
      BenchMain.ManyChannels.class,
      BenchMain.Idle.class,
      BenchMain.Churn.class,
      BenchMain.Merge.class
    })
public final class BenchMain implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  /**
   * Runs the command line and exits the JVM with its status.
   *
   * @param args see {@code --help}
   */
  public static void main(String[] args) {
    System.exit(run(args));
  }

  /**
   * Runs the command line without exiting; blocks until every run is done.
   *
   * @param args see {@code --help}
   * @return 0 when every run completed, 1 when one failed, 2 on bad arguments
   */
  public static int run(String... args) {
    return new CommandLine(new BenchMain()).setCaseInsensitiveEnumValuesAllowed(true).execute(args);
  }

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }

  /** Options every scenario shares. */
  static final class Options {
    @Option(
        names = "--transport",
        split = ",",
        defaultValue = "websocket",
        description =
            "Comma-separated: websocket, sse, long-poll, short-poll (default: ${DEFAULT-VALUE}).")
    List<String> transports;

    @Option(
        names = "--url",
        defaultValue = "http://127.0.0.1:8080",
        description = "Server base URL (default: ${DEFAULT-VALUE}).")
    String url;

    @Option(
        names = "--server",
        defaultValue = "herald",
        description = "herald, nchan or generic (default: ${DEFAULT-VALUE}).")
    String server;

    @Option(
        names = "--subscribe-url",
        description = "Generic servers: subscribe URL template with {channel}.")
    String subscribeUrl;

    @Option(
        names = "--publish-url",
        description = "Generic servers: publish URL template with {channel} (HTTP POST).")
    String publishUrl;

    @Option(
        names = "--pid",
        defaultValue = "0",
        description = "Server process id, for CPU and RSS from /proc.")
    long pid;

    @Option(
        names = "--target",
        description =
            "Repeatable; replaces --url/--server/--pid: "
                + "KIND[,name=N][,url=BASE][,sub=TEMPLATE][,pub=TEMPLATE][,pid=PID], KIND herald|nchan|generic.")
    List<String> targets = new ArrayList<>();

    @Option(
        names = "--subscribers",
        defaultValue = "100",
        description = "Connections (default: ${DEFAULT-VALUE}).")
    int subscribers;

    @Option(
        names = "--rate",
        defaultValue = "10",
        description = "Publications per second, all channels together (default: ${DEFAULT-VALUE}).")
    double rate;

    @Option(
        names = "--size",
        defaultValue = "100",
        description = "Payload bytes (default: ${DEFAULT-VALUE}).")
    int size;

    @Option(
        names = "--duration",
        defaultValue = "30s",
        description = "Publishing (or holding) time: 30s, 500ms, 2m (default: ${DEFAULT-VALUE}).")
    String duration;

    @Option(
        names = "--poll-interval",
        defaultValue = "1s",
        description = "Short polling interval (default: ${DEFAULT-VALUE}).")
    String pollInterval;

    @Option(
        names = "--long-poll-wait",
        defaultValue = "30",
        description = "Herald long poll wait, seconds (default: ${DEFAULT-VALUE}).")
    int longPollWait;

    @Option(
        names = "--loops",
        defaultValue = "2",
        description = "Client event loops (default: ${DEFAULT-VALUE}).")
    int loops;

    @Option(
        names = "--source-addresses",
        defaultValue = "8",
        description = "Spread connections over 127.0.0.1..N (default: ${DEFAULT-VALUE}).")
    int sourceAddresses;

    @Option(
        names = "--connect-concurrency",
        defaultValue = "200",
        description = "Connections opening at once (default: ${DEFAULT-VALUE}).")
    int connectConcurrency;

    @Option(
        names = "--connect-timeout",
        defaultValue = "120",
        description = "Seconds to wait for all subscribers (default: ${DEFAULT-VALUE}).")
    int connectTimeout;

    @Option(
        names = "--publish-connections",
        defaultValue = "0",
        description =
            "Publisher connections; 0: 4 for Herald, 1 otherwise (keeps the sequence in order).")
    int publishConnections;

    @Option(
        names = "--publish-pipeline",
        defaultValue = "0",
        description =
            "Requests in flight per publisher connection (HTTP/1.1 pipelining, in order); 0: 1 for Herald, 16 otherwise.")
    int publishPipeline;

    @Option(
        names = "--churn-rate",
        defaultValue = "20",
        description =
            "Churn: subscribers dropped and resumed per second (default: ${DEFAULT-VALUE}).")
    double churnRate;

    @Option(
        names = "--drain",
        defaultValue = "30",
        description =
            "Seconds to wait at most for the last deliveries (default: ${DEFAULT-VALUE}).")
    int drain;

    @Option(
        names = "--warmup",
        defaultValue = "0s",
        description =
            "Publish this long at --rate before measuring (JIT warm-up; default: ${DEFAULT-VALUE}).")
    String warmup;

    @Option(
        names = "--pause",
        defaultValue = "3s",
        description = "Pause between runs (default: ${DEFAULT-VALUE}).")
    String pause;

    @Option(names = "--json", description = "Write the results as JSON here.")
    Path json;

    @Option(names = "--report", description = "Write the HTML report here.")
    Path report;

    List<Target> targets() {
      List<Target> out = new ArrayList<>();
      if (targets.isEmpty()) {
        switch (server.toLowerCase(Locale.ROOT)) {
          case "herald":
            out.add(Target.herald("herald", url, pid));
            break;
          case "nchan":
            out.add(Target.nchan("nchan", url, pid));
            break;
          case "generic":
            if (subscribeUrl == null || publishUrl == null) {
              throw new IllegalArgumentException(
                  "--server generic needs --subscribe-url and --publish-url");
            }
            out.add(new Target("generic", Target.Kind.GENERIC, subscribeUrl, publishUrl, pid));
            break;
          default:
            throw new IllegalArgumentException("--server must be herald, nchan or generic");
        }
      } else {
        for (String t : targets) {
          out.add(Target.parse(t));
        }
      }
      return out;
    }
  }

  /** Parses {@code 30s}, {@code 500ms}, {@code 2m} or a bare number of seconds into seconds. */
  static double seconds(String s) {
    String v = s.trim().toLowerCase(Locale.ROOT);
    try {
      if (v.endsWith("ms")) {
        return Double.parseDouble(v.substring(0, v.length() - 2)) / 1000.0;
      }
      if (v.endsWith("s")) {
        return Double.parseDouble(v.substring(0, v.length() - 1));
      }
      if (v.endsWith("m")) {
        return Double.parseDouble(v.substring(0, v.length() - 1)) * 60;
      }
      return Double.parseDouble(v);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("not a duration: '" + s + "'; use 30s, 500ms or 2m");
    }
  }

  abstract static class ScenarioCommand implements Callable<Integer> {
    @Mixin Options o;

    abstract Scenario scenario();

    @Override
    public Integer call() throws Exception {
      List<Target> targets;
      List<Transport> transports = new ArrayList<>();
      try {
        targets = o.targets();
        for (String t : o.transports) {
          transports.add(Transport.parse(t));
        }
        for (Target t : targets) {
          for (Transport tr : transports) {
            if (!t.herald() && tr == Transport.SHORT_POLL) {
              throw new IllegalArgumentException(
                  "short-poll is Herald only (a generic server has no cursor to poll from)");
            }
            if (!t.herald() && scenario() == Scenario.CHURN && tr == Transport.WEBSOCKET) {
              throw new IllegalArgumentException(
                  "churn over WebSocket needs Herald (no resume for plain WebSocket)");
            }
          }
        }
        Runner.checkOpenFiles(o.subscribers);
      } catch (IllegalArgumentException e) {
        System.err.println("herald-bench: " + e.getMessage());
        return 2;
      }
      PrintStream out = System.out;
      List<RunResult> results = new ArrayList<>();
      String command =
          "herald-bench "
              + String.join(
                      " ",
                      ProcessHandle.current().info().arguments().map(List::of).orElse(List.of()))
                  .replaceAll("^.*?-jar \\S+ ", "");
      int status = 0;
      for (Target t : targets) {
        for (Transport tr : transports) {
          if (!results.isEmpty() || status != 0) {
            Thread.sleep((long) (seconds(o.pause) * 1000));
          }
          RunSpec rs =
              new RunSpec(
                  scenario(),
                  tr,
                  t,
                  o.subscribers,
                  o.rate,
                  o.size,
                  seconds(o.duration),
                  (int) (seconds(o.pollInterval) * 1000),
                  o.longPollWait,
                  o.loops,
                  o.sourceAddresses,
                  o.connectConcurrency,
                  o.connectTimeout,
                  o.publishConnections,
                  o.publishPipeline,
                  o.churnRate,
                  o.drain,
                  seconds(o.warmup),
                  out);
          try {
            results.add(new Runner(rs).run());
          } catch (RuntimeException e) {
            System.err.println("herald-bench: run " + t.name + " " + tr + " failed: " + e);
            status = 1;
          }
          write(command, results);
        }
      }
      if (!results.isEmpty()) {
        summary(out, results);
      }
      return status;
    }

    private void write(String command, List<RunResult> results) throws java.io.IOException {
      Report.Document doc = Report.document(command, results);
      if (o.json != null) {
        Report.writeJson(o.json, doc);
      }
      if (o.report != null) {
        Report.writeHtml(o.report, doc);
      }
    }
  }

  static void summary(PrintStream out, List<RunResult> results) {
    out.println();
    out.printf(
        "%-22s %-11s %7s %12s %8s %6s %8s %8s %8s %9s %8s %7s %9s%n",
        "run",
        "transport",
        "subs",
        "msg/s",
        "lost",
        "dups",
        "p50 ms",
        "p99 ms",
        "max ms",
        "B/msg",
        "req/msg",
        "cores",
        "KiB/conn");
    for (RunResult r : results) {
      out.printf(
          Locale.ROOT,
          "%-22s %-11s %7d %,12.0f %8d %6d %8.2f %8.2f %8.1f %9.1f %8.3f %7.2f %9.2f%n",
          r.scenario() + " " + r.target(),
          r.transport(),
          r.ready(),
          r.deliveredPerSecond(),
          r.lost(),
          r.duplicates(),
          r.delay().p50(),
          r.delay().p99(),
          r.delay().max(),
          r.bytesPerMessage(),
          r.requestsPerMessage(),
          r.server().cores(),
          r.server().rssPerConnectionKib());
    }
  }

  @Command(
      name = "fan-out",
      mixinStandardHelpOptions = true,
      description = "N subscribers of one channel; one publisher at --rate messages per second.")
  static final class FanOut extends ScenarioCommand {
    @Override
    Scenario scenario() {
      return Scenario.FAN_OUT;
    }
  }

  @Command(
      name = "many-channels",
      mixinStandardHelpOptions = true,
      description =
          "N subscribers each on its own channel; the publisher goes round the channels at --rate in total.")
  static final class ManyChannels extends ScenarioCommand {
    @Override
    Scenario scenario() {
      return Scenario.MANY_CHANNELS;
    }
  }

  @Command(
      name = "idle",
      mixinStandardHelpOptions = true,
      description =
          "N connections holding still for --duration: server memory and CPU per connection.")
  static final class Idle extends ScenarioCommand {
    @Override
    Scenario scenario() {
      return Scenario.IDLE;
    }
  }

  @Command(
      name = "churn",
      mixinStandardHelpOptions = true,
      description =
          "Fan-out while --churn-rate subscribers per second drop and resume; nothing may be lost or doubled.")
  static final class Churn extends ScenarioCommand {
    @Override
    Scenario scenario() {
      return Scenario.CHURN;
    }
  }

  @Command(
      name = "merge",
      mixinStandardHelpOptions = true,
      description = "Merges JSON results of earlier runs into one JSON file and one HTML report.")
  static final class Merge implements Callable<Integer> {
    @Parameters(description = "JSON files written by --json.")
    List<Path> inputs = new ArrayList<>();

    @Option(names = "--json", description = "Write the merged JSON here.")
    Path json;

    @Option(names = "--report", required = true, description = "Write the HTML report here.")
    Path report;

    @Override
    public Integer call() throws Exception {
      ObjectMapper m = new ObjectMapper();
      List<RunResult> runs = new ArrayList<>();
      List<String> commands = new ArrayList<>();
      for (Path p : inputs) {
        Report.Document d = m.readValue(p.toFile(), Report.Document.class);
        runs.addAll(d.runs());
        commands.add(d.command());
      }
      Report.Document doc = Report.document(String.join(" ; ", commands), runs);
      Report.writeHtml(report, doc);
      if (json != null) {
        Report.writeJson(json, doc);
      }
      summary(System.out, runs);
      return 0;
    }
  }
}
