package io.herald.bench;

import io.herald.core.Transport;
import io.netty.channel.Channel;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollEventLoopGroup;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.AttributeKey;
import io.netty.util.concurrent.EventExecutor;
import java.lang.management.ManagementFactory;
import java.lang.management.OperatingSystemMXBean;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.HdrHistogram.Histogram;

/**
 * Runs one {@link RunSpec}: opens the subscribers (throttled), samples the server, publishes (open
 * loop) or holds, drains, closes everything and returns the {@link RunResult}. Blocking; call from
 * a plain thread (never an event loop). Each run has its own event loops and fresh channel names.
 */
final class Runner {
  /** The publisher's channel index of the request in flight on a connection. */
  static final AttributeKey<Integer> CHANNEL_INDEX =
      AttributeKey.valueOf("herald.bench.channelIndex");

  /**
   * The most connections one bench process opens: the open-file limit of this machine is 20,000.
   */
  static final int MAX_CONNECTIONS = 19_000;

  private static final double[] PERCENTILES = {
    0, 10, 25, 50, 75, 90, 95, 99, 99.5, 99.9, 99.95, 99.99, 100
  };

  private final RunSpec s;
  private final Random random = new Random();
  private List<Transport> mix;
  private Sidecar sidecar;

  Runner(RunSpec spec) {
    this.s = spec;
    this.mix = List.of(spec.transport());
  }

  /**
   * Something that runs beside the subscribers of a run (the hostile scenario's attackers): started
   * once every subscriber is connected (before the warm-up), stopped after the drain, before the
   * subscribers close. Called from the runner's thread.
   */
  interface Sidecar {
    /** Starts; returns at once. */
    void start();

    /** A short text appended to the progress line, e.g. {@code atk open 120 stopped 30}. */
    String progress();

    /** Stops and closes everything it opened; blocks until its accounting is final. */
    void stop() throws InterruptedException;
  }

  /**
   * Spreads the subscribers over several transports, round robin (subscriber i uses {@code
   * transports.get(i % size)}), instead of the spec's one transport.
   */
  Runner transports(List<Transport> transports) {
    if (transports.isEmpty()) {
      throw new IllegalArgumentException("at least one transport");
    }
    this.mix = List.copyOf(transports);
    return this;
  }

  /** Runs {@code sidecar} beside the subscribers (see {@link Sidecar}). */
  Runner sidecar(Sidecar sidecar) {
    this.sidecar = sidecar;
    return this;
  }

  /**
   * Fails with a clear message when {@code connections} (plus a margin for jars, epoll and the
   * publisher) do not fit under the process's open-file limit or the bench's cap.
   */
  static void checkOpenFiles(int connections) {
    if (connections > MAX_CONNECTIONS) {
      throw new IllegalArgumentException(
          connections
              + " connections asked; one bench process opens at most "
              + MAX_CONNECTIONS
              + " (the machine allows 20,000 open files per process). Run several bench processes.");
    }
    OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
    if (os instanceof com.sun.management.UnixOperatingSystemMXBean) {
      com.sun.management.UnixOperatingSystemMXBean u =
          (com.sun.management.UnixOperatingSystemMXBean) os;
      long limit = u.getMaxFileDescriptorCount();
      long open = u.getOpenFileDescriptorCount();
      long need = open + connections + 64;
      if (need > limit) {
        throw new IllegalArgumentException(
            "need about "
                + need
                + " open files ("
                + connections
                + " connections + "
                + open
                + " already open + 64 spare) but the limit (ulimit -n) is "
                + limit
                + "; raise it (ulimit -n) or ask for fewer subscribers");
      }
    }
  }

  RunResult run() throws InterruptedException {
    int pubConns =
        s.publishConnections() > 0 ? s.publishConnections() : (s.target().herald() ? 4 : 1);
    boolean publishing = s.scenario() != Scenario.IDLE;
    checkOpenFiles(s.subscribers() + (publishing ? pubConns : 0));
    boolean epoll = Epoll.isAvailable();
    EventLoopGroup group =
        epoll ? new EpollEventLoopGroup(s.loops()) : new NioEventLoopGroup(s.loops());
    // The publisher gets a loop of its own, so that busy subscribers never delay its schedule.
    EventLoopGroup pubGroup = epoll ? new EpollEventLoopGroup(1) : new NioEventLoopGroup(1);
    Class<? extends Channel> channelClass =
        epoll ? EpollSocketChannel.class : NioSocketChannel.class;
    try {
      return run(group, pubGroup, channelClass, pubConns);
    } finally {
      group.shutdownGracefully(0, 2, TimeUnit.SECONDS).await(10, TimeUnit.SECONDS);
      pubGroup.shutdownGracefully(0, 2, TimeUnit.SECONDS).await(10, TimeUnit.SECONDS);
    }
  }

