package io.herald.server.internal;

import io.herald.core.ErrorCode;
import io.herald.core.Hub;
import io.herald.core.HubObserver;
import io.herald.core.Message;
import io.herald.core.ProtocolException;
import io.herald.core.Transport;
import io.herald.redis.RedisBroker;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.BaseUnits;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.group.ChannelGroup;
import io.netty.util.internal.PlatformDependent;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

/**
 * The server's meters, in one Micrometer registry served as Prometheus text at {@code GET /metrics}
 * (README "Metrics" lists every name). One per server, held by {@link ServerContext}; the admin
 * page reads its live values from {@link #registry()} too.
 *
 * <p>Cost: every counter touched per message or per publication is bound once, at start, per
 * transport (an array index, no map lookup, no allocation). Connections and subscriptions by
 * transport are adders moved once per open, close, subscribe and unsubscribe (an SSE stream over
 * HTTP/2 counts as one SSE connection); queued bytes are summed only when {@code /metrics} is
 * scraped, in one pass over the open connections. With {@code --metrics=false} every meter is a
 * no-op of an empty composite registry and nothing is bound to the JVM.
 *
 * <p>Live values for a page (the admin page): {@code
 * metrics.registry().find("herald.deliveries").tag("transport", "websocket").counter().count()}, or
 * {@code registry().get("herald.connections").tag("transport", "sse").gauge().value()} after {@link
 * #scrape()} or {@link #refresh()} (the gauges of connections, subscriptions and queued bytes are
 * computed by that pass). Meter names are Micrometer's dotted ones; Prometheus shows them with
 * {@code _} and unit suffixes ({@code herald_deliveries_total}).
 *
 * <p>Implements {@link HubObserver} for the core's gaps, unrecovered positions and Pub/Sub lag, so
 * herald-core and herald-redis need no metrics library. Thread-safe.
 */
public final class ServerMetrics implements HubObserver, AutoCloseable {
  /** Label values of the publish paths. */
  public static final String HTTP = "http";

  /** Bucket bounds (seconds) of the latency histograms: 0.5 ms to 10 s. */
  private static final Duration[] LATENCY_BUCKETS = {
    Duration.ofNanos(500_000),
    Duration.ofMillis(1),
    Duration.ofMillis(2),
    Duration.ofMillis(5),
    Duration.ofMillis(10),
    Duration.ofMillis(25),
    Duration.ofMillis(50),
    Duration.ofMillis(100),
    Duration.ofMillis(250),
    Duration.ofMillis(500),
    Duration.ofSeconds(1),
    Duration.ofMillis(2500),
    Duration.ofSeconds(5),
    Duration.ofSeconds(10)
  };

  /** Close codes kept as label values; any other code is {@code other} (bounded series). */
  private static final java.util.Set<Integer> KNOWN_CLOSE_CODES =
      java.util.Set.of(1000, 1001, 1002, 1003, 1006, 1007, 1008, 1009, 1010, 1011, 4001, 4003);

  /** The outcomes a publication handed to the broker can have besides success. */
  private static final java.util.Set<ErrorCode> PUBLISH_OUTCOMES =
      java.util.EnumSet.of(
          ErrorCode.UNAVAILABLE,
          ErrorCode.PUBLISH_OUTCOME_UNKNOWN,
          ErrorCode.OVER_CAPACITY,
          ErrorCode.INTERNAL);

  private final boolean enabled;
  private final MeterRegistry registry;
  private final PrometheusMeterRegistry prometheus;
  private final JvmGcMetrics gc;

  private final Counter[] connects = new Counter[Transport.values().length];
  private final Counter[] deliveries = new Counter[Transport.values().length];
  private final Counter[] pollMessages = new Counter[2];
  private final Counter[] pollEmpty = new Counter[2];
  private final Counter[] pollNotModified = new Counter[2];
  private final Counter[] httpPublications = new Counter[ErrorCode.values().length + 1];
  private final Counter[] wsPublications = new Counter[ErrorCode.values().length + 1];
  private final Counter[] wsRefusals = new Counter[ErrorCode.values().length];
  private final Counter[] gaps = new Counter[GapCause.values().length];
  private final Counter[] unrecovered = new Counter[RecoveryFailure.values().length];
  private final Map<String, Counter> disconnects = new ConcurrentHashMap<>();
  private final LongAdder[] open = adders();
  private final LongAdder[] ownConnection = adders();
  private final LongAdder[] subscribed = adders();
  private final Map<String, Counter> refusals = new ConcurrentHashMap<>();
  private final Counter sentBytes;
  private final Timer publishRoundTrip;
  private final Timer pubSubLag;

