package io.herald.server;

import static io.herald.server.TestClients.channel;
import static io.herald.server.TestClients.get;
import static io.herald.server.TestClients.publish;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The repo's {@code deploy/nginx-poll-cache.conf}, run by Debian's nginx in front of Herald (with a
 * relay between them that counts the polls reaching Herald): many identical short polls of a public
 * namespace with {@code poll-cache-seconds} cost Herald one request; long polls, requests with
 * credentials and polls of uncached namespaces all reach it; an expired entry is revalidated with
 * {@code If-None-Match}.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
@ExtendWith(LeakDetection.class)
class NginxPollCacheIT {
  static final Path NGINX = Path.of("/usr/sbin/nginx");
  private static final String API_KEY = "nginx-cache-test-key-0123456789";
  private static final String POLL = "GET /channels/";
  private static final String REVALIDATION = "If-None-Match:";
  private static final String NOT_MODIFIED = "HTTP/1.1 304";

  @TempDir static Path dir;
  private static HeraldServer herald;
  private static CountingRelay relay;
  private static Process nginx;
  private static String base;

  /** The repo's nginx file, with this test's cache directory, upstream and listening port. */
  static String repoConfig(Path cacheDir, int upstreamPort, int listenPort) throws IOException {
    Path file = Path.of("..", "deploy", "nginx-poll-cache.conf");
    String conf = Files.readString(file, StandardCharsets.UTF_8);
    String[][] swaps = {
      {"/var/cache/nginx/herald-polls", cacheDir.toString()},
      {"server 127.0.0.1:8080;", "server 127.0.0.1:" + upstreamPort + ";"},
      {"listen 80;", "listen 127.0.0.1:" + listenPort + ";"},
    };
    for (String[] s : swaps) {
      assertThat(conf).as("deploy/nginx-poll-cache.conf holds " + s[0]).contains(s[0]);
      conf = conf.replace(s[0], s[1]);
    }
    return conf;
  }