  private RunResult run(
      EventLoopGroup group,
      EventLoopGroup pubGroup,
      Class<? extends Channel> channelClass,
      int pubConns)
      throws InterruptedException {
    Stats stats = new Stats(group, s.scenario() == Scenario.CHURN);
    String base =
        "bench-"
            + s.scenario().wireName()
            + "-"
            + Long.toString(Math.abs(random.nextLong()) % 2_000_000_000L, 36);
    List<String> channels = new ArrayList<>();
    if (s.scenario() == Scenario.MANY_CHANNELS) {
      for (int i = 0; i < s.subscribers(); i++) {
        channels.add(base + "-" + i);
      }
    } else {
      channels.add(base);
    }
    Subscriber[] subs = new Subscriber[s.subscribers()];
    for (int i = 0; i < subs.length; i++) {
      int ci = i % channels.size();
      subs[i] = new Subscriber(i, channels.get(ci), ci);
    }
    Clients[] clients = new Clients[mix.size()];
    for (int i = 0; i < clients.length; i++) {
      clients[i] =
          new Clients(
              group,
              channelClass,
              s.target(),
              mix.get(i),
              stats,
              s.sourceAddresses(),
              s.pollIntervalMillis(),
              s.longPollWaitSeconds(),
              Math.max(65536, s.size() * 2 + 4096));
    }
    String transportName =
        String.join("+", mix.stream().map(Transport::wireName).toArray(String[]::new));
    long pid = s.target().pid;
    List<RunResult.Second> timeline = new ArrayList<>();
    Progress progress = new Progress(stats, pid, timeline, subs.length);

    say(
        "%s %s %s: %d subscribers, %s%s",
        s.target().name,
        transportName,
        s.scenario(),
        subs.length,
        s.scenario() == Scenario.IDLE
            ? "hold " + s.durationSeconds() + " s"
            : s.rate() + " msg/s of " + s.size() + " B for " + s.durationSeconds() + " s",
        pid > 0 ? ", server pid " + pid : "");
    ProcStats.Sample before = ProcStats.sample(pid);

    // Connect, at most connectConcurrency at a time.
    long c0 = System.nanoTime();
    long deadline = c0 + TimeUnit.SECONDS.toNanos(s.connectTimeoutSeconds());
    progress.phase("connect");
    for (int i = 0; i < subs.length; i++) {
      while (i - stats.ready.sum() - stats.connectFailures.sum() >= s.connectConcurrency()
          && System.nanoTime() < deadline) {
        Thread.sleep(1);
        progress.maybeTick(Double.NaN);
      }
      clients[i % clients.length].connect(subs[i]);
    }
    while (stats.ready.sum() + stats.connectFailures.sum() < subs.length
        && System.nanoTime() < deadline) {
      Thread.sleep(5);
      progress.maybeTick(Double.NaN);
    }
    double connectSeconds = (System.nanoTime() - c0) / 1e9;
    stats.harvestConnects();
    long ready = stats.ready.sum();
    say(
        "connected %d of %d in %.1f s (%d failed)",
        ready, subs.length, connectSeconds, stats.connectFailures.sum());
    if (ready == 0) {
      throw new IllegalStateException(
          "no subscriber could connect to " + s.target() + " over " + transportName);
    }
    Thread.sleep(1000); // let the server settle before the "connected" sample
    ProcStats.Sample connected = ProcStats.sample(pid);
    if (sidecar != null) {
      sidecar.start();
      progress.sidecar = sidecar;
    }

    Publisher publisher = null;
    long warmExpected = 0;
    if (publishing()) {
      publisher =
          new Publisher(
              pubGroup.next(),
              channelClass,
              s.target(),
              channels,
              s.size(),
              stats,
              s.publishPipeline() > 0 ? s.publishPipeline() : (s.target().herald() ? 1 : 16));
      publisher.open(pubConns);
      progress.publisher = publisher;
      if (s.warmupSeconds() > 0) {
        // Warm-up: same rate, not measured (JIT, buffers, pools), then wait for its deliveries.
        progress.phase("warmup");
        long d0 = stats.delivered.sum();
        CompletableFuture<Void> warm = publisher.start(s.rate(), s.warmupSeconds());
        while (!warm.isDone()) {
          Thread.sleep(5);
          progress.maybeTick(s.rate());
        }
        Publisher wp = publisher;
        long[] wc = onLoop(wp, () -> wp.published.clone());
        long want = 0;
        for (Subscriber sub : subs) {
          want += sub.ready ? wc[sub.channelIndex] : 0;
          warmExpected += wc[sub.channelIndex];
        }
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (stats.delivered.sum() - d0 < want && System.nanoTime() < until) {
          Thread.sleep(5);
          progress.maybeTick(0);
        }
      }
    }
    long delivered0 = stats.delivered.sum();
    long in0 = stats.bytesIn.sum();
    long out0 = stats.bytesOut.sum();
    long req0 = stats.requests.sum();
    stats.resetDelays();
    ProcStats.Sample self0 = ProcStats.self();
    ProcStats.Sample window0 = ProcStats.sample(pid);
    long w0 = System.nanoTime();
    long published = 0;
    long expected = 0;
    long[] pubCounts = null;
    double idleCores = 0;
    if (!publishing()) {
      progress.phase("idle");
      long end = w0 + (long) (s.durationSeconds() * 1e9);
      while (System.nanoTime() < end) {
        Thread.sleep(5);
        progress.maybeTick(0);
      }
      ProcStats.Sample after = ProcStats.sample(pid);
      idleCores = after != null && window0 != null ? after.coresSince(window0) : 0;
    } else {
      progress.phase("publish");
      w0 = System.nanoTime();
      CompletableFuture<Void> done = publisher.start(s.rate(), s.durationSeconds());
      double churnDebt = 0;
      long lastChurn = System.nanoTime();
      long pubDeadline = w0 + (long) ((s.durationSeconds() + 60) * 1e9);
      while (!done.isDone() && System.nanoTime() < pubDeadline) {
        Thread.sleep(5);
        progress.maybeTick(s.rate());
        if (s.scenario() == Scenario.CHURN) {
          long now = System.nanoTime();
          churnDebt += s.churnPerSecond() * (now - lastChurn) / 1e9;
          lastChurn = now;
          while (churnDebt >= 1) {
            churnDebt -= 1;
            int k = random.nextInt(subs.length);
            clients[k % clients.length].churn(subs[k]);
          }
        }
      }
      Publisher p = publisher;
      long[] counts = onLoop(p, () -> p.published.clone());
      pubCounts = counts;
      for (long c : counts) {
        published += c;
      }
      for (Subscriber sub : subs) {
        expected += counts[sub.channelIndex];
      }
      expected -= warmExpected; // the measured window's share
      // Drain: wait for the last deliveries (or for progress to stop).
      progress.phase("drain");
      long drainEnd = System.nanoTime() + TimeUnit.SECONDS.toNanos(s.drainSeconds());
      long lastCount = -1;
      long lastChange = System.nanoTime();
      // Everything published so far (warm-up included) against everything received so far.
      long expectedReady = 0;
      for (Subscriber sub : subs) {
        if (sub.ready) {
          expectedReady += counts[sub.channelIndex];
        }
      }
      while (System.nanoTime() < drainEnd) {
        long got = stats.delivered.sum();
        if (got >= expectedReady && s.scenario() != Scenario.CHURN) {
          break;
        }
        if (got != lastCount) {
          lastCount = got;
          lastChange = System.nanoTime();
        } else if (System.nanoTime() - lastChange > TimeUnit.SECONDS.toNanos(3)) {
          break;
        }
        Thread.sleep(5);
        progress.maybeTick(0);
      }
    }
    long w1 = System.nanoTime();
    ProcStats.Sample window1 = ProcStats.sample(pid);
    ProcStats.Sample self1 = ProcStats.self();
    progress.finish();
    long delivered = stats.delivered.sum() - delivered0;
    long bytesIn = stats.bytesIn.sum() - in0;
    long bytesOut = stats.bytesOut.sum() - out0;
    long requests = stats.requests.sum() - req0;
    long lastReceipt = stats.lastReceiptNanos();
    double publishSeconds =
        publishing()
            ? (Math.max(lastReceipt, w0 + (long) (s.durationSeconds() * 1e9)) - w0) / 1e9
            : (w1 - w0) / 1e9;

    if (sidecar != null) {
      sidecar.stop();
    }
    // Stop: close every connection, then read the subscribers' accounts on their loops.
    stats.stopping = true;
    if (publisher != null) {
      publisher.close();
    }
    for (Subscriber sub : subs) {
      if (sub.conn != null) {
        sub.conn.close();
      }
    }
    for (EventExecutor e : group) {
      e.submit(() -> {}).await(10, TimeUnit.SECONDS);
    }
    long lost = 0;
    long dups = 0;
    long holes = 0;
    if (pubCounts != null) {
      long[] counts = pubCounts;
      for (Subscriber sub : subs) {
        if (sub.ready) {
          lost += Math.max(0, counts[sub.channelIndex] - sub.distinct);
          dups += sub.backwards;
          holes += sub.holes;
        }
      }
    }
    Histogram d = stats.totalDelays;
    List<double[]> pct = new ArrayList<>();
    for (double p : PERCENTILES) {
      pct.add(new double[] {p, d.getTotalCount() == 0 ? 0 : ms(d.getValueAtPercentile(p))});
    }
    RunResult.Delay delay =
        new RunResult.Delay(
            d.getTotalCount(),
            ms(d.getValueAtPercentile(50)),
            ms(d.getValueAtPercentile(90)),
            ms(d.getValueAtPercentile(99)),
            ms(d.getValueAtPercentile(99.9)),
            ms(d.getMaxValue()),
            d.getTotalCount() == 0 ? 0 : d.getMean() / 1000.0,
            pct);
    RunResult.Server server =
        new RunResult.Server(
            pid,
            before == null ? 0 : before.rssKib(),
            connected == null ? 0 : connected.rssKib(),
            Math.max(progress.peakRssKib, window1 == null ? 0 : window1.rssKib()),
            window1 == null ? 0 : window1.rssKib(),
            before == null || connected == null
                ? 0
                : (connected.rssKib() - before.rssKib()) / (double) ready,
            window0 == null || window1 == null ? 0 : window1.cpuSeconds() - window0.cpuSeconds(),
            window0 == null || window1 == null ? 0 : window1.coresSince(window0),
            idleCores);
    Histogram ct = stats.connectTimes;
    RunResult r =
        new RunResult(
            s.scenario().wireName(),
            s.target().name,
            s.target().kind.name().toLowerCase(),
            transportName,
            mix.size() == 1 ? s.transport().direction() : "mixed",
            subs.length,
            ready,
            stats.connectFailures.sum(),
            connectSeconds,
            ms(ct.getValueAtPercentile(50)),
            ms(ct.getValueAtPercentile(99)),
            stats.setupBytes.sum() / (double) ready,
            s.rate(),
            s.size(),
            s.durationSeconds(),
            published,
            publisher == null ? 0 : publisher.failures,
            publisher == null ? 0 : publisher.maxBacklog,
            publisher == null ? 0 : publisher.unsent,
            publisher == null ? 0 : ms(publisher.roundTrips.getValueAtPercentile(50)),
            publisher == null ? 0 : ms(publisher.roundTrips.getValueAtPercentile(99)),
            expected,
            delivered,
            publishSeconds > 0 ? delivered / publishSeconds : 0,
            s.rate() * (s.scenario() == Scenario.MANY_CHANNELS ? 1 : ready),
            lost,
            dups,
            holes,
            stats.gaps.sum(),
            stats.disconnects.sum(),
            stats.reconnects.sum(),
            stats.errors.sum(),
            delay,
            bytesIn,
            bytesOut,
            delivered == 0 ? 0 : (bytesIn + bytesOut) / (double) delivered,
            requests,
            delivered == 0 ? 0 : requests / (double) delivered,
            server,
            self0 == null || self1 == null ? 0 : self1.coresSince(self0),
            timeline);
    if (publisher != null && (publisher.unsent > 0 || publisher.maxBacklog > s.rate())) {
      say(
          "note: the publisher fell behind (max backlog %d, %d not sent in time; publish round trip p50 %.1f p99 %.1f ms): "
              + "the server answers publications slowly under this load",
          publisher.maxBacklog, publisher.unsent, r.publishP50Ms(), r.publishP99Ms());
    }
    say(
        "result: delivered %,d (%,.0f/s), lost %d, duplicates %d, delay p50 %.2f p99 %.2f max %.1f ms, %.1f B/msg, "
            + "%.3f req/msg, server %.2f cores, rss %,d KiB (%.2f KiB/conn)",
        delivered,
        r.deliveredPerSecond(),
        lost,
        dups,
        delay.p50(),
        delay.p99(),
        delay.max(),
        r.bytesPerMessage(),
        r.requestsPerMessage(),
        server.cores(),
        server.rssEndKib(),
        server.rssPerConnectionKib());
    return r;
  }