  /** The last scrape's pass over the connections (written by {@link #refresh()}). */
  private volatile Snapshot snapshot = new Snapshot();

  private volatile ChannelGroup connections;
  private volatile ServerContext server;

  /** Meters for a server; {@code enabled} false makes every meter a no-op. */
  public ServerMetrics(boolean enabled) {
    this.enabled = enabled;
    if (enabled) {
      this.prometheus = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
      // Micrometer's process.cpu.time is in nanoseconds: Prometheus's own name and unit instead
      prometheus.config().meterFilter(MeterFilter.denyNameStartsWith("process.cpu.time"));
      this.registry = prometheus;
    } else {
      this.prometheus = null;
      this.registry = new CompositeMeterRegistry(); // no child registry: every meter a no-op
    }
    for (Transport t : Transport.values()) {
      connects[t.ordinal()] =
          t == Transport.WEBSOCKET || t == Transport.SSE
              ? Counter.builder("herald.connects")
                  .description("streaming connections opened (SSE streams, WebSockets)")
                  .tag("transport", label(t))
                  .register(registry)
              : null;
      deliveries[t.ordinal()] =
          Counter.builder("herald.deliveries")
              .description("messages written to subscribers (one per subscriber and message)")
              .tag("transport", label(t))
              .register(registry);
    }
    String[] pollKinds = {label(Transport.SHORT_POLL), label(Transport.LONG_POLL)};
    for (int i = 0; i < 2; i++) {
      pollMessages[i] = pollAnswers(pollKinds[i], "messages");
      pollEmpty[i] = pollAnswers(pollKinds[i], "empty");
      pollNotModified[i] = pollAnswers(pollKinds[i], "not_modified");
    }
    Counter httpOther = publications(HTTP, "other");
    Counter wsOther = publications(label(Transport.WEBSOCKET), "other");
    for (ErrorCode c : ErrorCode.values()) {
      boolean named = PUBLISH_OUTCOMES.contains(c);
      httpPublications[c.ordinal()] = named ? publications(HTTP, c.code()) : httpOther;
      wsPublications[c.ordinal()] =
          named ? publications(label(Transport.WEBSOCKET), c.code()) : wsOther;
    }
    httpPublications[ErrorCode.values().length] = publications(HTTP, "published");
    wsPublications[ErrorCode.values().length] =
        publications(label(Transport.WEBSOCKET), "published");
    for (GapCause c : GapCause.values()) {
      gaps[c.ordinal()] =
          Counter.builder("herald.gaps")
              .description("gap notices sent: a cursor skipped messages no longer retained")
              .tag("cause", c.label())
              .register(registry);
    }
    for (RecoveryFailure c : RecoveryFailure.values()) {
      unrecovered[c.ordinal()] =
          Counter.builder("herald.recovery.failures")
              .description("subscriptions opened with recovered:false")
              .tag("cause", c.label())
              .register(registry);
    }
    this.sentBytes =
        Counter.builder("herald.sent")
            .baseUnit(BaseUnits.BYTES)
            .description("bytes written to client sockets (all transports, headers included)")
            .register(registry);
    this.publishRoundTrip =
        Timer.builder("herald.broker.publish")
            .description("publication round trip to the broker, from publish to its answer")
            .serviceLevelObjectives(LATENCY_BUCKETS)
            .register(registry);
    this.pubSubLag =
        Timer.builder("herald.pubsub.lag")
            .description(
                "live message lag: received on this node minus accepted by the broker (its clock)")
            .serviceLevelObjectives(LATENCY_BUCKETS)
            .register(registry);
    refusal("connection", "slow_client"); // present from the start, for dashboards
    disconnected(Transport.WEBSOCKET, "client", 1000, 0);
    disconnected(Transport.WEBSOCKET, "client", 1001, 0);
    disconnected(Transport.WEBSOCKET, "server", 1001, 0);
    disconnected(Transport.WEBSOCKET, "lost", 0, 0);
    disconnected(Transport.SSE, "lost", 0, 0);
    if (enabled) {
      new JvmMemoryMetrics().bindTo(registry);
      this.gc = new JvmGcMetrics();
      gc.bindTo(registry);
      new JvmThreadMetrics().bindTo(registry);
      new ClassLoaderMetrics().bindTo(registry);
      new ProcessorMetrics().bindTo(registry);
      if (java.lang.management.ManagementFactory.getOperatingSystemMXBean()
          instanceof com.sun.management.OperatingSystemMXBean os) {
        FunctionCounter.builder("process.cpu", os, o -> o.getProcessCpuTime() / 1e9)
            .baseUnit("seconds")
            .description("CPU time used by the process")
            .register(registry);
      }
      new UptimeMetrics().bindTo(registry);
      new FileDescriptorMetrics().bindTo(registry);
      Gauge.builder("herald.netty.direct.memory", ServerMetrics::nettyDirectMemory)
          .baseUnit(BaseUnits.BYTES)
          .description("direct memory Netty uses for buffers")
          .register(registry);
    } else {
      this.gc = null;
    }
  }

