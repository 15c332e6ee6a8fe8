package io.herald.redis;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A real {@code redis-server} for tests: started on a free loopback port in a temporary directory,
 * without persistence ({@code --save '' --appendonly no}), so a restart loses every key. Shipped in
 * herald-redis's test-jar for the server's multi-node tests.
 *
 * <p>Needs {@code redis-server} on the {@code PATH} (Debian: {@code apt-get install -y
 * redis-server}; the system service need not run). Not thread-safe: one test thread drives it.
 */
public final class RedisServerProcess implements AutoCloseable {
  /** How long {@link #start()} and {@link #restart()} wait for the server to answer PING. */
  public static final long START_TIMEOUT_MILLIS = 10_000;

  private final int port;
  private final Path dir;
  private Process process;

  private RedisServerProcess(int port, Path dir) {
    this.port = port;
    this.dir = dir;
  }

  /**
   * Starts a redis-server on a free port and waits until it answers PING. Blocks up to {@value
   * #START_TIMEOUT_MILLIS} ms.
   *
   * @throws IllegalStateException when redis-server is not installed or does not come up
   */
  public static RedisServerProcess start() {
    try {
      RedisServerProcess r =
          new RedisServerProcess(freePort(), Files.createTempDirectory("herald-redis-"));
      r.launch();
      return r;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket()) {
      s.setReuseAddress(true);
      s.bind(new InetSocketAddress("127.0.0.1", 0));
      return s.getLocalPort();
    }
  }

  private void launch() {
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
            "no",
            "--dir",
            dir.toString(),
            "--daemonize",
            "no");
    ProcessBuilder pb =
        new ProcessBuilder(cmd)
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("redis.log").toFile()));
    try {
      process = pb.start();
    } catch (IOException e) {
      throw new IllegalStateException(
          "cannot run redis-server ("
              + e.getMessage()
              + "): the Redis tests need a real "
              + "redis-server on the PATH; install it with 'apt-get install -y redis-server'",
          e);
    }
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(START_TIMEOUT_MILLIS);
    while (true) {
      if (!process.isAlive()) {
        throw new IllegalStateException(
            "redis-server exited with "
                + process.exitValue()
                + " on port "
                + port
                + "; its log:\n"
                + log());
      }
      try {
        if ("+PONG".equals(command("PING"))) {
          return;
        }
      } catch (IOException notYet) {
        // not listening yet
      }
      if (System.nanoTime() > deadline) {
        process.destroyForcibly();
        throw new IllegalStateException(
            "redis-server on port "
                + port
                + " did not answer PING within "
                + START_TIMEOUT_MILLIS
                + " ms; its log:\n"
                + log());
      }
      try {
        process.waitFor(20, TimeUnit.MILLISECONDS); // pause between probes, ending early if it dies
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while starting redis-server", e);
      }
    }
  }

  /** The port it listens on (the same across {@link #restart()}). */
  public int port() {
    return port;
  }

  /** {@code redis://127.0.0.1:<port>}. */
  public String uri() {
    return "redis://127.0.0.1:" + port;
  }

  /** Whether the process runs. */
  public boolean isRunning() {
    return process != null && process.isAlive();
  }

  /**
   * Sends one command and answers the first line of the reply ({@code +OK}, {@code :3}, {@code
   * $5}...). Blocks up to 2 seconds.
   *
   * @throws IOException when the server does not answer
   */
  public String command(String... args) throws IOException {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", port), 2_000);
      s.setSoTimeout(2_000);
      StringBuilder req = new StringBuilder("*").append(args.length).append("\r\n");
      for (String a : args) {
        byte[] b = a.getBytes(StandardCharsets.UTF_8);
        req.append('$').append(b.length).append("\r\n").append(a).append("\r\n");
      }
      OutputStream out = s.getOutputStream();
      out.write(req.toString().getBytes(StandardCharsets.UTF_8));
      out.flush();
      String line =
          new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8))
              .readLine();
      if (line == null) {
        throw new IOException("redis-server closed the connection");
      }
      return line;
    }
  }

  /** Deletes every key ({@code FLUSHALL}), as when Redis loses its data. */
  public void flushAll() {
    try {
      String reply = command("FLUSHALL");
      if (!"+OK".equals(reply)) {
        throw new IllegalStateException("FLUSHALL answered " + reply);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Freezes the server with SIGSTOP: its sockets stay open and take bytes, but it answers nothing
   * until {@link #thaw()}. Blocks until {@code kill} returned.
   */
  public void freeze() {
    signal("STOP");
  }

  /**
   * Kills the server with SIGKILL (even when frozen: it runs nothing it had not run) and waits
   * until it exited; {@link #restart()} starts it again, empty.
   */
  public void kill() {
    if (process == null || !process.isAlive()) {
      return;
    }
    try {
      process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Resumes a server frozen by {@link #freeze()} with SIGCONT. Idempotent. */
  public void thaw() {
    signal("CONT");
  }

  private void signal(String name) {
    if (process == null || !process.isAlive()) {
      throw new IllegalStateException("redis-server is not running");
    }
    try {
      int rc =
          new ProcessBuilder("kill", "-" + name, Long.toString(process.pid()))
              .inheritIO()
              .start()
              .waitFor();
      if (rc != 0) {
        throw new IllegalStateException("kill -" + name + " answered " + rc);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while sending SIG" + name, e);
    }
  }

  /** Stops the server (SIGTERM, then SIGKILL after 5 s) and waits until it exited. Idempotent. */
  public void stop() {
    if (process == null || !process.isAlive()) {
      return;
    }
    thaw(); // a frozen server would not act on SIGTERM
    process.destroy();
    try {
      if (!process.waitFor(5, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      process.destroyForcibly();
    }
  }

  /** Starts the server again on the same port, empty; blocks until it answers PING. */
  public void restart() {
    stop();
    launch();
  }

  /** The server's log so far, for failure messages. */
  public String log() {
    try {
      return Files.readString(dir.resolve("redis.log"));
    } catch (IOException e) {
      return "(no log: " + e.getMessage() + ")";
    }
  }

  /** Stops the server and deletes its directory. */
  @Override
  public void close() {
    stop();
    try (Stream<Path> files = Files.walk(dir)) {
      List<Path> all = new ArrayList<>(files.sorted(Comparator.reverseOrder()).toList());
      for (Path p : all) {
        Files.deleteIfExists(p);
      }
    } catch (IOException e) {
      // a temp dir left behind is harmless
    }
  }

  @Override
  public String toString() {
    return "redis-server on " + uri();
  }
}