  private boolean publishing() {
    return s.scenario() != Scenario.IDLE;
  }

  private static <T> T onLoop(Publisher p, java.util.concurrent.Callable<T> task)
      throws InterruptedException {
    try {
      return p.loop().submit(task).get(10, TimeUnit.SECONDS);
    } catch (ExecutionException | TimeoutException e) {
      throw new IllegalStateException("publisher did not answer", e);
    }
  }

  private static double ms(long micros) {
    return micros / 1000.0;
  }

  private void say(String fmt, Object... args) {
    if (s.progress() != null) {
      s.progress().println(String.format(fmt, args));
    }
  }

  /** The once-a-second progress line and timeline. Runner thread only. */
  private final class Progress {
    private final Stats stats;
    private final long pid;
    private final List<RunResult.Second> timeline;
    private final int total;
    private final long start = System.nanoTime();
    private long next = start + 1_000_000_000L;
    private long lastDelivered;
    private long lastNanos = start;
    private ProcStats.Sample lastServer;
    private ProcStats.Sample lastSelf;
    private String phase = "";
    Publisher publisher;
    Sidecar sidecar;
    long peakRssKib;

    Progress(Stats stats, long pid, List<RunResult.Second> timeline, int total) {
      this.stats = stats;
      this.pid = pid;
      this.timeline = timeline;
      this.total = total;
      this.lastServer = ProcStats.sample(pid);
      this.lastSelf = ProcStats.self();
    }