  private static LongAdder[] adders() {
    LongAdder[] a = new LongAdder[Transport.values().length];
    for (int i = 0; i < a.length; i++) {
      a[i] = new LongAdder();
    }
    return a;
  }

  private Counter pollAnswers(String transport, String kind) {
    return Counter.builder("herald.poll.answers")
        .description("poll answers: with messages, empty (a wait ended or nothing new), 304")
        .tag("transport", transport)
        .tag("kind", kind)
        .register(registry);
  }

  private Counter publications(String transport, String outcome) {
    return Counter.builder("herald.publications")
        .description("publications handed to the broker, by outcome (published or an error code)")
        .tag("transport", transport)
        .tag("outcome", outcome)
        .register(registry);
  }

  private Counter refusal(String via, String code) {
    return Counter.builder("herald.refusals")
        .description(
            "refused requests and cut connections: HTTP error answers, WebSocket error frames,"
                + " slow clients")
        .tag("via", via)
        .tag("code", code)
        .register(registry);
  }

  /**
   * Binds the gauges of the server's state: {@code connections} (every open channel; read at each
   * scrape), the hub's channels and history, the broker, parked polls and the connection limit.
   * Call once, before serving.
   */
  void bind(ChannelGroup connections, ServerContext server) {
    this.connections = connections;
    this.server = server;
    Hub hub = server.hub;
    if (!enabled) {
      return;
    }
    hub.observer(this);
    for (String t : new String[] {"websocket", "sse", HTTP}) {
      Gauge.builder("herald.connections", this, m -> m.snapshot.connections(t))
          .description(
              "open WebSockets and SSE streams (an HTTP/2 stream counts as one); http: the other"
                  + " connections (requests, polls, idle keep-alive, HTTP/2 connections)")
          .tag("transport", t)
          .register(registry);
    }
    for (Transport t : new Transport[] {Transport.WEBSOCKET, Transport.SSE, Transport.LONG_POLL}) {
      Gauge.builder("herald.subscriptions", this, m -> m.snapshot.subscriptions(t))
          .description("channel subscriptions open on this node (long polls: parked ones)")
          .tag("transport", label(t))
          .register(registry);
    }
    Gauge.builder("herald.connections.limit", server, ServerContext::maxConnections)
        .description("the connection limit in force (after the open-file check)")
        .register(registry);
    Gauge.builder("herald.polls.parked", server, ServerContext::parkedPolls)
        .description("long polls waiting for a message")
        .register(registry);
    Gauge.builder("herald.queued", this, m -> m.snapshot.queuedBytes)
        .baseUnit(BaseUnits.BYTES)
        .description("bytes written but not yet taken by the sockets, all connections")
        .register(registry);
    Gauge.builder("herald.queued.max", this, m -> m.snapshot.queuedMaxBytes)
        .baseUnit(BaseUnits.BYTES)
        .description("bytes queued on the connection with the most queued")
        .register(registry);
    Gauge.builder("herald.channels.active", hub, Hub::activeChannels)
        .description("channels active on this node")
        .register(registry);
    Gauge.builder("herald.history", hub, h -> h.budget().usedBytes())
        .baseUnit(BaseUnits.BYTES)
        .description("bytes of history retained on this node (the --max-history-bytes budget)")
        .register(registry);
    FunctionCounter.builder("herald.history.evicted", hub, h -> h.budget().evictedMessages())
        .description("messages dropped from history by the node's byte budget")
        .register(registry);
    FunctionCounter.builder(
            "herald.redis.reconnects",
            hub,
            h -> h.broker() instanceof RedisBroker r ? r.reconnects() : 0)
        .description("connections to Redis lost, each followed by a reconnect (0 without Redis)")
        .register(registry);
  }

