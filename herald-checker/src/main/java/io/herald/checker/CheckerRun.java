package io.herald.checker;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One checker run: starts the cluster, runs publishers, subscribers and the nemesis for the
 * duration, heals every fault, lets the subscribers catch up (bounded), stops everything and checks
 * the history. Everything random (channels, which node and transport each client uses, the fault
 * schedule) is drawn from the seed; thread timing is not, as in Jepsen.
 *
 * <p>Not thread-safe: one {@link #run} per instance.
 */
public final class CheckerRun {
  /** How long subscribers get to catch up after the faults healed and publishing stopped. */
  static final Duration SETTLE = Duration.ofSeconds(30);

  /** What to run. */
  public record Options(
      long seed,
      Duration duration,
      int nodes,
      int historySize,
      int publishers,
      int hoppers,
      List<FaultKind> faults,
      String classpath,
      Path dir) {}

  /** What a run found. */
  public record Result(
      long seed,
      int violations,
      long publications,
      long deliveries,
      java.util.Set<FaultKind> faultKinds) {}

  private final Options options;
  private final PrintStream out;

  public CheckerRun(Options options, PrintStream out) {
    this.options = options;
    this.out = out;
  }

  /**
   * Runs and checks; prints the summary and, on a violation, the history around the first one.
   *
   * @return the counts; {@code violations() > 0} means the promise was broken
   */
  public Result run() throws InterruptedException {
    long seed = options.seed();
    Random random = new Random(seed);
    Path dir = options.dir();
    try {
      Files.createDirectories(dir);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    out.printf(
        "herald-checker: seed %d, %s, %d nodes, history %d, faults %s, logs in %s%n",
        seed, options.duration(), options.nodes(), options.historySize(), options.faults(), dir);
    History history = new History();
    String runId =
        Long.toUnsignedString(seed, 36) + "x" + Long.toString(System.nanoTime() % 100000, 36);
    List<String> channels = List.of("ck" + runId + ".a", "ck" + runId + ".b", "ck" + runId + ".c");
    AtomicBoolean clientsStalled = new AtomicBoolean();
    List<Thread> threads = new ArrayList<>();
    List<Publisher> pubs = new ArrayList<>();
    List<Subscriber> subs = new ArrayList<>();
    try (Cluster cluster =
        new Cluster(dir, options.nodes(), options.classpath(), options.historySize())) {
      for (Subscriber.Transport t : Subscriber.Transport.values()) {
        boolean stallable = random.nextBoolean();
        subs.add(
            new Subscriber(
                "steady-" + t.name().toLowerCase(java.util.Locale.ROOT),
                random.nextLong(),
                history,
                cluster,
                channels,
                t,
                stallable ? clientsStalled::get : () -> false));
      }
      for (int i = 1; i <= options.hoppers(); i++) {
        boolean stallable = random.nextBoolean();
        subs.add(
            new Subscriber(
                "hopper-" + i,
                random.nextLong(),
                history,
                cluster,
                channels,
                null,
                stallable ? clientsStalled::get : () -> false));
      }
      for (int i = 1; i <= options.publishers(); i++) {
        pubs.add(new Publisher("p" + i, random.nextLong(), history, cluster, channels, runId));
      }
      Nemesis nemesis =
          new Nemesis(random.nextLong(), history, cluster, clientsStalled, options.faults());
      for (Subscriber s : subs) {
        threads.add(start(s, s.name()));
      }
      // subscribers take their first positions before the first publication
      Thread.sleep(1_000);
      for (int i = 0; i < pubs.size(); i++) {
        threads.add(start(pubs.get(i), "publisher-" + (i + 1)));
      }
      Thread nemesisThread = start(nemesis, "nemesis");
      Thread.sleep(options.duration().toMillis());
      nemesis.stop();
      nemesisThread.join(60_000);
      nemesis.healAll();
      for (Publisher p : pubs) {
        p.stop();
      }
      for (int i = 0; i < pubs.size(); i++) {
        threads.get(subs.size() + i).join(30_000);
      }
      out.printf(
          "%.1f ms: faults healed, publishing stopped; letting subscribers catch up%n",
          history.now());
      awaitCaughtUp(history, subs);
      for (Subscriber s : subs) {
        s.stop();
      }
      for (Thread t : threads) {
        t.join(10_000);
      }
    }
    History.Snapshot snap = history.snapshot();
    Analyzer analyzer = new Analyzer(snap, options.historySize());
    List<Analyzer.Violation> found = analyzer.check();
    if (!found.isEmpty()) {
      analyzer.printHistory(out, found.get(0));
      out.println("---- violations (the first 5 of each rule) ----");
      Map<String, Integer> shown = new java.util.HashMap<>();
      for (Analyzer.Violation v : found) {
        if (shown.merge(v.rule(), 1, Integer::sum) <= 5) {
          out.println(v);
        }
      }
    }
    analyzer.printSummary(out, found);
    long deliveries =
        snap.observations().stream().filter(o -> o.kind() == History.Kind.DELIVER).count();
    long publications = snap.attempts().stream().map(a -> a.pub).distinct().count();
    out.printf(
        "herald-checker: seed %d: %s%n",
        seed, found.isEmpty() ? "OK" : found.size() + " violations");
    java.util.Set<FaultKind> kinds = java.util.EnumSet.noneOf(FaultKind.class);
    snap.faults().forEach(f -> kinds.add(f.kind));
    return new Result(seed, found.size(), publications, deliveries, kinds);
  }

  /**
   * Waits (bounded by {@link #SETTLE}) until every subscriber stands at every channel's last ack.
   */
  private void awaitCaughtUp(History history, List<Subscriber> subs) throws InterruptedException {
    long deadline = System.nanoTime() + SETTLE.toNanos();
    while (System.nanoTime() < deadline) {
      Map<String, String> heads = new java.util.HashMap<>();
      Map<String, Double> when = new java.util.HashMap<>();
      for (History.Attempt a : history.snapshot().attempts()) {
        if (a.outcome == History.Outcome.ACKNOWLEDGED
            && a.end > when.getOrDefault(a.channel, -1.0)) {
          when.put(a.channel, a.end);
          heads.put(a.channel, a.epoch + ":" + a.offset);
        }
      }
      boolean all = true;
      for (Subscriber s : subs) {
        Map<String, String> pos = s.positions();
        for (Map.Entry<String, String> h : heads.entrySet()) {
          if (!reached(pos.get(h.getKey()), h.getValue())) {
            all = false;
          }
        }
      }
      if (all) {
        return;
      }
      Thread.sleep(200);
    }
  }

  private static boolean reached(String position, String head) {
    if (position == null) {
      return false;
    }
    int a = position.lastIndexOf(':');
    int b = head.lastIndexOf(':');
    return position.substring(0, a).equals(head.substring(0, b))
        && Long.parseLong(position.substring(a + 1)) >= Long.parseLong(head.substring(b + 1));
  }

  private static Thread start(Runnable r, String name) {
    Thread t = new Thread(r, name);
    t.setDaemon(true);
    t.start();
    return t;
  }
}
