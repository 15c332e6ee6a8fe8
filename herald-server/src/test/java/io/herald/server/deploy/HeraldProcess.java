package io.herald.server.deploy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One Herald node in its own JVM ({@code io.herald.server.Main serve} on the test class path), on a
 * fixed loopback port so that a proxy configuration keeps pointing at it across a {@link #kill()}
 * and {@link #start()}. Its output goes to a log file; Netty's paranoid leak detection is on and
 * {@link #leaks()} reads what it reported. Shipped in herald-server's test-jar for the browser
 * tests.
 *
 * <p>Not thread-safe: one test thread drives it.
 */
public final class HeraldProcess implements AutoCloseable {
  private static final Duration START_TIMEOUT = Duration.ofSeconds(60);
  private final int port;
  private final List<String> args;
  private final Path log;
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
  private Process process;

  private HeraldProcess(int port, List<String> args, Path log) {
    this.port = port;
    this.args = args;
    this.log = log;
  }

  /**
   * Starts a node on a free loopback port with the given {@code herald serve} options and waits (up
   * to 60 s) until its {@code /health} answers 200, which needs its broker.
   *
   * @throws IllegalStateException when it exits or does not answer in time
   */
  public static HeraldProcess start(String... serveArgs) {
    try {
      HeraldProcess p =
          new HeraldProcess(
              freePort(), List.of(serveArgs), Files.createTempFile("herald-node-", ".log"));
      p.start();
      return p;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A loopback port nothing listens on now. */
  public static int freePort() {
    try (ServerSocket s = new ServerSocket()) {
      s.setReuseAddress(true);
      s.bind(new InetSocketAddress("127.0.0.1", 0));
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The node's port; the same across restarts. */
  public int port() {
    return port;
  }

  /** {@code http://127.0.0.1:PORT}. */
  public String baseUrl() {
    return "http://127.0.0.1:" + port;
  }

  /** Whether the JVM runs. */
  public boolean isAlive() {
    return process != null && process.isAlive();
  }

  /**
   * (Re)starts the JVM on this node's port and waits until {@code /health} answers 200. A port just
   * freed by {@link #kill()} may be refused for a moment; the JVM is started again then.
   */
  public void start() {
    long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
    while (true) {
      launch();
      while (process.isAlive()) {
        if (healthy()) {
          return;
        }
        if (System.nanoTime() > deadline) {
          kill();
          throw new IllegalStateException(
              "node on port " + port + " did not answer /health within 60 s:\n" + log());
        }
        waitFor(Duration.ofMillis(100));
      }
      if (System.nanoTime() > deadline || !log().contains("Address already in use")) {
        throw new IllegalStateException(
            "node on port " + port + " exited with " + process.exitValue() + ":\n" + log());
      }
    }
  }

  private void launch() {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(
        List.of(
            "-Xmx256m",
            "-XX:+UseSerialGC",
            "-XX:TieredStopAtLevel=1",
            "-XX:+ExitOnOutOfMemoryError",
            "-Dio.netty.leakDetectionLevel=paranoid",
            "-cp",
            System.getProperty("java.class.path"),
            "io.herald.server.Main",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            Integer.toString(port)));
    cmd.addAll(args);
    try {
      process =
          new ProcessBuilder(cmd)
              .redirectErrorStream(true)
              .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
              .start();
      // Never outlive the test JVM, even when it ends without closing this.
      Runtime.getRuntime().addShutdownHook(new Thread(process::destroyForcibly));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start java", e);
    }
  }

  private boolean healthy() {
    try {
      return http.send(
                  HttpRequest.newBuilder(URI.create(baseUrl() + "/health"))
                      .timeout(Duration.ofSeconds(2))
                      .build(),
                  HttpResponse.BodyHandlers.discarding())
              .statusCode()
          == 200;
    } catch (IOException notYet) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }

  private void waitFor(Duration d) {
    try {
      process.waitFor(d.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }

  /** SIGKILL: the node dies at once, mid-write, as a crashed machine would. Blocks until gone. */
  public void kill() {
    if (process == null) {
      return;
    }
    process.destroyForcibly();
    try {
      process.waitFor(20, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * SIGTERM: the node drains and exits, as {@code systemctl stop} has it do. Blocks until it has
   * exited (at most 60 s, then SIGKILL).
   */
  public void terminate() {
    if (process == null) {
      return;
    }
    process.destroy();
    try {
      if (!process.waitFor(60, TimeUnit.SECONDS)) {
        kill();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      kill();
    }
  }

  /** Everything the node wrote so far (stdout and stderr). */
  public String log() {
    try {
      return Files.readString(log, StandardCharsets.UTF_8);
    } catch (IOException e) {
      return "(log unreadable: " + e + ")";
    }
  }

  /** The lines where Netty reported a leaked buffer. */
  public List<String> leaks() {
    return log().lines().filter(l -> l.contains("LEAK:")).toList();
  }

  @Override
  public void close() {
    kill();
    try {
      Files.deleteIfExists(log);
    } catch (IOException ignored) {
      // a temporary file
    }
  }

  @Override
  public String toString() {
    return "node :" + port;
  }
}