  /** Whether metrics are on ({@code --metrics}). */
  public boolean enabled() {
    return enabled;
  }

  /** The registry: Prometheus when enabled, an empty composite (no-op) otherwise. */
  public MeterRegistry registry() {
    return registry;
  }

  /** The Prometheus text exposition (format 0.0.4) of every meter, gauges refreshed first. */
  public String scrape() {
    if (prometheus == null) {
      return "";
    }
    refresh();
    return prometheus.scrape();
  }

  /**
   * One pass over the open connections for the gauges: queued bytes per connection, the connections
   * that carry neither a WebSocket nor an SSE stream of their own, the parked long polls' channels.
   * Any thread; O(open connections).
   */
  public void refresh() {
    ChannelGroup all = connections;
    Snapshot s = new Snapshot();
    s.websocket = open[Transport.WEBSOCKET.ordinal()].sum();
    s.sse = open[Transport.SSE.ordinal()].sum();
    s.websocketSubscriptions = subscribed[Transport.WEBSOCKET.ordinal()].sum();
    s.sseSubscriptions = subscribed[Transport.SSE.ordinal()].sum();
    long own =
        ownConnection[Transport.WEBSOCKET.ordinal()].sum()
            + ownConnection[Transport.SSE.ordinal()].sum();
    if (all != null) {
      for (Channel ch : all) {
        ChannelOutboundBuffer queued = ch.unsafe().outboundBuffer();
        if (queued != null) {
          long n = queued.totalPendingWriteBytes();
          s.queuedBytes += n;
          s.queuedMaxBytes = Math.max(s.queuedMaxBytes, n);
        }
      }
    }
    ServerContext context = server;
    if (context != null) {
      s.http = Math.max(0, context.connections() - own);
      for (PollHandler p : context.parked) {
        s.longPollSubscriptions += p.channelCount();
      }
    }
    snapshot = s;
  }

  /** What the last scrape's pass counted. */
  private static final class Snapshot {
    long websocket;
    long sse;
    long http;
    long websocketSubscriptions;
    long sseSubscriptions;
    long longPollSubscriptions;
    long queuedBytes;
    long queuedMaxBytes;

    double connections(String transport) {
      return switch (transport) {
        case "websocket" -> websocket;
        case "sse" -> sse;
        default -> http;
      };
    }

    double subscriptions(Transport t) {
      return switch (t) {
        case WEBSOCKET -> websocketSubscriptions;
        case SSE -> sseSubscriptions;
        default -> longPollSubscriptions;
      };
    }
  }

  // ---- hooks, one call each in the transports ----

  /**
   * A streaming connection of {@code transport} opened: on a TCP connection of its own ({@code
   * ownConnection}, HTTP/1.1) or as an HTTP/2 stream.
   */
  void connected(Transport transport, boolean ownConnection) {
    connects[transport.ordinal()].increment();
    open[transport.ordinal()].increment();
    if (ownConnection) {
      this.ownConnection[transport.ordinal()].increment();
    }
  }

  /** {@code delta} subscriptions opened (positive) or closed (negative) on {@code transport}. */
  void subscriptions(Transport transport, int delta) {
    if (delta != 0) {
      subscribed[transport.ordinal()].add(delta);
    }
  }

  /**
   * A streaming connection of {@code transport} ended: {@code reason} {@code server}, {@code
   * client}, {@code expired}, {@code shutdown} or {@code lost} (the socket closed with no word),
   * {@code code} its WebSocket close code, 0 for none.
   */
  void disconnected(Transport transport, String reason, int code, boolean ownConnection) {
    open[transport.ordinal()].decrement();
    if (ownConnection) {
      this.ownConnection[transport.ordinal()].decrement();
    }
    disconnected(transport, reason, code, 1);
  }

