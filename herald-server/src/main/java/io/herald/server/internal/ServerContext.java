package io.herald.server.internal;

import io.herald.core.Hub;
import io.herald.server.ServerConfig;
import io.herald.server.auth.Authorizer;
import io.herald.server.auth.OriginPolicy;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * What every connection of one server shares: the settings, the hub, the static assets and the
 * counters behind the limits. Thread-safe.
 */
public final class ServerContext {
  final ServerConfig config;
  final Hub hub;
  final Authorizer authorizer;
  final OriginPolicy origins;
  final StaticFiles staticFiles = new StaticFiles("static/");
  final AtomicInteger parkedPolls = new AtomicInteger();
  final AtomicInteger connections = new AtomicInteger();
  final Set<PollHandler> parked = ConcurrentHashMap.newKeySet();
  final ServerMetrics metrics;
  final Refusals refusals;
  volatile int maxConnections;
  final ChannelActivity activity;
  volatile boolean shuttingDown;
  volatile io.herald.server.demo.DemoSignIn demoSignIn;
  volatile boolean draining;
  volatile Liveness liveness;
  final AdminApi admin;
  private final LiveCounters counters;

  public ServerContext(ServerConfig config, Hub hub) {
    this(config, hub, new Authorizer(config));
  }

  /** A context whose requests {@code authorizer} authorizes. */
  public ServerContext(ServerConfig config, Hub hub, Authorizer authorizer) {
    this.config = config;
    this.hub = hub;
    this.authorizer = authorizer;
    this.origins = new OriginPolicy(config.allowedOrigins());
    this.metrics = new ServerMetrics(config.metrics());
    this.refusals = new Refusals(metrics);
    this.maxConnections = config.maxConnections();
    this.counters = new MetricsCounters(metrics);
    this.activity = new ChannelActivity(config.adminEnabled());
    this.admin = config.adminEnabled() ? new AdminApi(this) : null;
  }

  /** The server's meters (Prometheus at {@code /metrics}); live counters for the admin page. */
  public ServerMetrics metrics() {
    return metrics;
  }

  /**
   * The connection limit in force: {@code maxConnections}, or lower when the open-file limit cannot
   * meet it (see {@code OpenFiles}).
   */
  public int maxConnections() {
    return maxConnections;
  }

  /**
   * Lowers (or sets) the connection limit in force, {@code limit} connections (1 or more, as {@code
   * OpenFiles} gives it); call before the server accepts connections. Any thread (a volatile
   * write); connections already open are not closed.
   */
  public void maxConnections(int limit) {
    this.maxConnections = limit;
  }

  /**
   * Binds the metrics' gauges to this server's open connections ({@code all}) and state; call once,
   * before serving.
   */
  public void bindMetrics(io.netty.channel.group.ChannelGroup all) {
    metrics.bind(all, this);
  }

  /**
   * Serves the demos' sign-in ({@code POST /demo/token}) with {@code signIn}; {@code null} (the
   * default) serves none. Call before the server accepts connections.
   */
  public void demoSignIn(io.herald.server.demo.DemoSignIn signIn) {
    this.demoSignIn = signIn;
  }

  /** Open connections now. */
  public int connections() {
    return connections.get();
  }

  /** Refused requests and cut connections, counted for the periodic summary log line. */
  public Refusals refusals() {
    return refusals;
  }

  /** Long polls parked now. */
  public int parkedPolls() {
    return parkedPolls.get();
  }

  /** Marks the server as shutting down: new requests are refused, parked polls answered. */
  public void beginShutdown() {
    shuttingDown = true;
    for (PollHandler p : parked) {
      p.answerNow();
    }
  }

  /**
   * Watches the event loops for {@code GET /live}; call before the server accepts connections.
   * Without one, {@code /live} answers 200 whenever it is answered at all.
   */
  public void liveness(Liveness liveness) {
    this.liveness = liveness;
  }

  /**
   * Marks the node as draining (SIGTERM): {@code GET /ready} answers 503 from now on; everything
   * else is still served.
   */
  public void beginDrain() {
    draining = true;
  }

  /**
   * The start of the drain's closing window: new requests are refused with {@code 503} (keep-alive
   * connections close after their answer); parked long polls are left to the drain to answer.
   */
  public void refuseNewRequests() {
    shuttingDown = true;
  }

  /** Whether the node is draining: {@code /ready} answers 503. */
  public boolean draining() {
    return draining;
  }

  /** Where the admin page reads its live counters per transport. */
  LiveCounters counters() {
    return counters;
  }

  /**
   * Announces this node on the broker as {@code nodeId} (the admin page lists the nodes) and, when
   * the admin page is on, starts rotating its busiest-channel windows on {@code loop}. Call once,
   * after binding.
   *
   * @param nodeId 1 to 200 printable ASCII characters, for example {@code host:8080}
   */
  public void startAdmin(java.util.concurrent.ScheduledExecutorService loop, String nodeId) {
    if (admin != null) {
      admin.start(loop, nodeId);
    }
    long started = System.currentTimeMillis();
    hub.broker()
        .announce(
            nodeId,
            admin != null
                ? admin::nodeDetails
                : () -> "{\"startedAt\":" + started + ",\"admin\":false}");
  }
}
