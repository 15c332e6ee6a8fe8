package io.herald.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.herald.core.Json;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A server in a child JVM with a small heap ({@code -Xmx128m}, {@code -XX:+ExitOnOutOfMemoryError})
 * and small budgets, flooded over real sockets with far more large messages than its heap holds and
 * with far more new channels than it allows: it stays up, {@code /health} answers, every refusal is
 * a clear {@code 503 over_capacity}, and its heap after a full GC stays within its history budget
 * plus its baseline.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class SmallHeapIT {
  private static final int MAX_HISTORY_BYTES = 16 * 1024 * 1024;
  private static final int MAX_CHANNELS = 500;
  private static final Pattern BASE = Pattern.compile("health\\s+(http://\\S+)/health");
  private static final Pattern HEAP_USED = Pattern.compile("used (\\d+)K");

  private final HttpClient http =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(5))
          .build();
  private Process server;

  @AfterEach
  void stop() throws InterruptedException {
    if (server != null) {
      server.destroy();
      if (!server.waitFor(20, TimeUnit.SECONDS)) {
        server.destroyForcibly();
      }
    }
  }

  private static String java() {
    return Path.of(System.getProperty("java.home"), "bin", "java").toString();
  }

  /** Starts the server and returns its base URL, read from its start-up lines. */
  private String start(String... options) throws IOException {
    List<String> command = new ArrayList<>();
    command.add(java());
    command.add("-Xmx128m");
    command.add("-XX:+ExitOnOutOfMemoryError");
    Path jar = Path.of("target", "herald.jar");
    if (Files.isRegularFile(jar)) {
      command.add("-jar");
      command.add(jar.toString());
    } else {
      command.add("-cp");
      command.add(System.getProperty("java.class.path"));
      command.add(Main.class.getName());
    }
    command.add("serve");
    command.addAll(List.of(options));
    Path log = Path.of("target", "small-heap-server.log");
    server =
        new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.to(log.toFile())).start();
    BufferedReader out =
        new BufferedReader(new InputStreamReader(server.getInputStream(), StandardCharsets.UTF_8));
    CompletableFuture<String> base = new CompletableFuture<>();
    Thread reader =
        new Thread(
            () -> {
              try {
                for (String line; (line = out.readLine()) != null; ) {
                  Matcher m = BASE.matcher(line);
                  if (m.find()) {
                    base.complete(m.group(1));
                  }
                }
              } catch (IOException e) {
                base.completeExceptionally(e);
              }
              base.completeExceptionally(new IllegalStateException("the server ended; see " + log));
            },
            "small-heap-stdout");
    reader.setDaemon(true);
    reader.start();
    return base.orTimeout(60, TimeUnit.SECONDS).join();
  }

  private CompletableFuture<HttpResponse<String>> publish(
      String base, String channel, byte[] body) {
    return http.sendAsync(
        HttpRequest.newBuilder(URI.create(base + "/channels/" + channel))
            .timeout(Duration.ofSeconds(30))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofByteArray(body))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> get(String url) throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).GET().build(),
        HttpResponse.BodyHandlers.ofString());
  }

  /** The child's heap in use after a full GC, in bytes, read with {@code jcmd}. */
  private long heapUsedAfterGc() throws Exception {
    String jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd").toString();
    String pid = Long.toString(server.pid());
    run(jcmd, pid, "GC.run");
    String info = run(jcmd, pid, "GC.heap_info");
    Matcher m = HEAP_USED.matcher(info);
    assertThat(m.find()).as(info).isTrue();
    return Long.parseLong(m.group(1)) * 1024;
  }

  private static String run(String... command) throws Exception {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    return out;
  }

  /** Counts the messages a WebSocket subscriber receives, keeping none. */
  static final class Counter implements WebSocket.Listener {
    final AtomicInteger messages = new AtomicInteger();
    final CompletableFuture<Integer> closed = new CompletableFuture<>();

    @Override
    public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
      if (last) {
        messages.incrementAndGet();
      }
      ws.request(1);
      return null;
    }

    @Override
    public CompletionStage<?> onClose(WebSocket ws, int statusCode, String reason) {
      closed.complete(statusCode);
      return null;
    }
  }

  @Test
  void aSmallHeapSurvivesFloodsOfLargeMessagesAndNewChannelsWithinItsBudgets() throws Exception {
    String base =
        start(
            "--port",
            "0",
            "--max-history-bytes",
            Integer.toString(MAX_HISTORY_BYTES),
            "--history-bytes",
            Integer.toString(4 * 1024 * 1024),
            "--max-active-channels",
            Integer.toString(MAX_CHANNELS),
            "--channel-idle-seconds",
            "600");
    String prefix = "smallheap-" + Long.toString(System.nanoTime() % 1_000_000, 36);
    // A well-behaved subscriber on one of the flooded channels, over WebSocket.
    Counter counter = new Counter();
    WebSocket ws =
        http.newWebSocketBuilder()
            .buildAsync(
                URI.create(base.replace("http", "ws") + "/channels/" + prefix + "-big-0"), counter)
            .join();

    // 1. 3,000 messages of 60 KB on 40 channels: 180 MB, more than the whole heap.
    byte[] big = ("{\"pad\":\"" + "x".repeat(60_000) + "\"}").getBytes(StandardCharsets.UTF_8);
    Semaphore inFlight = new Semaphore(8);
    List<CompletableFuture<HttpResponse<String>>> floods = new ArrayList<>();
    for (int i = 0; i < 3_000; i++) {
      inFlight.acquire();
      CompletableFuture<HttpResponse<String>> f = publish(base, prefix + "-big-" + (i % 40), big);
      f.whenComplete((r, e) -> inFlight.release());
      floods.add(f);
    }
    for (CompletableFuture<HttpResponse<String>> f : floods) {
      HttpResponse<String> r = f.get(60, TimeUnit.SECONDS);
      assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
    }
    assertThat(server.isAlive()).isTrue();
    assertThat(get(base + "/health").statusCode()).isEqualTo(200);

    // 2. 2,000 new channels where at most 500 may be active: the rest are refused, clearly.
    Map<Integer, AtomicInteger> statuses = new ConcurrentHashMap<>();
    List<CompletableFuture<HttpResponse<String>>> news = new ArrayList<>();
    byte[] small = "1".getBytes(StandardCharsets.UTF_8);
    for (int i = 0; i < 2_000; i++) {
      inFlight.acquire();
      CompletableFuture<HttpResponse<String>> f = publish(base, prefix + "-new-" + i, small);
      f.whenComplete((r, e) -> inFlight.release());
      news.add(f);
    }
    String refusal = null;
    for (CompletableFuture<HttpResponse<String>> f : news) {
      HttpResponse<String> r = f.get(60, TimeUnit.SECONDS);
      statuses.computeIfAbsent(r.statusCode(), s -> new AtomicInteger()).incrementAndGet();
      if (r.statusCode() == 503) {
        refusal = r.body();
      }
    }
    assertThat(statuses.keySet()).as("statuses %s", statuses).containsOnly(201, 503);
    assertThat(statuses.get(201).get()).isLessThanOrEqualTo(MAX_CHANNELS - 40);
    JsonNode error = Json.MAPPER.readTree(refusal).get("error");
    assertThat(error.get("code").asText()).isEqualTo("over_capacity");
    assertThat(error.get("message").asText())
        .contains("limit of " + MAX_CHANNELS + " active channels")
        .contains("server limit");

    // 3. Still up and serving; the subscriber still receives; the heap holds the budget.
    assertThat(server.isAlive()).isTrue();
    HttpResponse<String> health = get(base + "/health");
    assertThat(health.statusCode()).isEqualTo(200);
    int before = counter.messages.get();
    assertThat(publish(base, prefix + "-big-0", big).get(30, TimeUnit.SECONDS).statusCode())
        .isEqualTo(201);
    await().atMost(Duration.ofSeconds(20)).until(() -> counter.messages.get() > before);
    long used = heapUsedAfterGc();
    System.out.printf(
        "small heap: %d MB used after GC with a %d MB history budget%n",
        used >> 20, MAX_HISTORY_BYTES >> 20);
    // the budget plus the server's own baseline (classes' heap objects, buffers, 500 channels)
    assertThat(used).isLessThan(MAX_HISTORY_BYTES + 48L * 1024 * 1024);
    ws.abort();
  }
}
