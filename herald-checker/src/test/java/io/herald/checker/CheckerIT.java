package io.herald.checker;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumSet;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The checker in CI: a few fixed seeds, about a minute each (2 minutes in all), against 3 real
 * nodes on a real Redis, with every fault kind injected. Passes only when the history breaks no
 * rule; on a failure the output holds the history around the first violation and the seed that
 * reproduces the schedule ({@code java -jar herald-checker/target/herald-checker.jar --seed N}).
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class CheckerIT {
  /** Fault kinds seen over all seeds of this class; every kind must be covered. */
  private static final Set<FaultKind> SEEN = EnumSet.noneOf(FaultKind.class);

  @ParameterizedTest(name = "seed {0}")
  @ValueSource(longs = {1L, 2L})
  void aRunWithEveryFaultKindKeepsEveryPromise(long seed) throws Exception {
    Path dir = Files.createTempDirectory("herald-checker-it-");
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    PrintStream out = new PrintStream(buf, true, StandardCharsets.UTF_8);
    CheckerRun.Result r =
        new CheckerRun(
                new CheckerRun.Options(
                    seed,
                    Duration.ofSeconds(45),
                    3,
                    seed == 1 ? 100 : 200,
                    3,
                    3,
                    Nemesis.allKinds(),
                    System.getProperty("java.class.path"),
                    dir),
                out)
            .run();
    String report = buf.toString(StandardCharsets.UTF_8);
    System.out.println(report);
    synchronized (SEEN) {
      SEEN.addAll(r.faultKinds());
    }
    assertThat(r.publications()).as("publications").isGreaterThan(100);
    assertThat(r.deliveries()).as("deliveries").isGreaterThan(r.publications());
    assertThat(r.faultKinds())
        .as("every fault kind injected with seed " + seed)
        .containsAll(Nemesis.allKinds());
    assertThat(r.violations()).as("violations with seed " + seed + ":\n" + report).isZero();
    deleteTree(dir); // kept (with the nodes' and Redis's logs) when the run failed
  }

  private static void deleteTree(Path dir) throws java.io.IOException {
    try (java.util.stream.Stream<Path> files = Files.walk(dir)) {
      for (Path f : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(f);
      }
    }
  }

  @AfterAll
  static void everyFaultKindWasInjected() {
    assertThat(SEEN).containsAll(Nemesis.allKinds());
  }
}