  /** Starts nginx (in the foreground, its own prefix) with {@code httpBlock} in {@code http {}}. */
  static Process startNginx(Path prefix, String httpBlock, int port) throws Exception {
    Files.createDirectories(prefix.resolve("logs"));
    Files.createDirectories(prefix.resolve("temp"));
    String conf =
        (System.getProperty("user.name").equals("root") ? "user root;\n" : "")
            + "worker_processes 1;\n"
            + "pid "
            + prefix.resolve("nginx.pid")
            + ";\nerror_log "
            + prefix.resolve("logs/error.log")
            + " warn;\nevents { worker_connections 4096; }\nhttp {\n"
            + "access_log off;\n"
            + "client_body_temp_path "
            + prefix.resolve("temp/body")
            + ";\nproxy_temp_path "
            + prefix.resolve("temp/proxy")
            + ";\nfastcgi_temp_path "
            + prefix.resolve("temp/fastcgi")
            + ";\nuwsgi_temp_path "
            + prefix.resolve("temp/uwsgi")
            + ";\nscgi_temp_path "
            + prefix.resolve("temp/scgi")
            + ";\n"
            + httpBlock
            + "\n}\n";
    Path confFile = prefix.resolve("nginx.conf");
    Files.writeString(confFile, conf, StandardCharsets.UTF_8);
    Process p =
        new ProcessBuilder(
                NGINX.toString(),
                "-p",
                prefix.toString(),
                "-c",
                confFile.toString(),
                "-e",
                prefix.resolve("logs/error.log").toString(),
                "-g",
                "daemon off;")
            .redirectErrorStream(true)
            .redirectOutput(prefix.resolve("logs/stdout.log").toFile())
            .start();
    await()
        .atMost(Duration.ofSeconds(20))
        .pollInterval(Duration.ofMillis(50))
        .until(
            () -> {
              if (!p.isAlive()) {
                throw new AssertionError(
                    "nginx stopped: "
                        + Files.readString(prefix.resolve("logs/error.log"))
                        + Files.readString(prefix.resolve("logs/stdout.log")));
              }
              try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
                return true;
              } catch (IOException e) {
                return false;
              }
            });
    return p;
  }

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  @BeforeAll
  static void start() throws Exception {
    assumeTrue(Files.isExecutable(NGINX), "Debian's nginx is installed (test.sh installs it)");
    Path yaml = dir.resolve("herald.yaml");
    Files.writeString(
        yaml,
        """
        api-key: %s
        namespaces:
          feed:  { subscribe: public, publish: public, poll-cache-seconds: 60 }
          brief: { subscribe: public, publish: public, poll-cache-seconds: 1 }
          open:  { subscribe: public, publish: public }
        """
            .formatted(API_KEY),
        StandardCharsets.UTF_8);
    herald =
        HeraldServer.start(
            ServeCommand.configFrom(Map.of(), "--port", "0", "--config", yaml.toString()));
    relay = new CountingRelay(herald.port(), List.of(POLL, REVALIDATION), List.of(NOT_MODIFIED));
    int port = freePort();
    Path prefix = dir.resolve("nginx");
    Files.createDirectories(prefix);
    nginx = startNginx(prefix, repoConfig(prefix.resolve("cache"), relay.port(), port), port);
    base = "http://127.0.0.1:" + port;
  }

  @AfterAll
  static void stop() throws Exception {
    if (nginx != null) {
      nginx.destroy();
      if (!nginx.waitFor(10, TimeUnit.SECONDS)) {
        nginx.destroyForcibly();
      }
    }
    if (relay != null) {
      relay.close();
    }
    if (herald != null) {
      herald.close();
    }
  }

  /** GETs {@code url} {@code n} times from 10 threads at once; returns the answers. */
  private static List<HttpResponse<String>> many(int n, String url, String... headers) {
    ExecutorService pool = Executors.newFixedThreadPool(10);
    try {
      List<CompletableFuture<HttpResponse<String>>> all = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        all.add(CompletableFuture.supplyAsync(() -> get(url, headers), pool));
      }
      return all.stream().map(CompletableFuture::join).toList();
    } finally {
      pool.shutdown();
    }
  }

  @Test
  void fiftyIdenticalShortPollsWithinMaxAgeReachHeraldOnce() {
    String ch = "feed:" + channel("nginx");
    publish(herald.baseUrl(), ch, "{\"n\":1}");
    String url = base + "/channels/" + ch + "?since=0";
    int before = relay.count(POLL);
    List<HttpResponse<String>> answers = many(50, url);
    assertThat(answers).allSatisfy(r -> assertThat(r.statusCode()).isEqualTo(200));
    assertThat(answers.stream().map(HttpResponse::body).distinct()).hasSize(1);
    assertThat(answers.get(0).body()).contains("{\"n\":1}");
    assertThat(answers.get(0).headers().firstValue("Cache-Control")).hasValue("public, max-age=60");
    assertThat(relay.count(POLL) - before).isEqualTo(1);

    // the client's own If-None-Match is answered by nginx from the cached ETag
    String tag = answers.get(0).headers().firstValue("ETag").orElseThrow();
    HttpResponse<String> notModified = get(url, "If-None-Match", tag);
    assertThat(notModified.statusCode()).isEqualTo(304);
    assertThat(relay.count(POLL) - before).isEqualTo(1);
  }

  @Test
  void longPollsCredentialsAndUncachedNamespacesAlwaysReachHerald() {
    String feed = "feed:" + channel("nginx-pass");
    String open = "open:" + channel("nginx-pass");
    publish(herald.baseUrl(), feed, "1");
    publish(herald.baseUrl(), open, "1");
    int before = relay.count(POLL);
    many(5, base + "/channels/" + open + "?since=0");
    assertThat(relay.count(POLL) - before).isEqualTo(5);
    many(5, base + "/channels/" + feed + "?since=0&wait=0");
    assertThat(relay.count(POLL) - before).isEqualTo(10);
    many(5, base + "/channels/" + feed + "?since=0", "Prefer", "wait=0");
    assertThat(relay.count(POLL) - before).isEqualTo(15);
    List<HttpResponse<String>> keyed = many(5, base + "/channels/" + feed, "X-Api-Key", API_KEY);
    assertThat(keyed.get(0).headers().firstValue("Cache-Control")).hasValue("private, no-store");
    assertThat(relay.count(POLL) - before).isEqualTo(20);
  }

  @Test
  void anExpiredEntryIsRevalidatedWithIfNoneMatchAndHeraldAnswers304() {
    String ch = "brief:" + channel("nginx-reval");
    publish(herald.baseUrl(), ch, "1");
    String url = base + "/channels/" + ch + "?since=0";
    HttpResponse<String> first = get(url);
    assertThat(first.statusCode()).isEqualTo(200);
    int asked = relay.count(REVALIDATION);
    int notModified = relay.count(NOT_MODIFIED);
    // after max-age (1 s) nginx asks Herald again with the cached ETag in If-None-Match; nothing
    // changed, so Herald answers 304 and nginx keeps serving the body it has
    await()
        .atMost(Duration.ofSeconds(30))
        .pollInterval(Duration.ofMillis(300))
        .untilAsserted(
            () -> {
              HttpResponse<String> r = get(url);
              assertThat(r.statusCode()).isEqualTo(200);
              assertThat(r.body()).isEqualTo(first.body());
              assertThat(relay.count(REVALIDATION)).isGreaterThan(asked);
              assertThat(relay.count(NOT_MODIFIED)).isGreaterThan(notModified);
            });
  }

  @Test
  void theReadmeQuotesTheTestedFile() throws IOException {
    String readme = Files.readString(Path.of("..", "README.md"), StandardCharsets.UTF_8);
    String section = readme.substring(readme.indexOf("## Caching polls behind nginx or a CDN"));
    int start = section.indexOf("```nginx\n") + "```nginx\n".length();
    String quoted = section.substring(start, section.indexOf("```\n", start));
    assertThat(quoted).contains("proxy_cache herald_polls;");
    assertThat(Files.readString(Path.of("..", "deploy", "nginx-poll-cache.conf"))).contains(quoted);
  }
}
