package io.herald.server;

import io.herald.core.Broker;
import io.herald.core.HistoryBudget;
import io.herald.core.Hub;
import io.herald.core.MemoryBroker;
import io.herald.redis.RedisBroker;
import io.herald.redis.RedisBrokerConfig;
import io.herald.server.auth.Authorizer;
import io.herald.server.internal.FailFast;
import io.herald.server.internal.ServerContext;
import io.herald.server.internal.ServerInitializer;
import io.herald.server.internal.ServerShutdown;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollEventLoopGroup;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running Herald server: Netty event loops (epoll where available), the {@link Hub} over the
 * configured broker, and the routes of PROTOCOL.md.
 *
 * <pre>{@code
 * try (HeraldServer server = HeraldServer.start(ServerConfig.builder().port(0).build())) {
 *   String base = server.baseUrl(); // http://127.0.0.1:PORT
 * }
 * }</pre>
 *
 * <p>Thread-safe. {@link #close()} shuts down gracefully: stop accepting, close WebSockets with
 * 1001, end SSE streams, answer parked long polls, wait up to {@code shutdownTimeout} for
 * connections to close, then stop the event loops and the broker.
 *
 * <p>Starting a server installs {@link FailFast}: an {@code OutOfMemoryError} in any thread of the
 * process ends it, so that a supervisor restarts it.
 */
public final class HeraldServer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(HeraldServer.class);

  private final ServerConfig config;
  private final Hub hub;
  private final ServerContext context;
  private final EventLoopGroup boss;
  private final EventLoopGroup workers;
  private final ChannelGroup connections =
      new DefaultChannelGroup("herald", GlobalEventExecutor.INSTANCE);
  private final Channel listener;
  private final AutoCloseable demos;
  private final java.util.concurrent.ScheduledFuture<?> refusalLog;
  private final io.herald.server.internal.TlsCertificates tls;
  private final java.util.concurrent.ScheduledFuture<?> tlsReload;
  private volatile boolean closed;
  private final java.util.concurrent.atomic.AtomicBoolean drainStarted =
      new java.util.concurrent.atomic.AtomicBoolean();

  private HeraldServer(
      ServerConfig config, Authorizer authorizer, io.herald.server.internal.TlsCertificates tls)
      throws InterruptedException {
    this.config = config;
    HistoryBudget budget = new HistoryBudget(config.maxHistoryBytes());
    this.hub =
        new Hub(
            createBroker(config, budget),
            config::historyOf,
            config.channelIdleTimeout(),
            budget,
            config.maxActiveChannels());
    hub.start();
    this.context = new ServerContext(config, hub, authorizer);
    context.maxConnections(
        io.herald.server.internal.OpenFiles.effectiveMaxConnections(
            config, io.herald.server.internal.OpenFiles.limit()));
    context.bindMetrics(connections);
    this.tls = tls;
    if (config.demoFeed()) {
      context.demoSignIn(demoSignIn(config));
    }
    boolean epoll = Epoll.isAvailable();
    this.boss = epoll ? new EpollEventLoopGroup(1) : new NioEventLoopGroup(1);
    this.workers =
        epoll
            ? new EpollEventLoopGroup(config.ioThreads())
            : new NioEventLoopGroup(config.ioThreads());
    context.liveness(new io.herald.server.internal.Liveness(workers));
    Class<? extends ServerChannel> type =
        epoll ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
    try {
      this.listener =
          new ServerBootstrap()
              .group(boss, workers)
              .channel(type)
              .option(ChannelOption.SO_BACKLOG, 4096)
              .option(ChannelOption.SO_REUSEADDR, true)
              .childOption(ChannelOption.TCP_NODELAY, true)
              .childOption(
                  ChannelOption.WRITE_BUFFER_WATER_MARK,
                  new WriteBufferWaterMark(
                      config.writeBufferHighBytes() / 2, config.writeBufferHighBytes()))
              .childHandler(new ServerInitializer(context, connections, tls))
              .bind(config.host(), config.port())
              .sync()
              .channel();
    } catch (RuntimeException | InterruptedException e) {
      boss.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS);
      workers.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS);
      hub.close();
      context.metrics().close();
      throw e;
    }
    context.startAdmin(workers.next(), nodeId(listener));
    this.demos = startDemos(hub, config);
    long every = config.refusalLogInterval().toMillis();
    this.refusalLog =
        workers.next().scheduleAtFixedRate(this::logRefusals, every, every, TimeUnit.MILLISECONDS);
    // a renewed certificate is served to new connections within a second
    this.tlsReload =
        tls == null
            ? null
            : GlobalEventExecutor.INSTANCE.scheduleAtFixedRate(
                tls::reloadIfChanged, 1, 1, TimeUnit.SECONDS);
  }

  /** This node's id on the broker: its host name and port, for example {@code web-1:8080}. */
  private static String nodeId(Channel listener) {
    String host;
    try {
      host = java.net.InetAddress.getLocalHost().getHostName();
    } catch (java.io.IOException e) {
      host = "localhost";
    }
    int port = ((InetSocketAddress) listener.localAddress()).getPort();
    return host.replaceAll("[^\\x21-\\x7e]", "_") + ":" + port;
  }

  /** The summary line of refused requests, when there were any since the last one. */
  private void logRefusals() {
    String counts = context.refusals().drain();
    if (!counts.isEmpty()) {
      LOG.info("refused in the last {} s: {}", config.refusalLogInterval().toSeconds(), counts);
    }
  }

  private static Broker createBroker(ServerConfig config, HistoryBudget budget) {
    if (config.broker().equals("memory")) {
      return new MemoryBroker(
          config::historyOf,
          budget,
          config.maxActiveChannels(),
          Duration.ofSeconds(1),
          config.idempotencyWindow(),
          config.idempotencyMaxKeys());
    }
    return new RedisBroker(
        RedisBrokerConfig.builder(config.broker())
            .history(config.history())
            .historyOf(config::historyOf)
            .headCheckInterval(config.redisHeadCheck())
            .commandTimeout(config.redisCommandTimeout())
            .keyPrefix(config.redisKeyPrefix())
            .idempotencyWindow(config.idempotencyWindow())
            .build());
  }

  /**
   * The demos' sign-in: mints with the configured HMAC secret (and issuer and audience), or, on a
   * server without credentials (everything public: tokens are not checked), with a throwaway one;
   * none when tokens are verified with a public key or JWKS only.
   */
  private static io.herald.server.demo.DemoSignIn demoSignIn(ServerConfig config) {
    LOG.warn(
        "demo sign-in at POST /demo/token mints tokens for anyone who asks: development only,"
            + " never use --demo-feed in production");
    String secret = config.authHmacSecret();
    if (secret == null && config.credentialsConfigured()) {
      return new io.herald.server.demo.DemoSignIn(null);
    }
    return new io.herald.server.demo.DemoSignIn(
        new io.herald.server.auth.TokenMinter(
            secret != null ? secret : io.herald.server.demo.DemoSignIn.developmentSecret(),
            config.authIssuer(),
            config.authAudience(),
            java.time.Clock.systemUTC()));
  }

  private static AutoCloseable startDemos(Hub hub, ServerConfig config) {
    try {
      return io.herald.server.demo.DemoFeeds.start(hub, config);
    } catch (RuntimeException e) {
      LOG.error("demo feeds failed to start", e);
      return () -> {};
    }
  }

  /**
   * Binds and starts serving; returns once bound.
   *
   * @throws IllegalStateException when the address cannot be bound (the port is taken, say)
   * @throws IllegalArgumentException when the TLS certificate or key cannot be used (the message
   *     says which and why)
   * @throws IllegalArgumentException in protected mode: no credential configured and a host that is
   *     not loopback, without {@code insecureNoAuth}
   */
  public static HeraldServer start(ServerConfig config) {
    FailFast.install();
    requireProtection(config);
    Authorizer authorizer = new Authorizer(config);
    io.herald.server.internal.TlsCertificates tls =
        config.tls()
            ? io.herald.server.internal.TlsCertificates.load(
                config.tlsCertFile(), config.tlsKeyFile())
            : null;
    try {
      HeraldServer server = new HeraldServer(config, authorizer, tls);
      LOG.info(
          "Herald listening on {} (broker {}, epoll {}, max connections {}, open-file limit {},"
              + " metrics {})",
          server.baseUrl(),
          server.hub.broker().describe(),
          Epoll.isAvailable(),
          server.context.maxConnections(),
          io.herald.server.internal.OpenFiles.limit(),
          config.metrics() ? "at /metrics" : "off");
      LOG.info("settings: {}", config);
      if (config.credentialsConfigured() || !config.insecureNoAuth()) {
        LOG.info(Authorizer.describe(config));
      } else {
        LOG.warn(Authorizer.describe(config));
      }
      return server;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(
          "interrupted while binding " + config.host() + ":" + config.port(), e);
    } catch (Exception e) {
      throw new IllegalStateException(
          "cannot listen on " + config.host() + ":" + config.port() + ": " + e.getMessage(), e);
    }
  }

  /**
   * Protected mode (as Redis has it): with no credential configured, only a loopback address may be
   * bound, unless {@code insecureNoAuth}. And {@code /metrics} behind an API key needs one.
   *
   * @throws IllegalArgumentException naming both ways out
   */
  static void requireProtection(ServerConfig config) {
    if (config.metricsRequireApiKey() && config.apiKeys().isEmpty()) {
      throw new IllegalArgumentException(
          "refusing to start: --metrics-require-api-key is set but no --api-key is configured;"
              + " configure one, or leave /metrics open");
    }
    if (config.credentialsConfigured() || config.insecureNoAuth() || isLoopback(config.host())) {
      return;
    }
    throw new IllegalArgumentException(
        "refusing to start: no credential is configured and --host "
            + config.host()
            + " is not a loopback address, so anyone who can reach this server could read and"
            + " publish every channel. Either configure a credential (--auth-hmac-secret,"
            + " --auth-public-key-file, --auth-jwks-url or --api-key), or pass --insecure-no-auth"
            + " to serve without authorization on purpose.");
  }

  private static boolean isLoopback(String host) {
    try {
      for (java.net.InetAddress a : java.net.InetAddress.getAllByName(host)) {
        if (!a.isLoopbackAddress()) {
          return false;
        }
      }
      return true;
    } catch (java.net.UnknownHostException e) {
      return false;
    }
  }

  /** The settings in force. */
  public ServerConfig config() {
    return config;
  }

  /** The bound address. */
  public InetSocketAddress address() {
    return (InetSocketAddress) listener.localAddress();
  }

  /** The bound port. */
  public int port() {
    return address().getPort();
  }

  /** {@code http://HOST:PORT} ({@code https://} with TLS), without a trailing slash. */
  public String baseUrl() {
    return (tls != null ? "https://" : "http://") + address().getHostString() + ":" + port();
  }

  /** The hub (channels, logs and subscribers) this server serves. */
  public Hub hub() {
    return hub;
  }

  /**
   * The connection limit in force: {@code maxConnections}, lowered when the open files cannot meet
   * it.
   */
  public int maxConnections() {
    return context.maxConnections();
  }

  /** The server's meters (served at {@code /metrics}); for the admin page and tests. */
  public io.herald.server.internal.ServerMetrics metrics() {
    return context.metrics();
  }

  /** Open connections now. */
  public int connectionCount() {
    return context.connections();
  }

  /**
   * Bytes queued now for all connections together (answers and frames written but not yet taken by
   * the sockets); each connection's share is bounded by {@code maxQueuedBytes}. A snapshot, any
   * thread.
   */
  public long queuedBytes() {
    long total = 0;
    for (Channel ch : connections) {
      io.netty.channel.ChannelOutboundBuffer queued = ch.unsafe().outboundBuffer();
      if (queued != null) {
        total += queued.totalPendingWriteBytes();
      }
    }
    return total;
  }

  /**
   * Drains the node for a rolling restart, then {@linkplain #close() closes} it; what {@code herald
   * serve} does on SIGTERM. At once {@code GET /ready} answers 503 (everything else is still
   * served) for {@code drainDelay}, so that load balancers stop sending new clients; then new
   * requests are refused with {@code 503} and the open connections are closed one by one, spread
   * evenly over {@code drainWindow} in random order ({@link
   * io.herald.server.internal.DrainSchedule}): WebSockets with {@code 1001} and a jittered
   * reconnect hint, SSE streams with {@code herald.end}, parked long polls answered. Then {@link
   * #close()} ends what is left.
   *
   * <p>Blocks the calling thread for {@code drainDelay + drainWindow}, plus at most {@code
   * shutdownTimeout} and a few seconds for {@link #close()}. Idempotent: a second call (or one
   * after {@link #close()}) returns at once, without waiting for the first.
   */
  public void drain() {
    if (closed || !drainStarted.compareAndSet(false, true)) {
      return;
    }
    context.beginDrain();
    Duration delay = config.drainDelay();
    Duration window = config.drainWindow();
    LOG.info(
        "draining: /ready answers 503; serving {} connections for {} s more, then closing them over"
            + " {} s",
        connections.size(),
        delay.toMillis() / 1000.0,
        window.toMillis() / 1000.0);
    try {
      Thread.sleep(delay.toMillis()); // serving meanwhile: this thread only waits for the moment
      context.refuseNewRequests();
      int n = io.herald.server.internal.DrainSchedule.closeSpread(context, connections, window);
      LOG.info("draining: closing {} connections over {} s", n, window.toMillis() / 1000.0);
      Thread.sleep(window.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt(); // close what is left now
    }
    close();
  }

  /** Whether {@link #drain()} has begun: {@code /ready} answers 503. */
  public boolean draining() {
    return context.draining();
  }

  /** Graceful shutdown; blocks up to {@code shutdownTimeout} plus a second. Idempotent. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    LOG.info("shutting down: {} connections open", connections.size());
    try {
      demos.close();
    } catch (Exception e) {
      LOG.warn("demo feeds did not stop cleanly", e);
    }
    refusalLog.cancel(false);
    if (tlsReload != null) {
      tlsReload.cancel(false);
    }
    listener.close().syncUninterruptibly();
    context.beginShutdown();
    for (Channel ch : connections) {
      ch.pipeline().fireUserEventTriggered(ServerShutdown.INSTANCE);
    }
    long deadline = System.nanoTime() + config.shutdownTimeout().toNanos();
    for (Channel ch : connections) {
      long left = deadline - System.nanoTime();
      if (left <= 0 || !ch.closeFuture().awaitUninterruptibly(left, TimeUnit.NANOSECONDS)) {
        break;
      }
    }
    connections.close().awaitUninterruptibly(1, TimeUnit.SECONDS);
    workers.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    boss.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    hub.close();
    context.metrics().close();
    LOG.info("stopped");
  }
}
