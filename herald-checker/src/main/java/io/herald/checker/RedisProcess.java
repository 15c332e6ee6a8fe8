package io.herald.checker;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A real {@code redis-server} on a loopback port with persistence on (append-only file with {@code
 * appendfsync always}), so that a restart "with its data" keeps every acknowledged publication, and
 * a restart "empty" (files deleted first) loses them all.
 *
 * <p>Needs {@code redis-server} on the PATH. Driven by one thread (the nemesis) at a time.
 */
final class RedisProcess implements AutoCloseable {
  private static final long START_TIMEOUT_MILLIS = 10_000;
  private final int port;
  private final Path dir;
  private Process process;
  private boolean paused;

  RedisProcess(int port, Path dir) {
    this.port = port;
    this.dir = dir;
  }

  int port() {
    return port;
  }

  String uri() {
    return "redis://127.0.0.1:" + port;
  }

  /** Starts redis-server and waits until it answers PING. */
  synchronized void start() {
    Path data = dir.resolve("data");
    try {
      Files.createDirectories(data);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    List<String> cmd =
        List.of(
            "redis-server",
            "--port",
            Integer.toString(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "yes",
            "--appendfsync",
            "always",
            "--dir",
            data.toString(),
            "--daemonize",
            "no");
    try {
      process =
          new ProcessBuilder(cmd)
              .redirectErrorStream(true)
              .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("redis.log").toFile()))
              .start();
    } catch (IOException e) {
      throw new IllegalStateException(
          "cannot run redis-server ("
              + e.getMessage()
              + "): install it (apt-get install -y redis-server)",
          e);
    }
    Reaper.track(process);
    paused = false;
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(START_TIMEOUT_MILLIS);
    while (true) {
      if (!process.isAlive()) {
        throw new IllegalStateException(
            "redis-server exited with " + process.exitValue() + ", see " + dir + "/redis.log");
      }
      try {
        if (ping()) {
          return;
        }
      } catch (IOException notYet) {
        // not listening yet, or still loading its data
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("redis-server did not answer PING on port " + port);
      }
      try {
        process.waitFor(20, TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted", e);
      }
    }
  }

  private boolean ping() throws IOException {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", port), 1_000);
      s.setSoTimeout(1_000);
      OutputStream out = s.getOutputStream();
      out.write("*1\r\n$4\r\nPING\r\n".getBytes(StandardCharsets.US_ASCII));
      out.flush();
      InputStream in = s.getInputStream();
      byte[] buf = new byte[64];
      int n = in.read(buf);
      return n > 0 && new String(buf, 0, n, StandardCharsets.US_ASCII).startsWith("+PONG");
    }
  }

  /** Freezes the server (SIGSTOP): connections stay open, nothing is answered. */
  synchronized void pause() {
    Reaper.signal(process, "STOP");
    paused = true;
  }

  /** Lets a frozen server run again (SIGCONT). */
  synchronized void resume() {
    if (paused) {
      Reaper.signal(process, "CONT");
      paused = false;
    }
  }

  /** Stops the server with SIGTERM (it fsyncs its append-only file) and waits until it exited. */
  synchronized void stop() {
    if (process == null) {
      return;
    }
    resume();
    process.destroy();
    try {
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      process.destroyForcibly();
    }
    Reaper.untrack(process);
    process = null;
  }

  /** Stops the server and starts it again with its data. */
  synchronized void restartWithData() {
    stop();
    start();
  }

  /** Stops the server, deletes its data, and starts it again empty. */
  synchronized void restartEmpty() {
    stop();
    deleteTree(dir.resolve("data"));
    start();
  }

  private static void deleteTree(Path p) {
    if (!Files.exists(p)) {
      return;
    }
    try (Stream<Path> files = Files.walk(p)) {
      for (Path f : files.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(f);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
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