  private void disconnected(Transport transport, String reason, int code, int n) {
    String codeLabel =
        code == 0 ? "none" : KNOWN_CLOSE_CODES.contains(code) ? Integer.toString(code) : "other";
    String key = transport.ordinal() + " " + reason + " " + codeLabel;
    disconnects
        .computeIfAbsent(
            key,
            k ->
                Counter.builder("herald.disconnects")
                    .description("streaming connections ended, by reason and WebSocket close code")
                    .tag("transport", label(transport))
                    .tag("reason", reason)
                    .tag("code", codeLabel)
                    .register(registry))
        .increment(n);
  }

  /** {@code n} messages written to one subscriber of {@code transport}. */
  void delivered(Transport transport, int n) {
    if (n > 0) {
      deliveries[transport.ordinal()].increment(n);
    }
  }

  /** A poll answered with {@code messages} messages ({@code longPoll}: it asked to wait). */
  void pollAnswered(boolean longPoll, int messages) {
    int i = longPoll ? 1 : 0;
    if (messages > 0) {
      pollMessages[i].increment();
      deliveries[(longPoll ? Transport.LONG_POLL : Transport.SHORT_POLL).ordinal()].increment(
          messages);
    } else {
      pollEmpty[i].increment();
    }
  }

  /** A poll answered {@code 304 Not Modified} (for the poll cache's ETag check). */
  public void pollNotModified(boolean longPoll) {
    pollNotModified[longPoll ? 1 : 0].increment();
  }

  /** {@code bytes} written towards a client socket. */
  void sent(long bytes) {
    sentBytes.increment(bytes);
  }

  /**
   * Counts the publication {@code f} made over {@code websocket} (else HTTP) by its outcome when it
   * completes, and times its broker round trip.
   */
  void publishing(boolean websocket, CompletableFuture<Message> f) {
    if (!enabled) {
      return;
    }
    long start = System.nanoTime();
    Counter[] outcomes = websocket ? wsPublications : httpPublications;
    f.whenComplete(
        (m, error) -> {
          publishRoundTrip.record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
          if (error == null) {
            outcomes[outcomes.length - 1].increment();
          } else {
            Throwable cause =
                error instanceof CompletionException && error.getCause() != null
                    ? error.getCause()
                    : error;
            ErrorCode code =
                cause instanceof ProtocolException pe
                    ? pe.code()
                    : ErrorCode.PUBLISH_OUTCOME_UNKNOWN;
            outcomes[code.ordinal()].increment();
          }
        });
  }

  /** A WebSocket {@code error} frame with {@code code} was sent. */
  void refusedOverWebSocket(ErrorCode code) {
    Counter c = wsRefusals[code.ordinal()];
    if (c == null) {
      // registered on first use (a race registers it twice: Micrometer returns the same meter)
      c = refusal(label(Transport.WEBSOCKET), code.code());
      wsRefusals[code.ordinal()] = c;
    }
    c.increment();
  }

  /**
   * A refusal counted by {@link Refusals} under {@code key}: {@code "STATUS code"} for an HTTP
   * answer, or a bare word ({@code slow_client}) for a connection cut.
   */
  void refused(String key) {
    Counter c = refusals.get(key);
    if (c == null) {
      int space = key.indexOf(' ');
      String via = space > 0 ? HTTP : "connection";
      String code = space > 0 ? key.substring(space + 1) : key;
      c = refusals.computeIfAbsent(key, k -> refusal(via, code.equals("-") ? "unknown" : code));
    }
    c.increment();
  }

  // ---- HubObserver ----

  @Override
  public void gap(GapCause cause) {
    gaps[cause.ordinal()].increment();
  }

  @Override
  public void notRecovered(RecoveryFailure cause) {
    unrecovered[cause.ordinal()].increment();
  }

  @Override
  public void received(Message m, long receivedMillis) {
    if (m.time() > 0) {
      pubSubLag.record(Math.max(0, receivedMillis - m.time()), TimeUnit.MILLISECONDS);
    }
  }

  /** The Prometheus label of a transport: {@code websocket}, {@code sse}, {@code long_poll}... */
  static String label(Transport t) {
    return t.wireName().replace('-', '_');
  }

  private static double nettyDirectMemory() {
    long used = PlatformDependent.usedDirectMemory();
    return used >= 0 ? used : PooledByteBufAllocator.DEFAULT.metric().usedDirectMemory();
  }

  /** Unbinds the JVM listeners (GC notifications) and closes the registry. */
  @Override
  public void close() {
    if (gc != null) {
      gc.close();
    }
    registry.close();
  }
}
