package io.herald.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.herald.server.internal.FailFast;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * An {@code OutOfMemoryError} ends the process, so a supervisor can restart it: each case runs a
 * real server in a child JVM with a small heap and checks its exit status.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class FailFastIT {

  @Test
  void anOutOfMemoryErrorInAnyThreadEndsTheProcess() throws Exception {
    Result r = child("thread");
    assertThat(r.status).as(r.output).isEqualTo(FailFast.EXIT_STATUS);
    assertThat(r.output).contains("herald: out of memory").doesNotContain("still alive");
  }

  @Test
  void anOutOfMemoryErrorSeenByAConnectionEndsTheProcess() throws Exception {
    Result r = child("cause");
    assertThat(r.status).as(r.output).isEqualTo(FailFast.EXIT_STATUS);
    assertThat(r.output).contains("herald: out of memory").doesNotContain("still alive");
  }

  @Test
  void theLauncherRunsWithABoundedHeapAndExitOnOutOfMemoryError() throws IOException {
    Path root = Path.of(System.getProperty("user.dir")).getParent();
    String run = Files.readString(root.resolve("run.sh"));
    assertThat(run).contains("-XX:+ExitOnOutOfMemoryError").contains("-Xmx").contains("JAVA_OPTS");
    assertThat(Files.readString(root.resolve("README.md")))
        .contains("java -Xmx1g -XX:+ExitOnOutOfMemoryError -jar herald-server/target/herald.jar");
  }

  private record Result(int status, String output) {}

  private static Result child(String mode) throws Exception {
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    List<String> cmd = new ArrayList<>();
    cmd.add(java.toString());
    cmd.add("-Xmx48m");
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(OutOfMemoryChild.class.getName());
    cmd.add(mode);
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    byte[] out = p.getInputStream().readAllBytes();
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
  }
}
