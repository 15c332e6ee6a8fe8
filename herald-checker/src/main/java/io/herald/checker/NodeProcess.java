package io.herald.checker;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One Herald node: a separate JVM running {@code io.herald.server.Main serve} on a free loopback
 * port, with its own log file. Each start picks a new free port (a killed node's port may linger);
 * its {@link TcpProxy} is pointed at it.
 *
 * <p>Driven by one thread (the nemesis, or the run's setup) at a time.
 */
final class NodeProcess implements AutoCloseable {
  private static final long START_TIMEOUT_MILLIS = 30_000;
  private final String name;
  private final String classpath;
  private final List<String> serverArgs;
  private final Path log;
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
  private Process process;
  private int port;

  NodeProcess(String name, String classpath, List<String> serverArgs, Path log) {
    this.name = name;
    this.classpath = classpath;
    this.serverArgs = serverArgs;
    this.log = log;
  }

  String name() {
    return name;
  }

  /** The port the node listens on now (changes with every start). */
  synchronized int port() {
    return port;
  }

  static int freePort() {
    try (ServerSocket s = new ServerSocket()) {
      s.setReuseAddress(true);
      s.bind(new InetSocketAddress("127.0.0.1", 0));
      return s.getLocalPort();
    } catch (IOException e) {
      throw new IllegalStateException("no free port", e);
    }
  }

  /** Starts the JVM and waits until {@code /health} answers 200. */
  synchronized void start() {
    port = freePort();
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(
        List.of("-Xmx192m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xss512k", "-cp"));
    cmd.add(classpath);
    cmd.add("io.herald.server.Main");
    cmd.add("serve");
    cmd.add("--host");
    cmd.add("127.0.0.1");
    cmd.add("--port");
    cmd.add(Integer.toString(port));
    cmd.addAll(serverArgs);
    try {
      process =
          new ProcessBuilder(cmd)
              .redirectErrorStream(true)
              .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
              .start();
    } catch (IOException e) {
      throw new IllegalStateException("cannot start node " + name + ": " + e.getMessage(), e);
    }
    Reaper.track(process);
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(START_TIMEOUT_MILLIS);
    HttpRequest health =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/health"))
            .timeout(Duration.ofSeconds(1))
            .build();
    while (true) {
      if (!process.isAlive()) {
        throw new IllegalStateException(
            "node " + name + " exited with " + process.exitValue() + ", see " + log);
      }
      try {
        if (http.send(health, HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
          return;
        }
      } catch (IOException notYet) {
        // not listening yet
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted", e);
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException(
            "node " + name + " did not answer /health within 30 s, see " + log);
      }
      try {
        process.waitFor(50, TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted", e);
      }
    }
  }

  /** SIGKILL: the node dies at once, mid-write. */
  synchronized void kill() {
    stop(true);
  }

  /** SIGTERM: the node shuts down gracefully; waits up to 20 s, then kills it. */
  synchronized void terminate() {
    stop(false);
  }

  private void stop(boolean force) {
    if (process == null) {
      return;
    }
    if (force) {
      process.destroyForcibly();
    } else {
      process.destroy();
    }
    try {
      if (!process.waitFor(20, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      process.destroyForcibly();
    }
    Reaper.untrack(process);
    process = null;
  }

  @Override
  public synchronized void close() {
    if (process != null) {
      process.destroyForcibly();
      Reaper.untrack(process);
      process = null;
    }
  }
}