    void phase(String p) {
      phase = p;
    }

    void maybeTick(double rate) {
      long now = System.nanoTime();
      if (now >= next) {
        next += 1_000_000_000L;
        if (next < now) {
          next = now + 1_000_000_000L;
        }
        tick(now);
      }
    }

    void finish() {
      tick(System.nanoTime());
    }

    private void tick(long now) {
      long delivered = stats.delivered.sum();
      double secs = (now - lastNanos) / 1e9;
      double rate = secs > 0 ? (delivered - lastDelivered) / secs : 0;
      lastDelivered = delivered;
      lastNanos = now;
      Histogram h = stats.harvestDelays();
      ProcStats.Sample srv = ProcStats.sample(pid);
      ProcStats.Sample self = ProcStats.self();
      double srvCores = srv != null && lastServer != null ? srv.coresSince(lastServer) : 0;
      double selfCores = self != null && lastSelf != null ? self.coresSince(lastSelf) : 0;
      lastServer = srv;
      lastSelf = self;
      long rss = srv == null ? 0 : srv.rssKib();
      peakRssKib = Math.max(peakRssKib, rss);
      long backlog = publisher == null ? 0 : publisher.backlog();
      double t = (now - start) / 1e9;
      double p50 = h.getTotalCount() == 0 ? 0 : ms(h.getValueAtPercentile(50));
      double p99 = h.getTotalCount() == 0 ? 0 : ms(h.getValueAtPercentile(99));
      timeline.add(
          new RunResult.Second(
              Math.round(t * 10) / 10.0,
              phase,
              rate,
              p50,
              p99,
              srvCores,
              rss,
              selfCores,
              stats.ready.sum(),
              backlog));
      say(
          "[%5.1fs] %-8s ready %d/%d  recv %,10.0f/s  delay p50 %6.2f p99 %7.2f ms  backlog %d  disc %d err %d  server %s  bench %.0f%% cpu%s",
          t,
          phase,
          stats.ready.sum(),
          total,
          rate,
          p50,
          p99,
          backlog,
          stats.disconnects.sum(),
          stats.errors.sum(),
          srv == null ? "-" : String.format("%.0f%% cpu %,d MiB", srvCores * 100, rss / 1024),
          selfCores * 100,
          sidecar == null ? "" : "  " + sidecar.progress());
    }
  }
}
