package io.herald.server.deploy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Debian's nginx or HAProxy running the repository's recipe ({@code deploy/nginx/herald.conf},
 * {@code deploy/haproxy/haproxy.cfg}) in the foreground, in a temporary directory, in front of two
 * Herald nodes. The recipe is used as written except for what a test must change, each a literal
 * line of the recipe replaced exactly once (so a recipe edit that the test no longer matches fails
 * loudly): the listening port, the two nodes' ports, file paths, and the proxy's silence timeout,
 * which the test shortens (with Herald's intervals shortened to match) to reach it quickly.
 *
 * <p>Needs {@code /usr/sbin/nginx} and {@code /usr/sbin/haproxy} (test.sh installs them). Not
 * thread-safe.
 */
public final class ProxyProcess implements AutoCloseable {
  /** Which proxy. */
  public enum Kind {
    NGINX,
    HAPROXY
  }

  private final Kind kind;
  private final int port;
  private final Path dir;
  private final Process process;

  private ProxyProcess(Kind kind, int port, Path dir, Process process) {
    this.kind = kind;
    this.port = port;
    this.dir = dir;
    this.process = process;
  }

  /**
   * Renders the recipe of {@code kind} for {@code nodes} and starts the proxy on a free loopback
   * port; returns once it accepts connections (at most 20 s).
   *
   * @param timeout the proxy's silence timeout, replacing the recipe's 75 s
   * @throws IllegalStateException when the proxy is missing, rejects its configuration or does not
   *     listen in time
   */
  public static ProxyProcess start(Kind kind, Duration timeout, int node1Port, int node2Port) {
    try {
      Path dir = Files.createTempDirectory("herald-" + kind.name().toLowerCase() + "-");
      int port = HeraldProcess.freePort();
      String seconds = timeout.toSeconds() + "s";
      List<String> cmd = new ArrayList<>();
      Path output = dir.resolve("output.log");
      if (kind == Kind.NGINX) {
        String conf = recipe("deploy/nginx/herald.conf");
        for (String temp : List.of("body", "proxy", "fastcgi", "uwsgi", "scgi")) {
          Files.createDirectories(dir.resolve(temp));
        }
        conf = replace(conf, "user www-data;", "user " + System.getProperty("user.name") + ";");
        conf = replace(conf, "worker_processes auto;", "worker_processes 1;");
        conf = replace(conf, "pid /run/nginx-herald.pid;", "pid " + dir.resolve("nginx.pid") + ";");
        conf =
            replace(
                conf,
                "error_log /var/log/nginx/herald-error.log warn;",
                "error_log " + dir.resolve("error.log") + " info;");
        conf =
            replace(
                conf,
                "access_log /var/log/nginx/herald-access.log;",
                "access_log "
                    + dir.resolve("access.log")
                    + ";\n"
                    + "    client_body_temp_path "
                    + dir.resolve("body")
                    + ";\n    proxy_temp_path "
                    + dir.resolve("proxy")
                    + ";\n    fastcgi_temp_path "
                    + dir.resolve("fastcgi")
                    + ";\n    uwsgi_temp_path "
                    + dir.resolve("uwsgi")
                    + ";\n    scgi_temp_path "
                    + dir.resolve("scgi")
                    + ";");
        conf = replace(conf, "listen 80;", "listen 127.0.0.1:" + port + ";");
        for (String pool : List.of("max_fails=3 fail_timeout=10s;", "max_fails=0;")) {
          conf =
              replace(
                  conf,
                  "server 127.0.0.1:8080 " + pool,
                  "server 127.0.0.1:" + node1Port + " " + pool);
          conf =
              replace(
                  conf,
                  "server 127.0.0.1:8081 " + pool,
                  "server 127.0.0.1:" + node2Port + " " + pool);
        }
        conf = replace(conf, "proxy_read_timeout 75s;", "proxy_read_timeout " + seconds + ";");
        conf = replace(conf, "proxy_send_timeout 75s;", "proxy_send_timeout " + seconds + ";");
        Path file = dir.resolve("nginx.conf");
        Files.writeString(file, conf);
        cmd.addAll(
            List.of(
                "/usr/sbin/nginx", "-p", dir + "/", "-c", file.toString(), "-g", "daemon off;"));
      } else {
        String cfg = recipe("deploy/haproxy/haproxy.cfg");
        cfg = replace(cfg, "maxconn 50000", "maxconn 4096");
        cfg = replace(cfg, "bind :80", "bind 127.0.0.1:" + port);
        cfg = replace(cfg, "server node1 127.0.0.1:8080", "server node1 127.0.0.1:" + node1Port);
        cfg = replace(cfg, "server node2 127.0.0.1:8081", "server node2 127.0.0.1:" + node2Port);
        cfg = replace(cfg, "timeout client 75s", "timeout client " + seconds);
        cfg = replace(cfg, "timeout server 75s", "timeout server " + seconds);
        cfg = replace(cfg, "timeout tunnel 75s", "timeout tunnel " + seconds);
        Path file = dir.resolve("haproxy.cfg");
        Files.writeString(file, cfg);
        cmd.addAll(List.of("/usr/sbin/haproxy", "-db", "-f", file.toString()));
      }
      if (!Files.isExecutable(Path.of(cmd.get(0)))) {
        throw new IllegalStateException(
            cmd.get(0) + " is missing: apt-get install -y nginx haproxy (test.sh does)");
      }
      Process process =
          new ProcessBuilder(cmd)
              .directory(dir.toFile())
              .redirectErrorStream(true)
              .redirectOutput(output.toFile())
              .start();
      // Never outlive the test JVM, even when it ends without closing this.
      Runtime.getRuntime().addShutdownHook(new Thread(process::destroyForcibly));
      ProxyProcess proxy = new ProxyProcess(kind, port, dir, process);
      proxy.awaitListening();
      return proxy;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The recipe's text, found from the working directory or one of its parents. */
  static String recipe(String relative) throws IOException {
    for (Path d = Path.of("").toAbsolutePath(); d != null; d = d.getParent()) {
      Path f = d.resolve(relative);
      if (Files.isRegularFile(f)) {
        return Files.readString(f, StandardCharsets.UTF_8);
      }
    }
    throw new IllegalStateException(relative + " not found above " + Path.of("").toAbsolutePath());
  }

  private static String replace(String text, String line, String by) {
    int at = text.indexOf(line);
    if (at < 0 || text.indexOf(line, at + 1) >= 0) {
      throw new IllegalStateException(
          "the recipe should hold \"" + line + "\" exactly once; update ProxyProcess");
    }
    return text.replace(line, by);
  }

  private void awaitListening() {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (true) {
      if (!process.isAlive()) {
        throw new IllegalStateException(kind + " exited:\n" + output());
      }
      try (Socket s = new Socket()) {
        s.connect(new InetSocketAddress("127.0.0.1", port), 1000);
        return;
      } catch (IOException notYet) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException(kind + " does not listen on " + port + ":\n" + output());
        }
      }
      try {
        process.waitFor(50, TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted", e);
      }
    }
  }

  /** Which proxy this is. */
  public Kind kind() {
    return kind;
  }

  /** {@code http://127.0.0.1:PORT}, the proxy's address. */
  public String baseUrl() {
    return "http://127.0.0.1:" + port;
  }

  /** What the proxy wrote: its output and, for nginx, its error log. */
  public String output() {
    StringBuilder b = new StringBuilder();
    for (String name : List.of("output.log", "error.log")) {
      Path f = dir.resolve(name);
      try {
        if (Files.exists(f)) {
          b.append(Files.readString(f, StandardCharsets.UTF_8));
        }
      } catch (IOException e) {
        b.append("(").append(name).append(" unreadable: ").append(e).append(")\n");
      }
    }
    return b.toString();
  }

  @Override
  public void close() {
    process.destroy();
    try {
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      process.destroyForcibly();
    }
    try (Stream<Path> files = Files.walk(dir)) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException ignored) {
      // a temporary directory
    }
  }

  @Override
  public String toString() {
    return kind.name().toLowerCase();
  }
}
