package io.herald.server.cluster;

import io.herald.redis.RedisServerProcess;
import io.herald.server.HeraldServer;
import io.herald.server.ServerConfig;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * A hand-run measurement (never run by the build): WebSocket subscribers spread over Herald nodes
 * on one channel; messages published through the nodes' hubs in turn. Prints delivered messages per
 * second and the publish-to-receipt delay (median, p99), for one node on the in-memory broker and
 * for three nodes on one Redis (a redis-server it starts itself).
 *
 * <pre>
 * java -cp "$(cat cp.txt):herald-server/target/classes:herald-server/target/test-classes:..." \
 *   io.herald.server.cluster.ClusterBench [subscribersPerNode=20] [messages=5000] [latencySamples=500]
 * </pre>
 */
public final class ClusterBench {
  private ClusterBench() {}

  public static void main(String[] args) throws Exception {
    int perNode = args.length > 0 ? Integer.parseInt(args[0]) : 20;
    int messages = args.length > 1 ? Integer.parseInt(args[1]) : 5_000;
    int samples = args.length > 2 ? Integer.parseInt(args[2]) : 500;
    run("memory, 1 node ", null, 1, perNode * 3, messages, samples);
    try (RedisServerProcess redis = RedisServerProcess.start()) {
      run("redis, 3 nodes ", redis.uri(), 3, perNode, messages, samples);
    }
  }

  /**
   * A WebSocket subscriber that counts messages and records the delay of those that carry a send
   * time.
   */
  static final class Subscriber implements WebSocket.Listener {
    final AtomicLong received;
    final ConcurrentLinkedQueue<Long> delays;
    private final StringBuilder partial = new StringBuilder();

    Subscriber(AtomicLong received, ConcurrentLinkedQueue<Long> delays) {
      this.received = received;
      this.delays = delays;
    }

    @Override
    public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
      partial.append(data);
      if (last) {
        String frame = partial.toString();
        partial.setLength(0);
        if (frame.startsWith("{\"type\":\"message\"")) {
          long now = System.nanoTime();
          received.incrementAndGet();
          int at = frame.indexOf("\"t\":");
          if (at >= 0) {
            int end = at + 4;
            while (end < frame.length() && Character.isDigit(frame.charAt(end))) {
              end++;
            }
            delays.add(now - Long.parseLong(frame.substring(at + 4, end)));
          }
        }
      }
      ws.request(1);
      return null;
    }
  }

  private static void run(
      String name, String broker, int nodeCount, int perNode, int messages, int samples)
      throws Exception {
    List<HeraldServer> nodes = new ArrayList<>();
    List<WebSocket> sockets = new ArrayList<>();
    HttpClient http = HttpClient.newHttpClient();
    try {
      for (int i = 0; i < nodeCount; i++) {
        ServerConfig.Builder b = ServerConfig.builder().port(0).historySize(10_000);
        if (broker != null) {
          b.broker(broker);
        }
        nodes.add(HeraldServer.start(b.build()));
      }
      String ch = "bench-" + Long.toString(System.nanoTime(), 36);
      AtomicLong received = new AtomicLong();
      ConcurrentLinkedQueue<Long> delays = new ConcurrentLinkedQueue<>();
      for (HeraldServer node : nodes) {
        for (int i = 0; i < perNode; i++) {
          sockets.add(
              http.newWebSocketBuilder()
                  .connectTimeout(Duration.ofSeconds(5))
                  .buildAsync(
                      URI.create(node.baseUrl().replaceFirst("^http", "ws") + "/channels/" + ch),
                      new Subscriber(received, delays))
                  .get(10, TimeUnit.SECONDS));
        }
      }
      int subscribers = sockets.size();
      long wait = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (nodes.stream().mapToInt(n -> n.hub().subscriberCount()).sum() < subscribers
          && System.nanoTime() < wait) {
        LockSupport.parkNanos(50_000);
      }

      // Delay: one message at a time, the next once every subscriber has the previous one.
      for (int i = 0; i < samples; i++) {
        long expect = received.get() + subscribers;
        byte[] data = ("{\"t\":" + System.nanoTime() + "}").getBytes(StandardCharsets.UTF_8);
        nodes.get(i % nodeCount).hub().publish(ch, "message", data).get(10, TimeUnit.SECONDS);
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (received.get() < expect && System.nanoTime() < until) {
          LockSupport.parkNanos(50_000);
        }
      }
      long[] d = delays.stream().mapToLong(Long::longValue).toArray();
      Arrays.sort(d);

      // Throughput: publish as fast as the broker takes them, 64 unanswered at most.
      received.set(0);
      byte[] data = "{\"sym\":\"BTC\",\"px\":42000.5,\"q\":1}".getBytes(StandardCharsets.UTF_8);
      Semaphore window = new Semaphore(64);
      long t0 = System.nanoTime();
      for (int i = 0; i < messages; i++) {
        window.acquire();
        nodes
            .get(i % nodeCount)
            .hub()
            .publish(ch, "message", data)
            .whenComplete((m, e) -> window.release());
      }
      long target = (long) messages * subscribers;
      long until = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
      while (received.get() < target && System.nanoTime() < until) {
        LockSupport.parkNanos(50_000);
      }
      double seconds = (System.nanoTime() - t0) / 1e9;
      System.out.printf(
          Locale.ROOT,
          "%s: %d WebSocket subscribers; delay publish->receipt median %.2f ms, p99 %.2f ms (%d deliveries); "
              + "%,d messages -> %,d of %,d deliveries in %.2f s = %,.0f deliveries/s (%,.0f publications/s)%n",
          name,
          subscribers,
          d[d.length / 2] / 1e6,
          d[d.length * 99 / 100] / 1e6,
          d.length,
          messages,
          received.get(),
          target,
          seconds,
          received.get() / seconds,
          messages / seconds);
    } finally {
      for (WebSocket ws : sockets) {
        ws.abort();
      }
      for (HeraldServer node : nodes) {
        node.close();
      }
    }
  }
}
