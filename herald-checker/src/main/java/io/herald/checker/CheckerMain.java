package io.herald.checker;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ThreadLocalRandom;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The checker's command line: {@code java -jar herald-checker/target/herald-checker.jar --seed 42
 * --duration 30m}. Exits 0 when the history satisfies every rule, 1 on a violation, 2 on a bad
 * argument or a cluster that would not start.
 */
@Command(
    name = "herald-checker",
    mixinStandardHelpOptions = true,
    description =
        "Runs 3 Herald nodes on a real Redis behind fault-injecting proxies, publishes and"
            + " subscribes on every transport while injecting faults, then checks every delivery.")
public final class CheckerMain implements Callable<Integer> {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Option(names = "--seed", description = "Seed of the run's schedule (default: random).")
  Long seed;

  @Option(
      names = "--duration",
      defaultValue = "60s",
      description =
          "How long to publish and inject faults: 90s, 30m, 1h (default: ${DEFAULT-VALUE}).")
  String duration;

  @Option(
      names = "--nodes",
      defaultValue = "3",
      description = "Herald nodes, 1 to 9 (default: ${DEFAULT-VALUE}).")
  int nodes;

  @Option(
      names = "--history-size",
      defaultValue = "200",
      description = "The nodes' --history-size, 10 to 100000 (default: ${DEFAULT-VALUE}).")
  int historySize;

  @Option(
      names = "--publishers",
      defaultValue = "3",
      description = "Publishers, 1 to 20 (default: ${DEFAULT-VALUE}).")
  int publishers;

  @Option(
      names = "--hoppers",
      defaultValue = "3",
      description =
          "Subscribers that hop between nodes and transports, besides one steady subscriber per"
              + " transport; 0 to 20 (default: ${DEFAULT-VALUE}).")
  int hoppers;

  @Option(
      names = "--faults",
      split = ",",
      description = "Fault kinds to inject (default: all): ${COMPLETION-CANDIDATES}.")
  List<FaultKind> faults;

  @Option(
      names = "--classpath",
      description = "Classpath of the nodes' JVMs (default: this JVM's, which holds the server).")
  String classpath;

  @Option(
      names = "--dir",
      description = "Directory for the node and Redis logs (default: a new temporary directory).")
  Path dir;

  /** Parses {@code 90s}, {@code 30m}, {@code 1h} or an ISO-8601 duration. */
  static Duration parseDuration(String s) {
    String t = s.trim().toLowerCase(java.util.Locale.ROOT);
    try {
      if (t.endsWith("ms")) {
        return Duration.ofMillis(Long.parseLong(t.substring(0, t.length() - 2)));
      }
      long n = Long.parseLong(t.substring(0, t.length() - 1));
      return switch (t.charAt(t.length() - 1)) {
        case 's' -> Duration.ofSeconds(n);
        case 'm' -> Duration.ofMinutes(n);
        case 'h' -> Duration.ofHours(n);
        default -> Duration.parse(s);
      };
    } catch (RuntimeException e) {
      throw new IllegalArgumentException(
          "--duration " + s + " is not a duration: use a number with s, m or h (90s, 30m, 1h)");
    }
  }

  @Override
  public Integer call() throws Exception {
    Duration d;
    try {
      d = parseDuration(duration);
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
    }
    check(!d.isNegative() && !d.isZero(), "--duration must be positive, got " + duration);
    check(nodes >= 1 && nodes <= 9, "--nodes must be 1 to 9, got " + nodes);
    check(
        historySize >= 10 && historySize <= 100_000,
        "--history-size must be 10 to 100000, got " + historySize);
    check(publishers >= 1 && publishers <= 20, "--publishers must be 1 to 20, got " + publishers);
    check(hoppers >= 0 && hoppers <= 20, "--hoppers must be 0 to 20, got " + hoppers);
    long s = seed != null ? seed : ThreadLocalRandom.current().nextLong();
    Path d2 = dir != null ? dir : java.nio.file.Files.createTempDirectory("herald-checker-");
    CheckerRun.Options o =
        new CheckerRun.Options(
            s,
            d,
            nodes,
            historySize,
            publishers,
            hoppers,
            faults == null || faults.isEmpty() ? Nemesis.allKinds() : new ArrayList<>(faults),
            classpath != null ? classpath : System.getProperty("java.class.path"),
            d2);
    CheckerRun.Result r = new CheckerRun(o, System.out).run();
    return r.violations() == 0 ? 0 : 1;
  }

  private void check(boolean ok, String message) {
    if (!ok) {
      throw new CommandLine.ParameterException(spec.commandLine(), message);
    }
  }

  /** Entry point; the exit code says whether the run passed. */
  public static void main(String[] args) {
    int code =
        new CommandLine(new CheckerMain())
            .setExecutionExceptionHandler(
                (e, cmd, parsed) -> {
                  cmd.getErr().println("herald-checker: the run could not complete: " + e);
                  e.printStackTrace(cmd.getErr());
                  return 2;
                })
            .execute(args);
    Reaper.reapAll();
    System.exit(code);
  }
}
