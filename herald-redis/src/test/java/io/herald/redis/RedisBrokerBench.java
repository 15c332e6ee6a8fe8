package io.herald.redis;

import io.herald.core.Broker;
import io.herald.core.BrokerListener;
import io.herald.core.HistoryConfig;
import io.herald.core.MemoryBroker;
import io.herald.core.Message;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A hand-run measurement of the brokers (never run by the build): publications per second through
 * {@link RedisBroker}, and the publish-to-delivery delay through Redis against {@link
 * MemoryBroker}. Starts its own redis-server unless {@code -Dredis=redis://host:port} is given.
 *
 * <pre>
 * java -cp "$(cat cp.txt):herald-redis/target/classes:herald-redis/target/test-classes" \
 *   io.herald.redis.RedisBrokerBench [publications=200000] [inFlight=256] [channels=1] [latencySamples=5000]
 * </pre>
 */
public final class RedisBrokerBench {
  private RedisBrokerBench() {}

  public static void main(String[] args) throws Exception {
    int publications = args.length > 0 ? Integer.parseInt(args[0]) : 200_000;
    int inFlight = args.length > 1 ? Integer.parseInt(args[1]) : 256;
    int channels = args.length > 2 ? Integer.parseInt(args[2]) : 1;
    int samples = args.length > 3 ? Integer.parseInt(args[3]) : 5_000;
    String uri = System.getProperty("redis");
    RedisServerProcess own = uri == null ? RedisServerProcess.start() : null;
    String redisUri = uri != null ? uri : own.uri();
    try {
      long t0 = System.nanoTime();
      try (RedisBroker redis = new RedisBroker(redisUri, HistoryConfig.DEFAULT)) {
        long constructed = System.nanoTime();
        awaitAvailable(redis);
        System.out.printf(
            Locale.ROOT,
            "redis  broker constructed in %d ms, available after %d ms%n",
            (constructed - t0) / 1_000_000,
            (System.nanoTime() - t0) / 1_000_000);
        redis.start(new Noop());
        rate("redis", redis, publications / 10, inFlight, channels); // warm-up
        rate("redis", redis, publications, inFlight, channels);
      }
      try (MemoryBroker memory = new MemoryBroker(HistoryConfig.DEFAULT)) {
        memory.start(new Noop());
        rate("memory", memory, publications, inFlight, channels);
      }
      RedisBroker forLatency = new RedisBroker(redisUri, HistoryConfig.DEFAULT);
      awaitAvailable(forLatency);
      latency("redis", forLatency, samples);
      latency("memory", new MemoryBroker(HistoryConfig.DEFAULT), samples);
    } finally {
      if (own != null) {
        own.close();
      }
    }
  }

  private static void awaitAvailable(RedisBroker broker) {
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!broker.isAvailable()) {
      if (System.nanoTime() > until) {
        throw new IllegalStateException(
            "redis at " + broker.describe() + " not available after 30 s");
      }
      java.util.concurrent.locks.LockSupport.parkNanos(1_000_000);
    }
  }

  private static final class Noop implements BrokerListener {
    @Override
    public void onMessage(Message message) {}

    @Override
    public void onResync(String channel) {}
  }

  /** Publishes {@code n} messages of 32 bytes with at most {@code inFlight} unanswered. */
  private static void rate(String name, Broker broker, int n, int inFlight, int channels)
      throws InterruptedException {
    byte[] data = "{\"sym\":\"BTC\",\"px\":42000.5,\"q\":1}".getBytes(StandardCharsets.UTF_8);
    String prefix = "bench:" + Long.toString(System.nanoTime(), 36) + ":";
    Semaphore window = new Semaphore(inFlight);
    CountDownLatch done = new CountDownLatch(n);
    AtomicReference<Throwable> failure = new AtomicReference<>();
    long t0 = System.nanoTime();
    for (int i = 0; i < n; i++) {
      window.acquire();
      broker
          .publish(prefix + (i % channels), "message", data)
          .whenComplete(
              (m, e) -> {
                if (e != null) {
                  failure.compareAndSet(null, e);
                }
                window.release();
                done.countDown();
              });
    }
    done.await(10, TimeUnit.MINUTES);
    double seconds = (System.nanoTime() - t0) / 1e9;
    if (failure.get() != null) {
      throw new IllegalStateException("a publication failed", failure.get());
    }
    System.out.printf(
        Locale.ROOT,
        "%-6s publish rate: %,d publications in %.2f s = %,.0f /s (%d in flight, %d channels)%n",
        name,
        n,
        seconds,
        n / seconds,
        inFlight,
        channels);
  }

  /**
   * Publishes {@code samples} messages one at a time to a subscribed channel, each after the
   * previous one was delivered, and prints the delay from the publish call to the listener.
   */
  private static void latency(String name, Broker broker, int samples) throws Exception {
    long[] delays = new long[samples];
    AtomicLong sentAt = new AtomicLong();
    AtomicReference<CountDownLatch> arrived = new AtomicReference<>();
    try (broker) {
      broker.start(
          new BrokerListener() {
            @Override
            public void onMessage(Message m) {
              long now = System.nanoTime();
              delays[(int) (m.offset() - 1) % samples] = now - sentAt.get();
              arrived.get().countDown();
            }

            @Override
            public void onResync(String channel) {}
          });
      String ch = "bench:latency:" + Long.toString(System.nanoTime(), 36);
      broker.subscribe(ch).get(10, TimeUnit.SECONDS);
      byte[] data = "{\"n\":1}".getBytes(StandardCharsets.UTF_8);
      for (int i = 0; i < samples; i++) {
        CountDownLatch latch = new CountDownLatch(1);
        arrived.set(latch);
        sentAt.set(System.nanoTime());
        broker.publish(ch, "message", data);
        if (!latch.await(10, TimeUnit.SECONDS)) {
          throw new IllegalStateException("message " + (i + 1) + " not delivered in 10 s");
        }
      }
    }
    Arrays.sort(delays);
    System.out.printf(
        Locale.ROOT,
        "%-6s publish-to-delivery: median %.1f us, p90 %.1f us, p99 %.1f us, max %.1f us (%d samples)%n",
        name,
        delays[samples / 2] / 1e3,
        delays[samples * 9 / 10] / 1e3,
        delays[samples * 99 / 100] / 1e3,
        delays[samples - 1] / 1e3,
        samples);
  }
}
