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
 * completed, 1 when a run failed, 2 on bad arguments; {@code hostile} also exits with 3 when it
 * completed but missed a target.
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
      BenchMain.Hostile.class,
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
   * @return 0 when every run completed, 1 when one failed, 2 on bad arguments, 3 when {@code
   *     hostile} completed but missed a target
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

    @Option(
        names = "--token",
        defaultValue = "${env:HERALD_TOKEN}",
        description = "Bearer token sent with every request and upgrade [HERALD_TOKEN].")
    String token;

    @Option(
        names = "--api-key",
        defaultValue = "${env:HERALD_API_KEY}",
        description = "X-Api-Key sent with every request and upgrade [HERALD_API_KEY].")
    String apiKey;

    @Option(names = "--report", description = "Write the HTML report here.")
    Path report;

    @Option(
        names = "--poll-cache",
        description =
            "Herald short polls made for HTTP caches, as herald.js makes them: since rounded down"
                + " to multiples of 8, If-None-Match, polls at wall-clock multiples of the interval.")
    boolean pollCache;

    @Option(
        names = "--origin-relay",
        description =
            "LISTEN_PORT:TARGET_PORT: relay loopback LISTEN to the origin at TARGET and count the"
                + " polls reaching it (point a caching proxy's upstream at LISTEN).")
    String originRelay;

    @Option(
        names = "--binary",
        description =
            "Herald: publish --size random bytes as application/octet-stream (binary messages) and"
                + " open WebSockets with binary=1 (binary frames); SSE and polls carry base64.")
    boolean binary;

    List<Target> targets() {
      List<Target> out = new ArrayList<>();
      for (Target t : plainTargets()) {
        out.add(binary ? t.withBinary(true) : t);
      }
      return out;
    }

    private List<Target> plainTargets() {
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
        Clients.token = o.token;
        Clients.apiKey = o.apiKey;
        Clients.cacheFriendlyPolls = o.pollCache;
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
      OriginCounter originCounter =
          o.originRelay == null ? null : OriginCounter.parse(o.originRelay);
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
      if (originCounter != null) {
        originCounter.print(out);
        originCounter.close();
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
      name = "hostile",
      mixinStandardHelpOptions = true,
      description = {
        "Well-behaved subscribers of one channel (--subscribers, spread over --transport) measured twice at --rate: "
            + "a baseline phase alone, then an attack phase beside the --attack clients. Reports loss, delay p99 against "
            + "the baseline, the server's RSS against --rss-budget, and how soon each attacker was refused or disconnected.",
        "Exit status 0 when every target is met, 3 when one is missed, 1 when a phase failed, 2 on bad arguments."
      })
  static final class Hostile implements Callable<Integer> {
    @Mixin Options o;

    @Option(
        names = "--attack",
        split = ",",
        defaultValue =
            "ws-flood=2,slowloris=200,slow-body=200,silent=2000,channel-flood=2,bad-requests=10",
        description =
            "KIND=COUNT[:TIMEOUT], comma-separated or repeated. Kinds (default timeout): ws-flood (10s), slowloris (15s), "
                + "slow-body (40s), silent (15s; silent=max: as many as the open-file limit leaves), channel-flood (10s), "
                + "bad-requests (5s). Default: ${DEFAULT-VALUE}.")
    List<String> attacks;

    @Option(
        names = "--rss-budget",
        defaultValue = "768",
        description = "Server resident memory budget, MiB (default: ${DEFAULT-VALUE}).")
    long rssBudgetMib;

    @Option(
        names = "--p99-ratio",
        defaultValue = "2",
        description =
            "Attack p99 may be at most this times the baseline p99 (default: ${DEFAULT-VALUE}).")
    double p99Ratio;

    @Option(
        names = "--baseline-duration",
        description = "Publishing time of the baseline phase (default: --duration).")
    String baselineDuration;

    @Option(
        names = "--slowloris-interval",
        defaultValue = "5s",
        description = "Time between two bytes of a slowloris head (default: ${DEFAULT-VALUE}).")
    String slowlorisInterval;

    @Option(
        names = "--body-interval",
        defaultValue = "1s",
        description = "Time between two bytes of a slow body (default: ${DEFAULT-VALUE}).")
    String bodyInterval;

    @Option(
        names = "--ws-flood-rate",
        defaultValue = "50000",
        description =
            "Commands per second per ws-flood attacker; 0: as many as the socket takes (default: ${DEFAULT-VALUE}).")
    int wsFloodRate;

    @Option(
        names = "--ws-flood-command",
        defaultValue = "ping",
        description = "ping or publish (default: ${DEFAULT-VALUE}).")
    String wsFloodCommand;

    @Option(
        names = "--flood-rate",
        defaultValue = "0",
        description =
            "Publications per second per channel-flood connection; 0: the next as soon as one is answered (default: ${DEFAULT-VALUE}).")
    double floodRate;

    @Override
    public Integer call() throws Exception {
      List<Target> targets;
      List<Transport> transports = new ArrayList<>();
      List<Attackers.Spec> specs = new ArrayList<>();
      Attackers.Settings settings;
      try {
        targets = o.targets();
        if (targets.size() != 1 || !targets.get(0).herald()) {
          throw new IllegalArgumentException("hostile runs against one Herald target");
        }
        for (String t : o.transports) {
          Transport tr = Transport.parse(t);
          if (!tr.streaming()) {
            throw new IllegalArgumentException(
                "hostile measures streaming subscribers: use websocket and/or sse");
          }
          transports.add(tr);
        }
        for (String a : attacks) {
          specs.add(Attackers.Spec.parse(a));
        }
        if (!"ping".equals(wsFloodCommand) && !"publish".equals(wsFloodCommand)) {
          throw new IllegalArgumentException("--ws-flood-command must be ping or publish");
        }
        if (rssBudgetMib <= 0 || p99Ratio <= 0 || o.subscribers < 1) {
          throw new IllegalArgumentException(
              "--rss-budget, --p99-ratio and --subscribers must be positive");
        }
        specs = boundSilent(specs);
        Runner.checkOpenFiles(o.subscribers + 4 + Attackers.connections(specs));
        settings =
            new Attackers.Settings(
                o.connectConcurrency,
                seconds(slowlorisInterval),
                seconds(bodyInterval),
                wsFloodRate,
                wsFloodCommand,
                floodRate);
        Attackers.checkLoopback(targets.get(0));
      } catch (IllegalArgumentException e) {
        System.err.println("herald-bench: " + e.getMessage());
        return 2;
      }
      Target t = targets.get(0);
      PrintStream out = System.out;
      String command =
          "herald-bench "
              + String.join(
                      " ",
                      ProcessHandle.current().info().arguments().map(List::of).orElse(List.of()))
                  .replaceAll("^.*?-jar \\S+ ", "");
      RunResult baseline = null;
      RunResult attack = null;
      List<Attackers.Result> attackers = List.of();
      int status = 0;
      try {
        out.println("hostile: baseline phase, no attackers");
        baseline =
            new Runner(spec(t.withName(t.name + " baseline"), transports, baselineSeconds()))
                .transports(transports)
                .run();
        Thread.sleep((long) (seconds(o.pause) * 1000));
        out.println("hostile: attack phase, attackers " + specs);
        Attackers atk =
            new Attackers(
                t,
                specs,
                settings,
                "bench-hostile-" + Long.toString(System.nanoTime() % 2_000_000_000L, 36));
        try {
          attack =
              new Runner(spec(t.withName(t.name + " attack"), transports, seconds(o.duration)))
                  .transports(transports)
                  .sidecar(atk)
                  .run();
        } finally {
          atk.stop();
          attackers = atk.results();
        }
      } catch (RuntimeException e) {
        System.err.println("herald-bench: hostile phase failed: " + e);
        status = 1;
      }
      HostileReport.Document doc =
          HostileReport.document(command, baseline, attack, attackers, rssBudgetMib, p99Ratio);
      if (o.json != null) {
        HostileReport.writeJson(o.json, doc);
      }
      if (o.report != null) {
        HostileReport.writeHtml(o.report, doc);
      }
      HostileReport.summary(out, doc);
      return status != 0 ? status : doc.pass() ? 0 : 3;
    }

    private double baselineSeconds() {
      return baselineDuration == null ? seconds(o.duration) : seconds(baselineDuration);
    }

    private RunSpec spec(Target t, List<Transport> transports, double duration) {
      return new RunSpec(
          Scenario.HOSTILE,
          transports.get(0),
          t,
          o.subscribers,
          o.rate,
          o.size,
          duration,
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
          System.out);
    }

    /**
     * Caps the silent sockets at what the open-file limit (at most the bench's 19,000 connections
     * per process; the machine allows 20,000 open files) leaves after the files already open, the
     * subscribers, the publisher, the other attackers and a margin of 256.
     */
    private List<Attackers.Spec> boundSilent(List<Attackers.Spec> specs) {
      long limit = Runner.MAX_CONNECTIONS;
      long open = 0;
      java.lang.management.OperatingSystemMXBean os =
          java.lang.management.ManagementFactory.getOperatingSystemMXBean();
      if (os instanceof com.sun.management.UnixOperatingSystemMXBean u) {
        limit = Math.min(u.getMaxFileDescriptorCount(), Runner.MAX_CONNECTIONS);
        open = u.getOpenFileDescriptorCount();
      }
      long others = o.subscribers + 8;
      for (Attackers.Spec s : specs) {
        if (s.kind() != Attackers.Kind.SILENT) {
          others += s.count();
        }
      }
      long room = Math.max(0, limit - open - others - 256);
      List<Attackers.Spec> out = new ArrayList<>();
      for (Attackers.Spec s : specs) {
        if (s.kind() == Attackers.Kind.SILENT && s.count() > room) {
          System.out.println(
              "note: silent sockets capped at "
                  + room
                  + " (asked "
                  + s.count()
                  + "): one bench process opens at most "
                  + limit
                  + " connections (the open-file limit, at most "
                  + Runner.MAX_CONNECTIONS
                  + "); "
                  + open
                  + " files are open, "
                  + others
                  + " connections are needed besides and 256 are kept spare");
          out.add(s.withCount((int) room));
        } else {
          out.add(s);
        }
      }
      return out;
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
