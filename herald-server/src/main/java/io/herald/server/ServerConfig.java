package io.herald.server;

import io.herald.core.HistoryBudget;
import io.herald.core.HistoryConfig;
import io.herald.core.Hub;
import io.herald.core.Transport;
import io.herald.redis.RedisBrokerConfig;
import io.herald.server.auth.NamespacePolicy;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * Every setting of a Herald server, with its default. Immutable; build with {@link #builder()}. The
 * command line ({@code herald serve --help}) binds each one from an option, a {@code HERALD_*}
 * environment variable or the YAML file, as declared once in {@link Settings}.
 */
public final class ServerConfig {
  /** Default address to bind. */
  public static final String DEFAULT_HOST = "127.0.0.1";

  /** Default TCP port. */
  public static final int DEFAULT_PORT = 8080;

  /** Default broker: this process's memory. */
  public static final String DEFAULT_BROKER = "memory";

  /** Default largest publication data, in bytes (64 KiB). */
  public static final int DEFAULT_MAX_MESSAGE_BYTES = 64 * 1024;

  /** Default most channels in one subscription. */
  public static final int DEFAULT_MAX_CHANNELS_PER_SUBSCRIPTION = 32;

  /** Default most long polls parked at once on this server. */
  public static final int DEFAULT_MAX_PARKED_POLLS = 10_000;

  /** Default most open connections; a process may hold 20,000 open files on these machines. */
  public static final int DEFAULT_MAX_CONNECTIONS = 18_000;

  /** Default largest WebSocket frame a client may send, in bytes (128 KiB). */
  public static final int DEFAULT_MAX_FRAME_BYTES = 128 * 1024;

  /** Default largest request line plus headers, in bytes (16 KiB). */
  public static final int DEFAULT_MAX_HEADER_BYTES = 16 * 1024;

  /**
   * Default longest long-poll wait a client may ask for (45 s): below nginx's default {@code
   * proxy_read_timeout} (60 s) and HAProxy's common {@code timeout server 50s} (deploy/README.md).
   */
  public static final Duration DEFAULT_MAX_WAIT = Duration.ofSeconds(45);

  /** Default messages in one poll answer when the request gives no {@code limit}. */
  public static final int DEFAULT_POLL_LIMIT = 100;

  /** Default largest {@code limit} a poll may ask for. */
  public static final int DEFAULT_MAX_POLL_LIMIT = 1000;

  /** Default silence after which an SSE stream gets a heartbeat comment. */
  public static final Duration DEFAULT_SSE_HEARTBEAT = Duration.ofSeconds(15);

  /** Default reconnect delay sent to EventSource in the {@code retry:} line. */
  public static final Duration DEFAULT_SSE_RETRY = Duration.ofSeconds(2);

  /** Default interval between WebSocket pings. */
  public static final Duration DEFAULT_WS_PING_INTERVAL = Duration.ofSeconds(25);

  /** Default time without any frame from a client after which its WebSocket is closed. */
  public static final Duration DEFAULT_WS_IDLE_TIMEOUT = Duration.ofSeconds(60);

  /** Default per-connection write buffer above which the server stops writing to that client. */
  public static final int DEFAULT_WRITE_BUFFER_HIGH_BYTES = 256 * 1024;

  /** Default time allowed for a graceful shutdown. */
  public static final Duration DEFAULT_SHUTDOWN_TIMEOUT = Duration.ofSeconds(10);

  /**
   * Default time a draining node (SIGTERM) keeps serving, answering {@code /ready} 503, before it
   * starts closing connections: long enough for a load balancer's readiness check to take it out.
   */
  public static final Duration DEFAULT_DRAIN_DELAY = Duration.ofSeconds(5);

  /** Default window over which a draining node spreads the closing of its connections. */
  public static final Duration DEFAULT_DRAIN_WINDOW = Duration.ofSeconds(10);

  /** Default bytes of history kept per channel: 4 MiB. */
  public static final long DEFAULT_HISTORY_BYTES = HistoryConfig.DEFAULT_MAX_BYTES;

  /** Default bytes of history kept by the node, all channels together: 256 MiB. */
  public static final long DEFAULT_MAX_HISTORY_BYTES = HistoryBudget.DEFAULT_MAX_BYTES;

  /** Default most channels active on the node at once. */
  public static final int DEFAULT_MAX_ACTIVE_CHANNELS = 100_000;

  /** Default WebSocket commands per second per connection (token bucket refill). */
  public static final int DEFAULT_WS_COMMAND_RATE = 200;

  /** Default WebSocket commands a connection may send at once above its rate (bucket size). */
  public static final int DEFAULT_WS_COMMAND_BURST = 400;

  /** Default HTTP publications per second per connection (token bucket refill). */
  public static final int DEFAULT_HTTP_PUBLISH_RATE = 1000;

  /** Default HTTP publications a connection may send at once above its rate (bucket size). */
  public static final int DEFAULT_HTTP_PUBLISH_BURST = 2000;

  /** Default rate-limit refusals a connection may collect within the strike window. */
  public static final int DEFAULT_RATE_LIMIT_STRIKES = 100;

  /** Default window over which rate-limit refusals are counted. */
  public static final Duration DEFAULT_RATE_LIMIT_STRIKE_WINDOW = Duration.ofSeconds(10);

  /** Default WebSocket publications per connection sent to the broker and not yet answered. */
  public static final int DEFAULT_WS_MAX_INFLIGHT_PUBLISHES = 64;

  /** Default time a publication's idempotency key is remembered (5 minutes). */
  public static final Duration DEFAULT_IDEMPOTENCY_WINDOW =
      Duration.ofSeconds(io.herald.core.IdempotencyKeys.DEFAULT_WINDOW_SECONDS);

  /** Default most idempotency keys the memory broker remembers. */
  public static final int DEFAULT_IDEMPOTENCY_MAX_KEYS =
      io.herald.core.IdempotencyKeys.DEFAULT_MAX_KEYS;

  /** Default bytes that may be queued for one connection before it is closed as a slow client. */
  public static final int DEFAULT_MAX_QUEUED_BYTES = 1024 * 1024;

  /** Default time for a request line and headers to arrive, from the request's first byte. */
  public static final Duration DEFAULT_REQUEST_HEAD_TIMEOUT = Duration.ofSeconds(10);

  /** Default time for a request body to arrive, from the end of its headers. */
  public static final Duration DEFAULT_REQUEST_BODY_TIMEOUT = Duration.ofSeconds(30);

  /** Default time a keep-alive connection with no request under way stays open. */
  public static final Duration DEFAULT_KEEP_ALIVE_TIMEOUT = Duration.ofSeconds(60);

  /** Default time for the first frame on a WebSocket opened with no subscription. */
  public static final Duration DEFAULT_WS_FIRST_FRAME_TIMEOUT = Duration.ofSeconds(10);

  /** Default longest lingering close: reading and dropping what a client still sends. */
  public static final Duration DEFAULT_LINGER_TIMEOUT = Duration.ofSeconds(5);

  /** Default most bytes read and dropped during a lingering close. */
  public static final int DEFAULT_LINGER_MAX_BYTES = 16 * 1024 * 1024;

  /** Default most HTTP/2 streams a client may have open at once on one connection. */
  public static final int DEFAULT_H2_MAX_CONCURRENT_STREAMS = 256;

  /** Default largest HTTP/2 header list a client may send (RFC 9113 section 6.5.2), in bytes. */
  public static final int DEFAULT_H2_MAX_HEADER_LIST_BYTES = 16 * 1024;

  /** Default HTTP/2 flow-control window a client may fill on each stream before we read, bytes. */
  public static final int DEFAULT_H2_INITIAL_WINDOW_BYTES = 1024 * 1024;

  /** Default interval of the summary log line of refused requests. */
  public static final Duration DEFAULT_REFUSAL_LOG_INTERVAL = Duration.ofSeconds(60);

  /**
   * Default tolerance for clock differences when checking a token's {@code exp} and {@code nbf}.
   */
  public static final Duration DEFAULT_AUTH_CLOCK_SKEW = Duration.ofSeconds(30);

  /** Default format of {@code herald serve}'s log lines: {@code text}, one readable line each. */
  public static final String DEFAULT_LOG_FORMAT = "text";

  /** Default: Prometheus metrics are served at {@code GET /metrics}. */
  public static final boolean DEFAULT_METRICS = true;

  /** Default: {@code /metrics} needs no API key (it names no channel, user or message). */
  public static final boolean DEFAULT_METRICS_REQUIRE_API_KEY = false;

  /**
   * Default file descriptors kept for everything but client connections (listener, epoll, Redis,
   * logs, jars): the start-up check lowers {@code maxConnections} to the open-file limit minus
   * this.
   */
  public static final int DEFAULT_OPEN_FILES_HEADROOM = 100;

  /** Default lifetime of an admin page sign-in (the session token it gives). */
  public static final Duration DEFAULT_ADMIN_SESSION = Duration.ofMinutes(15);

  /** The shortest admin password accepted, in characters. */
  public static final int MIN_ADMIN_PASSWORD_CHARS = 12;

  private final String host;
  private final int port;
  private final String broker;
  private final HistoryConfig history;
  private final Duration channelIdleTimeout;
  private final int maxMessageBytes;
  private final int maxChannelsPerSubscription;
  private final int maxParkedPolls;
  private final int maxConnections;
  private final int maxFrameBytes;
  private final int maxHeaderBytes;
  private final Duration maxWait;
  private final int pollLimit;
  private final int maxPollLimit;
  private final Duration sseHeartbeat;
  private final Duration sseRetry;
  private final Duration wsPingInterval;
  private final Duration wsIdleTimeout;
  private final int writeBufferHighBytes;
  private final Duration shutdownTimeout;
  private final int ioThreads;
  private final Set<Transport> disabledTransports;
  private final boolean demoFeed;
  private final Duration redisHeadCheck;
  private final Duration redisCommandTimeout;
  private final String redisKeyPrefix;
  private final long maxHistoryBytes;
  private final int maxActiveChannels;
  private final List<NamespacePolicy> namespaces;
  private final java.util.Map<String, HistoryConfig> namespaceHistory;
  private final int wsCommandRate;
  private final int wsCommandBurst;
  private final int httpPublishRate;
  private final int httpPublishBurst;
  private final int rateLimitStrikes;
  private final Duration rateLimitStrikeWindow;
  private final int wsMaxInflightPublishes;
  private final Duration idempotencyWindow;
  private final int idempotencyMaxKeys;
  private final int maxQueuedBytes;
  private final Duration requestHeadTimeout;
  private final Duration requestBodyTimeout;
  private final Duration keepAliveTimeout;
  private final Duration wsFirstFrameTimeout;
  private final Duration lingerTimeout;
  private final int lingerMaxBytes;
  private final Duration refusalLogInterval;
  private final String authHmacSecret;
  private final Path authPublicKeyFile;
  private final URI authJwksUrl;
  private final String authIssuer;
  private final String authAudience;
  private final Duration authClockSkew;
  private final List<String> apiKeys;
  private final List<String> allowedOrigins;
  private final boolean insecureNoAuth;
  private final Duration drainDelay;
  private final Duration drainWindow;
  private final String logFormat;
  private final boolean metrics;
  private final boolean metricsRequireApiKey;
  private final int openFilesHeadroom;
  private final String adminPassword;
  private final Duration adminSession;
  private final Path tlsCertFile;
  private final Path tlsKeyFile;
  private final int h2MaxConcurrentStreams;
  private final int h2MaxHeaderListBytes;
  private final int h2InitialWindowBytes;

  private ServerConfig(Builder b) {
    this.host = b.host;
    this.port = b.port;
    this.broker = b.broker;
    this.history = new HistoryConfig(b.historySize, b.historyAge, b.historyBytes);
    this.channelIdleTimeout = b.channelIdleTimeout;
    this.maxMessageBytes = b.maxMessageBytes;
    this.maxChannelsPerSubscription = b.maxChannelsPerSubscription;
    this.maxParkedPolls = b.maxParkedPolls;
    this.maxConnections = b.maxConnections;
    this.maxFrameBytes = b.maxFrameBytes;
    this.maxHeaderBytes = b.maxHeaderBytes;
    this.maxWait = b.maxWait;
    this.pollLimit = b.pollLimit;
    this.maxPollLimit = b.maxPollLimit;
    this.sseHeartbeat = b.sseHeartbeat;
    this.sseRetry = b.sseRetry;
    this.wsPingInterval = b.wsPingInterval;
    this.wsIdleTimeout = b.wsIdleTimeout;
    this.writeBufferHighBytes = b.writeBufferHighBytes;
    this.shutdownTimeout = b.shutdownTimeout;
    this.ioThreads = b.ioThreads;
    this.disabledTransports = Set.copyOf(b.disabledTransports);
    this.demoFeed = b.demoFeed;
    this.redisHeadCheck = b.redisHeadCheck;
    this.redisCommandTimeout = b.redisCommandTimeout;
    this.redisKeyPrefix = b.redisKeyPrefix;
    this.maxHistoryBytes = b.maxHistoryBytes;
    this.maxActiveChannels = b.maxActiveChannels;
    this.namespaces = List.copyOf(b.namespaces);
    this.wsCommandRate = b.wsCommandRate;
    this.wsCommandBurst = b.wsCommandBurst;
    this.httpPublishRate = b.httpPublishRate;
    this.httpPublishBurst = b.httpPublishBurst;
    this.rateLimitStrikes = b.rateLimitStrikes;
    this.rateLimitStrikeWindow = b.rateLimitStrikeWindow;
    this.wsMaxInflightPublishes = b.wsMaxInflightPublishes;
    this.idempotencyWindow = b.idempotencyWindow;
    this.idempotencyMaxKeys = b.idempotencyMaxKeys;
    this.maxQueuedBytes = b.maxQueuedBytes;
    this.requestHeadTimeout = b.requestHeadTimeout;
    this.requestBodyTimeout = b.requestBodyTimeout;
    this.keepAliveTimeout = b.keepAliveTimeout;
    this.wsFirstFrameTimeout = b.wsFirstFrameTimeout;
    this.lingerTimeout = b.lingerTimeout;
    this.lingerMaxBytes = b.lingerMaxBytes;
    this.refusalLogInterval = b.refusalLogInterval;
    this.drainDelay = b.drainDelay;
    this.drainWindow = b.drainWindow;
    this.authHmacSecret = b.authHmacSecret;
    this.authPublicKeyFile = b.authPublicKeyFile;
    this.authJwksUrl = b.authJwksUrl;
    this.authIssuer = b.authIssuer;
    this.authAudience = b.authAudience;
    this.authClockSkew = b.authClockSkew;
    this.apiKeys = List.copyOf(b.apiKeys);
    this.allowedOrigins = List.copyOf(b.allowedOrigins);
    this.insecureNoAuth = b.insecureNoAuth;
    this.logFormat = b.logFormat;
    this.metrics = b.metrics;
    this.metricsRequireApiKey = b.metricsRequireApiKey;
    this.openFilesHeadroom = b.openFilesHeadroom;
    this.adminPassword = b.adminPassword;
    this.adminSession = b.adminSession;
    this.tlsCertFile = b.tlsCertFile;
    this.tlsKeyFile = b.tlsKeyFile;
    this.h2MaxConcurrentStreams = b.h2MaxConcurrentStreams;
    this.h2MaxHeaderListBytes = b.h2MaxHeaderListBytes;
    this.h2InitialWindowBytes = b.h2InitialWindowBytes;
    this.namespaceHistory = namespaceHistory(namespaces, history);
  }

  private static java.util.Map<String, HistoryConfig> namespaceHistory(
      List<NamespacePolicy> namespaces, HistoryConfig server) {
    java.util.Map<String, HistoryConfig> map = new java.util.HashMap<>();
    for (NamespacePolicy p : namespaces) {
      if (p.historySize().isPresent() || p.historyAge().isPresent()) {
        try {
          map.put(
              p.namespace(),
              new HistoryConfig(
                  p.historySize().orElse(server.maxMessages()),
                  p.historyAge().orElse(server.maxAge()),
                  server.maxBytes()));
        } catch (IllegalArgumentException e) {
          throw new IllegalArgumentException(
              "namespace " + p.namespace() + ": " + e.getMessage(), e);
        }
      }
    }
    return java.util.Map.copyOf(map);
  }

  /** A builder holding every default. */
  public static Builder builder() {
    return new Builder();
  }

  /** The defaults. */
  public static ServerConfig defaults() {
    return builder().build();
  }

  /** Address to bind; default {@value #DEFAULT_HOST}. */
  public String host() {
    return host;
  }

  /** TCP port, 0 (any free port) to 65535; default {@value #DEFAULT_PORT}. */
  public int port() {
    return port;
  }

  /** {@code memory} or {@code redis://host:port[/db]}; default {@value #DEFAULT_BROKER}. */
  public String broker() {
    return broker;
  }

  /** History kept per channel; default 1000 messages, 4 MiB and 1 hour. */
  public HistoryConfig history() {
    return history;
  }

  /** How long a channel nobody uses stays active on this node; default 60 seconds. */
  public Duration channelIdleTimeout() {
    return channelIdleTimeout;
  }

  /**
   * Largest publication data in bytes; default 65536. Larger ones get {@code 413
   * message_too_large}.
   */
  public int maxMessageBytes() {
    return maxMessageBytes;
  }

  /** Most channels in one subscription; default 32. More get {@code 400 too_many_channels}. */
  public int maxChannelsPerSubscription() {
    return maxChannelsPerSubscription;
  }

  /** Most long polls parked at once; default 10000. More get {@code 503 over_capacity}. */
  public int maxParkedPolls() {
    return maxParkedPolls;
  }

  /**
   * Most open connections; default 18000. More are answered {@code 503 over_capacity} and closed.
   */
  public int maxConnections() {
    return maxConnections;
  }

  /**
   * Largest WebSocket frame from a client, in bytes; default 131072. Larger ones close with 1009.
   */
  public int maxFrameBytes() {
    return maxFrameBytes;
  }

  /** Largest request line plus headers, in bytes; default 16384. Larger ones get {@code 431}. */
  public int maxHeaderBytes() {
    return maxHeaderBytes;
  }

  /**
   * Longest long-poll wait a client may ask for; default 45 seconds, under the common proxies' read
   * timeouts (nginx 60 s, HAProxy's usual {@code timeout server 50s}) so that a poll at the maximum
   * wait is answered before a proxy gives up on it. Longer asks are cut to it.
   */
  public Duration maxWait() {
    return maxWait;
  }

  /** Messages in one poll answer without {@code limit}; default 100. */
  public int pollLimit() {
    return pollLimit;
  }

  /**
   * Largest {@code limit} of a poll; default 1000. A larger one gets {@code 400 invalid_request}.
   */
  public int maxPollLimit() {
    return maxPollLimit;
  }

  /** Silence after which an SSE stream gets a {@code :} heartbeat; default 15 seconds. */
  public Duration sseHeartbeat() {
    return sseHeartbeat;
  }

  /** The {@code retry:} delay sent to EventSource; default 2 seconds. */
  public Duration sseRetry() {
    return sseRetry;
  }

  /** Interval between WebSocket pings; default 25 seconds. */
  public Duration wsPingInterval() {
    return wsPingInterval;
  }

  /**
   * A WebSocket that sends nothing (no pong, no frame) for this long is closed; default 60 seconds.
   */
  public Duration wsIdleTimeout() {
    return wsIdleTimeout;
  }

  /** Write buffer per connection above which delivery to it pauses; default 262144 bytes. */
  public int writeBufferHighBytes() {
    return writeBufferHighBytes;
  }

  /** Time allowed for a graceful shutdown; default 10 seconds. */
  public Duration shutdownTimeout() {
    return shutdownTimeout;
  }

  /** Event loop threads; 0 (the default) means Netty's default, twice the cores. */
  public int ioThreads() {
    return ioThreads;
  }

  /** Transports this server refuses (for tests of client fallback); default none. */
  public Set<Transport> disabledTransports() {
    return disabledTransports;
  }

  /** Whether the demo price feed publishes ticks to {@code demo:prices}; default off. */
  public boolean demoFeed() {
    return demoFeed;
  }

  /** Whether {@code transport} is served. */
  public boolean enabled(Transport transport) {
    return !disabledTransports.contains(transport);
  }

  /**
   * With a Redis broker: how often each subscribed channel's stream head is compared with what was
   * delivered, to catch lost Pub/Sub messages; default 5 seconds.
   */
  public Duration redisHeadCheck() {
    return redisHeadCheck;
  }

  /**
   * With a Redis broker: how long a Redis command may take before it fails (a publication then
   * answers {@code 504 publish_outcome_unknown}, and later ones {@code 503 unavailable} until Redis
   * answers again; {@code /health} answers 503 meanwhile); default 5 seconds.
   */
  public Duration redisCommandTimeout() {
    return redisCommandTimeout;
  }

  /** With a Redis broker: the prefix of every key and Pub/Sub channel; default {@code herald}. */
  public String redisKeyPrefix() {
    return redisKeyPrefix;
  }

  /**
   * Bytes of history this node keeps, all channels together (the oldest go first past it); default
   * {@value #DEFAULT_MAX_HISTORY_BYTES}. Keep it at about a quarter to a third of {@code -Xmx}.
   */
  public long maxHistoryBytes() {
    return maxHistoryBytes;
  }

  /**
   * Most channels active on this node at once (with history, subscribed, or kept warm); one more is
   * refused with {@code 503 over_capacity}; default {@value #DEFAULT_MAX_ACTIVE_CHANNELS}.
   */
  public int maxActiveChannels() {
    return maxActiveChannels;
  }

  /**
   * The namespaces configured (PROTOCOL.md section 10), in the order given; empty by default. A
   * namespace not listed follows the server's defaults.
   */
  public List<NamespacePolicy> namespaces() {
    return namespaces;
  }

  /**
   * How much history {@code channel} keeps: the server's {@link #history()}, with the message count
   * and age its namespace sets (PROTOCOL.md section 10) when its {@link NamespacePolicy} sets them.
   * The bytes per channel are always the server's. Fast; called whenever a channel's log is made.
   */
  public HistoryConfig historyOf(String channel) {
    return namespaceHistory.getOrDefault(NamespacePolicy.namespaceOf(channel), history);
  }

  /**
   * WebSocket commands (every type) a connection may send per second, the refill of its token
   * bucket; default 200; 0 turns the limit off. A command over the limit gets an {@code error}
   * frame {@code rate_limited} with its {@code id}.
   */
  public int wsCommandRate() {
    return wsCommandRate;
  }

  /** WebSocket commands a connection may send at once (its bucket's size); default 400. */
  public int wsCommandBurst() {
    return wsCommandBurst;
  }

  /**
   * HTTP publications one connection may send per second (keep-alive requests share the bucket);
   * default 1000; 0 turns the limit off. Over it: {@code 429 rate_limited} with {@code
   * Retry-After}.
   */
  public int httpPublishRate() {
    return httpPublishRate;
  }

  /** HTTP publications one connection may send at once (its bucket's size); default 2000. */
  public int httpPublishBurst() {
    return httpPublishBurst;
  }

  /**
   * Rate-limit refusals a connection may collect within {@link #rateLimitStrikeWindow()}; one more
   * closes it (WebSocket {@code 1008}, HTTP {@code 429} with {@code Connection: close}); default
   * 100.
   */
  public int rateLimitStrikes() {
    return rateLimitStrikes;
  }

  /** Window over which {@link #rateLimitStrikes()} are counted; default 10 seconds. */
  public Duration rateLimitStrikeWindow() {
    return rateLimitStrikeWindow;
  }

  /**
   * WebSocket publications per connection sent to the broker and not yet answered; default 64. At
   * the cap the server stops reading from that connection until one is answered (backpressure:
   * nothing is refused or lost).
   */
  public int wsMaxInflightPublishes() {
    return wsMaxInflightPublishes;
  }

  /**
   * How long a publication's idempotency key is remembered: a publication to the same channel with
   * the same key within it publishes nothing and answers the first one's offset and epoch; default
   * 5 minutes.
   */
  public Duration idempotencyWindow() {
    return idempotencyWindow;
  }

  /**
   * With the memory broker: how many idempotency keys are remembered at most (the oldest are
   * forgotten first); default {@value #DEFAULT_IDEMPOTENCY_MAX_KEYS}. Redis keeps each key as a key
   * of its own, with the window as TTL.
   */
  public int idempotencyMaxKeys() {
    return idempotencyMaxKeys;
  }

  /**
   * Bytes that may be queued for one connection (answers, replies, pongs, frames not yet taken by
   * the socket); a write that finds more queued closes the connection as a slow client (a WebSocket
   * with {@code 1008}). One answer larger than this is still sent whole. Reading from a connection
   * pauses while more than {@code writeBufferHighBytes} is queued, and delivery to a subscriber
   * queues at most that plus 8 messages, so keep this above {@code writeBufferHighBytes + 8 x
   * maxMessageBytes}, or slow subscribers are cut instead of lagging. Default 1 MiB.
   */
  public int maxQueuedBytes() {
    return maxQueuedBytes;
  }

  /**
   * Time for a request line and headers to arrive, from the request's first byte (from the
   * connection's opening for its first request); past it {@code 408} and close. Default 10 s.
   */
  public Duration requestHeadTimeout() {
    return requestHeadTimeout;
  }

  /** Time for a whole request body to arrive; past it {@code 408} and close. Default 30 s. */
  public Duration requestBodyTimeout() {
    return requestBodyTimeout;
  }

  /**
   * Time a keep-alive connection may wait for its next request (none under way, none parked); past
   * it the connection is closed. Default 60 s.
   */
  public Duration keepAliveTimeout() {
    return keepAliveTimeout;
  }

  /**
   * Time for the first frame of a WebSocket opened on {@code /ws} with no subscription; past it
   * close {@code 1008}. Default 10 s.
   */
  public Duration wsFirstFrameTimeout() {
    return wsFirstFrameTimeout;
  }

  /**
   * Longest lingering close: after an error answer that ends the connection, what the client still
   * sends is read and dropped for at most this long, so it sees the answer and not a reset. Default
   * 5 s.
   */
  public Duration lingerTimeout() {
    return lingerTimeout;
  }

  /** Most bytes read and dropped during a lingering close; default 16 MiB. */
  public int lingerMaxBytes() {
    return lingerMaxBytes;
  }

  /**
   * Interval of the summary log line of refused requests by status and code (written only when some
   * were refused); default 60 s.
   */
  public Duration refusalLogInterval() {
    return refusalLogInterval;
  }

  /**
   * On SIGTERM ({@link HeraldServer#drain()}): how long the node keeps serving everything while
   * {@code /ready} answers 503, before it starts closing connections; default 5 seconds.
   */
  public Duration drainDelay() {
    return drainDelay;
  }

  /**
   * On SIGTERM, after {@link #drainDelay()}: the window over which connections are closed, spread
   * evenly in random order (WebSocket 1001, SSE {@code herald.end}, parked long polls answered);
   * default 10 seconds.
   */
  public Duration drainWindow() {
    return drainWindow;
  }

  /**
   * The shared secret (UTF-8, at least 32 bytes) that HS256/384/512 tokens are signed with, or
   * null.
   */
  public String authHmacSecret() {
    return authHmacSecret;
  }

  /** A PEM file with the public key (RSA or EC) that RS/ES tokens are signed with, or null. */
  public Path authPublicKeyFile() {
    return authPublicKeyFile;
  }

  /** A JWKS URL whose keys sign RS/ES tokens (cached, fetched again on an unknown kid), or null. */
  public URI authJwksUrl() {
    return authJwksUrl;
  }

  /** The {@code iss} every token must carry, or null for no check. */
  public String authIssuer() {
    return authIssuer;
  }

  /** The {@code aud} every token must include, or null for no check. */
  public String authAudience() {
    return authAudience;
  }

  /** Tolerance for clock differences on {@code exp} and {@code nbf}; default 30 s. */
  public Duration authClockSkew() {
    return authClockSkew;
  }

  /** API keys for backends ({@code X-Api-Key}); empty by default. Never logged. */
  public List<String> apiKeys() {
    return apiKeys;
  }

  /**
   * Origins (besides the page's own) allowed to open WebSockets and make CORS requests, such as
   * {@code https://app.example}; {@code *} allows any. Empty by default: same origin only.
   */
  public List<String> allowedOrigins() {
    return allowedOrigins;
  }

  /** Whether the server may run without credentials on a non-loopback address. */
  public boolean insecureNoAuth() {
    return insecureNoAuth;
  }

  /**
   * Format of {@code herald serve}'s log lines on stderr: {@code text} (default) or {@code json},
   * one JSON object per line from Logback's {@code JsonEncoder}, tokens redacted as in text. A
   * server embedded with {@link HeraldServer#start} leaves the application's logging alone.
   */
  public String logFormat() {
    return logFormat;
  }

  /**
   * Whether {@code GET /metrics} serves Prometheus metrics; {@value #DEFAULT_METRICS} by default.
   */
  public boolean metrics() {
    return metrics;
  }

  /**
   * Whether {@code /metrics} needs one of {@link #apiKeys()} ({@code X-Api-Key} or {@code
   * Authorization: Bearer KEY}); {@value #DEFAULT_METRICS_REQUIRE_API_KEY} by default.
   */
  public boolean metricsRequireApiKey() {
    return metricsRequireApiKey;
  }

  /**
   * File descriptors kept for everything but client connections, 0 to 100,000; {@value
   * #DEFAULT_OPEN_FILES_HEADROOM} by default. When the process's open-file limit is below {@link
   * #maxConnections()} plus this, the server lowers its connection limit at start and says so.
   */
  public int openFilesHeadroom() {
    return openFilesHeadroom;
  }

  /**
   * The PEM certificate chain served over TLS (server certificate first), or null for plain HTTP.
   * Read again when it changes on disk: new connections get the new certificate.
   */
  public Path tlsCertFile() {
    return tlsCertFile;
  }

  /** The PEM private key (PKCS#8, {@code BEGIN PRIVATE KEY}) of {@link #tlsCertFile()}, or null. */
  public Path tlsKeyFile() {
    return tlsKeyFile;
  }

  /**
   * Whether the port serves HTTPS: a certificate or a key is configured (the server refuses to
   * start with only one of them).
   */
  public boolean tls() {
    return tlsCertFile != null || tlsKeyFile != null;
  }

  /**
   * Most HTTP/2 streams a client may have open at once on one connection ({@code
   * SETTINGS_MAX_CONCURRENT_STREAMS}); one more is refused with {@code RST_STREAM REFUSED_STREAM}.
   * Each SSE subscription and each long poll holds one. Default {@value
   * #DEFAULT_H2_MAX_CONCURRENT_STREAMS}.
   */
  public int h2MaxConcurrentStreams() {
    return h2MaxConcurrentStreams;
  }

  /**
   * Largest HTTP/2 header list a client may send ({@code SETTINGS_MAX_HEADER_LIST_SIZE}, counted as
   * RFC 9113 says: names, values and 32 bytes per field); past it the stream is answered {@code
   * 431}, more than a quarter past it the connection ends with {@code GOAWAY} (Netty's rule).
   * Default {@value #DEFAULT_H2_MAX_HEADER_LIST_BYTES} bytes.
   */
  public int h2MaxHeaderListBytes() {
    return h2MaxHeaderListBytes;
  }

  /**
   * The HTTP/2 flow-control window a client may fill on each stream ({@code
   * SETTINGS_INITIAL_WINDOW_SIZE}) and on the connection; Netty gives it back as the server reads.
   * Default {@value #DEFAULT_H2_INITIAL_WINDOW_BYTES} bytes.
   */
  public int h2InitialWindowBytes() {
    return h2InitialWindowBytes;
  }

  /** Whether any credential (HMAC secret, public key, JWKS URL, API key) is configured. */
  public boolean credentialsConfigured() {
    return authHmacSecret != null
        || authPublicKeyFile != null
        || authJwksUrl != null
        || !apiKeys.isEmpty();
  }

  /**
   * The password of the admin page ({@code /admin}), or null for none; never logged. The admin page
   * is served when this or an API key is set, and is 404 otherwise.
   */
  public String adminPassword() {
    return adminPassword;
  }

  /** Lifetime of an admin page sign-in, 1 minute to 24 hours; default 15 minutes. */
  public Duration adminSession() {
    return adminSession;
  }

  /** Whether the admin page is served: an admin password or an API key is configured. */
  public boolean adminEnabled() {
    return adminPassword != null || !apiKeys.isEmpty();
  }

  /** The settings as one line for the start-up log (see {@link Settings#describe}). */
  @Override
  public String toString() {
    return Settings.describe(this);
  }

  /**
   * Builds a {@link ServerConfig}; every setter checks its range and fails with {@link
   * IllegalArgumentException}.
   */
  public static final class Builder {
    private String host = DEFAULT_HOST;
    private int port = DEFAULT_PORT;
    private String broker = DEFAULT_BROKER;
    private int historySize = HistoryConfig.DEFAULT_MAX_MESSAGES;
    private Duration historyAge = HistoryConfig.DEFAULT_MAX_AGE;
    private Duration channelIdleTimeout = Hub.DEFAULT_IDLE_TIMEOUT;
    private int maxMessageBytes = DEFAULT_MAX_MESSAGE_BYTES;
    private int maxChannelsPerSubscription = DEFAULT_MAX_CHANNELS_PER_SUBSCRIPTION;
    private int maxParkedPolls = DEFAULT_MAX_PARKED_POLLS;
    private int maxConnections = DEFAULT_MAX_CONNECTIONS;
    private int maxFrameBytes = DEFAULT_MAX_FRAME_BYTES;
    private int maxHeaderBytes = DEFAULT_MAX_HEADER_BYTES;
    private Duration maxWait = DEFAULT_MAX_WAIT;
    private int pollLimit = DEFAULT_POLL_LIMIT;
    private int maxPollLimit = DEFAULT_MAX_POLL_LIMIT;
    private Duration sseHeartbeat = DEFAULT_SSE_HEARTBEAT;
    private Duration sseRetry = DEFAULT_SSE_RETRY;
    private Duration wsPingInterval = DEFAULT_WS_PING_INTERVAL;
    private Duration wsIdleTimeout = DEFAULT_WS_IDLE_TIMEOUT;
    private int writeBufferHighBytes = DEFAULT_WRITE_BUFFER_HIGH_BYTES;
    private Duration shutdownTimeout = DEFAULT_SHUTDOWN_TIMEOUT;
    private int ioThreads = 0;
    private Set<Transport> disabledTransports = EnumSet.noneOf(Transport.class);
    private boolean demoFeed = false;
    private Duration redisHeadCheck =
        Duration.ofMillis(RedisBrokerConfig.DEFAULT_HEAD_CHECK_MILLIS);
    private Duration redisCommandTimeout =
        Duration.ofMillis(RedisBrokerConfig.DEFAULT_COMMAND_TIMEOUT_MILLIS);
    private String redisKeyPrefix = RedisBrokerConfig.DEFAULT_KEY_PREFIX;
    private long historyBytes = DEFAULT_HISTORY_BYTES;
    private long maxHistoryBytes = DEFAULT_MAX_HISTORY_BYTES;
    private int maxActiveChannels = DEFAULT_MAX_ACTIVE_CHANNELS;
    private List<NamespacePolicy> namespaces = List.of();
    private int wsCommandRate = DEFAULT_WS_COMMAND_RATE;
    private int wsCommandBurst = DEFAULT_WS_COMMAND_BURST;
    private int httpPublishRate = DEFAULT_HTTP_PUBLISH_RATE;
    private int httpPublishBurst = DEFAULT_HTTP_PUBLISH_BURST;
    private int rateLimitStrikes = DEFAULT_RATE_LIMIT_STRIKES;
    private Duration rateLimitStrikeWindow = DEFAULT_RATE_LIMIT_STRIKE_WINDOW;
    private int wsMaxInflightPublishes = DEFAULT_WS_MAX_INFLIGHT_PUBLISHES;
    private Duration idempotencyWindow = DEFAULT_IDEMPOTENCY_WINDOW;
    private int idempotencyMaxKeys = DEFAULT_IDEMPOTENCY_MAX_KEYS;
    private int maxQueuedBytes = DEFAULT_MAX_QUEUED_BYTES;
    private Duration requestHeadTimeout = DEFAULT_REQUEST_HEAD_TIMEOUT;
    private Duration requestBodyTimeout = DEFAULT_REQUEST_BODY_TIMEOUT;
    private Duration keepAliveTimeout = DEFAULT_KEEP_ALIVE_TIMEOUT;
    private Duration wsFirstFrameTimeout = DEFAULT_WS_FIRST_FRAME_TIMEOUT;
    private Duration lingerTimeout = DEFAULT_LINGER_TIMEOUT;
    private int lingerMaxBytes = DEFAULT_LINGER_MAX_BYTES;
    private Duration refusalLogInterval = DEFAULT_REFUSAL_LOG_INTERVAL;
    private Duration drainDelay = DEFAULT_DRAIN_DELAY;
    private Duration drainWindow = DEFAULT_DRAIN_WINDOW;
    private String authHmacSecret;
    private Path authPublicKeyFile;
    private URI authJwksUrl;
    private String authIssuer;
    private String authAudience;
    private Duration authClockSkew = DEFAULT_AUTH_CLOCK_SKEW;
    private List<String> apiKeys = List.of();
    private List<String> allowedOrigins = List.of();
    private boolean insecureNoAuth;
    private String logFormat = DEFAULT_LOG_FORMAT;
    private boolean metrics = DEFAULT_METRICS;
    private boolean metricsRequireApiKey = DEFAULT_METRICS_REQUIRE_API_KEY;
    private int openFilesHeadroom = DEFAULT_OPEN_FILES_HEADROOM;
    private String adminPassword;
    private Duration adminSession = DEFAULT_ADMIN_SESSION;
    private Path tlsCertFile;
    private Path tlsKeyFile;
    private int h2MaxConcurrentStreams = DEFAULT_H2_MAX_CONCURRENT_STREAMS;
    private int h2MaxHeaderListBytes = DEFAULT_H2_MAX_HEADER_LIST_BYTES;
    private int h2InitialWindowBytes = DEFAULT_H2_INITIAL_WINDOW_BYTES;

    private Builder() {}

    public Builder host(String host) {
      this.host = Objects.requireNonNull(host, "host");
      return this;
    }

    public Builder port(int port) {
      this.port = range("port", port, 0, 65535);
      return this;
    }

    public Builder broker(String broker) {
      Objects.requireNonNull(broker, "broker");
      if (!broker.equals("memory")
          && !broker.startsWith("redis://")
          && !broker.startsWith("rediss://")) {
        throw new IllegalArgumentException(
            "broker must be 'memory' or redis://host:port[/db] (rediss:// for TLS), got '"
                + broker
                + "'");
      }
      this.broker = broker;
      return this;
    }

    public Builder historySize(int messages) {
      this.historySize = range("history size", messages, 1, 1_000_000);
      return this;
    }

    public Builder historyAge(Duration age) {
      this.historyAge = atLeast("history age", age, Duration.ofSeconds(1));
      return this;
    }

    public Builder channelIdleTimeout(Duration timeout) {
      this.channelIdleTimeout = atLeast("channel idle timeout", timeout, Duration.ZERO);
      return this;
    }

    public Builder maxMessageBytes(int bytes) {
      this.maxMessageBytes = range("max message bytes", bytes, 1, 16 * 1024 * 1024);
      return this;
    }

    public Builder maxChannelsPerSubscription(int channels) {
      this.maxChannelsPerSubscription = range("max channels per subscription", channels, 1, 1000);
      return this;
    }

    public Builder maxParkedPolls(int polls) {
      this.maxParkedPolls = range("max parked polls", polls, 0, 1_000_000);
      return this;
    }

    public Builder maxConnections(int connections) {
      this.maxConnections = range("max connections", connections, 1, 10_000_000);
      return this;
    }

    public Builder maxFrameBytes(int bytes) {
      this.maxFrameBytes = range("max frame bytes", bytes, 125, 64 * 1024 * 1024);
      return this;
    }

    public Builder maxHeaderBytes(int bytes) {
      this.maxHeaderBytes = range("max header bytes", bytes, 1024, 1024 * 1024);
      return this;
    }

    public Builder maxWait(Duration wait) {
      this.maxWait = atLeast("max wait", wait, Duration.ofSeconds(1));
      return this;
    }

    public Builder pollLimit(int messages) {
      this.pollLimit = range("poll limit", messages, 1, 1_000_000);
      return this;
    }

    public Builder maxPollLimit(int messages) {
      this.maxPollLimit = range("max poll limit", messages, 1, 1_000_000);
      return this;
    }

    public Builder sseHeartbeat(Duration interval) {
      this.sseHeartbeat = atLeast("SSE heartbeat", interval, Duration.ofMillis(100));
      return this;
    }

    public Builder sseRetry(Duration delay) {
      this.sseRetry = atLeast("SSE retry", delay, Duration.ZERO);
      return this;
    }

    public Builder wsPingInterval(Duration interval) {
      this.wsPingInterval = atLeast("WebSocket ping interval", interval, Duration.ofMillis(100));
      return this;
    }

    public Builder wsIdleTimeout(Duration timeout) {
      this.wsIdleTimeout = atLeast("WebSocket idle timeout", timeout, Duration.ofMillis(200));
      return this;
    }

    public Builder writeBufferHighBytes(int bytes) {
      this.writeBufferHighBytes = range("write buffer high bytes", bytes, 1024, 64 * 1024 * 1024);
      return this;
    }

    public Builder shutdownTimeout(Duration timeout) {
      this.shutdownTimeout = atLeast("shutdown timeout", timeout, Duration.ZERO);
      return this;
    }

    public Builder ioThreads(int threads) {
      this.ioThreads = range("io threads", threads, 0, 1024);
      return this;
    }

    public Builder disabledTransports(Set<Transport> transports) {
      EnumSet<Transport> set =
          transports.isEmpty() ? EnumSet.noneOf(Transport.class) : EnumSet.copyOf(transports);
      if (set.contains(Transport.SHORT_POLL)) {
        throw new IllegalArgumentException("short polling is the last rung and cannot be disabled");
      }
      this.disabledTransports = set;
      return this;
    }

    public Builder demoFeed(boolean on) {
      this.demoFeed = on;
      return this;
    }

    public Builder redisHeadCheck(Duration interval) {
      this.redisHeadCheck = atLeast("Redis head check interval", interval, Duration.ofMillis(10));
      return this;
    }

    public Builder redisCommandTimeout(Duration timeout) {
      this.redisCommandTimeout = atLeast("Redis command timeout", timeout, Duration.ofMillis(10));
      return this;
    }

    public Builder redisKeyPrefix(String prefix) {
      if (prefix == null || prefix.isEmpty() || prefix.contains("{") || prefix.contains("}")) {
        throw new IllegalArgumentException(
            "Redis key prefix must be non-empty and without braces, got '" + prefix + "'");
      }
      this.redisKeyPrefix = prefix;
      return this;
    }

    /** Bytes of history per channel, 1 KiB to 1 TiB. */
    public Builder historyBytes(long bytes) {
      this.historyBytes =
          range("history bytes", bytes, HistoryConfig.MIN_MAX_BYTES, HistoryConfig.MAX_MAX_BYTES);
      return this;
    }

    /** Bytes of history for the whole node, 64 KiB to 1 TiB. */
    public Builder maxHistoryBytes(long bytes) {
      this.maxHistoryBytes =
          range("max history bytes", bytes, HistoryBudget.MIN_MAX_BYTES, 1L << 40);
      return this;
    }

    /** Most channels active on the node, 1 to 100,000,000. */
    public Builder maxActiveChannels(int channels) {
      this.maxActiveChannels = range("max active channels", channels, 1, 100_000_000);
      return this;
    }

    /** The namespaces and their policies; at most one per name. */
    public Builder namespaces(List<NamespacePolicy> namespaces) {
      java.util.Set<String> seen = new java.util.HashSet<>();
      for (NamespacePolicy p : namespaces) {
        if (!seen.add(p.namespace())) {
          throw new IllegalArgumentException("namespace " + p.namespace() + " is listed twice");
        }
      }
      this.namespaces = List.copyOf(namespaces);
      return this;
    }

    /**
     * @param perSecond WebSocket commands per second per connection, 0 (no limit) to 1000000
     * @param burst commands at once, 1 to 1000000
     */
    public Builder wsCommandRate(int perSecond, int burst) {
      this.wsCommandRate = range("WebSocket command rate", perSecond, 0, 1_000_000);
      this.wsCommandBurst = range("WebSocket command burst", burst, 1, 1_000_000);
      return this;
    }

    /**
     * @param perSecond HTTP publications per second per connection, 0 (no limit) to 1000000
     * @param burst publications at once, 1 to 1000000
     */
    public Builder httpPublishRate(int perSecond, int burst) {
      this.httpPublishRate = range("HTTP publish rate", perSecond, 0, 1_000_000);
      this.httpPublishBurst = range("HTTP publish burst", burst, 1, 1_000_000);
      return this;
    }

    /**
     * @param strikes refusals tolerated per window, 1 to 1000000
     * @param window at least 1 second
     */
    public Builder rateLimitStrikes(int strikes, Duration window) {
      this.rateLimitStrikes = range("rate limit strikes", strikes, 1, 1_000_000);
      this.rateLimitStrikeWindow =
          atLeast("rate limit strike window", window, Duration.ofSeconds(1));
      return this;
    }

    public Builder wsMaxInflightPublishes(int publishes) {
      this.wsMaxInflightPublishes = range("WebSocket in-flight publishes", publishes, 1, 100_000);
      return this;
    }

    /** WebSocket commands per second per connection, 0 (no limit) to 1000000; burst unchanged. */
    public Builder wsCommandRate(int perSecond) {
      return wsCommandRate(perSecond, wsCommandBurst);
    }

    /** WebSocket commands at once, 1 to 1000000; rate unchanged. */
    public Builder wsCommandBurst(int burst) {
      return wsCommandRate(wsCommandRate, burst);
    }

    /** HTTP publications per second per connection, 0 (no limit) to 1000000; burst unchanged. */
    public Builder httpPublishRate(int perSecond) {
      return httpPublishRate(perSecond, httpPublishBurst);
    }

    /** HTTP publications at once, 1 to 1000000; rate unchanged. */
    public Builder httpPublishBurst(int burst) {
      return httpPublishRate(httpPublishRate, burst);
    }

    /** Rate-limit refusals tolerated per window, 1 to 1000000; window unchanged. */
    public Builder rateLimitStrikes(int strikes) {
      return rateLimitStrikes(strikes, rateLimitStrikeWindow);
    }

    /** Window over which rate-limit refusals are counted, at least 1 second; strikes unchanged. */
    public Builder rateLimitStrikeWindow(Duration window) {
      return rateLimitStrikes(rateLimitStrikes, window);
    }

    /** How long idempotency keys are remembered: 1 second to 1 day. */
    public Builder idempotencyWindow(Duration window) {
      Objects.requireNonNull(window, "idempotency window");
      if (window.compareTo(Duration.ofSeconds(1)) < 0 || window.compareTo(Duration.ofDays(1)) > 0) {
        throw new IllegalArgumentException(
            "idempotency window must be 1 to 86400 seconds, got " + window.toSeconds() + " s");
      }
      this.idempotencyWindow = window;
      return this;
    }

    /** How many idempotency keys the memory broker remembers: 1 to 10,000,000. */
    public Builder idempotencyMaxKeys(int keys) {
      this.idempotencyMaxKeys = range("idempotency max keys", keys, 1, 10_000_000);
      return this;
    }

    /** 64 KiB to 1 GiB; see {@link ServerConfig#maxQueuedBytes()}. */
    public Builder maxQueuedBytes(int bytes) {
      this.maxQueuedBytes = range("max queued bytes", bytes, 64 * 1024, 1024 * 1024 * 1024);
      return this;
    }

    /** At least 100 ms; see {@link ServerConfig#requestHeadTimeout()}. */
    public Builder requestHeadTimeout(Duration timeout) {
      this.requestHeadTimeout = atLeast("request head timeout", timeout, Duration.ofMillis(100));
      return this;
    }

    /** At least 100 ms; see {@link ServerConfig#requestBodyTimeout()}. */
    public Builder requestBodyTimeout(Duration timeout) {
      this.requestBodyTimeout = atLeast("request body timeout", timeout, Duration.ofMillis(100));
      return this;
    }

    /** At least 100 ms; see {@link ServerConfig#keepAliveTimeout()}. */
    public Builder keepAliveTimeout(Duration timeout) {
      this.keepAliveTimeout = atLeast("keep-alive timeout", timeout, Duration.ofMillis(100));
      return this;
    }

    /** At least 100 ms; see {@link ServerConfig#wsFirstFrameTimeout()}. */
    public Builder wsFirstFrameTimeout(Duration timeout) {
      this.wsFirstFrameTimeout =
          atLeast("WebSocket first frame timeout", timeout, Duration.ofMillis(100));
      return this;
    }

    /** Zero (close at once) or more; see {@link ServerConfig#lingerTimeout()}. */
    public Builder lingerTimeout(Duration timeout) {
      this.lingerTimeout = atLeast("linger timeout", timeout, Duration.ZERO);
      return this;
    }

    /** 0 to 1 GiB; see {@link ServerConfig#lingerMaxBytes()}. */
    public Builder lingerMaxBytes(int bytes) {
      this.lingerMaxBytes = range("linger max bytes", bytes, 0, 1024 * 1024 * 1024);
      return this;
    }

    /** At least 1 s; see {@link ServerConfig#refusalLogInterval()}. */
    public Builder refusalLogInterval(Duration interval) {
      this.refusalLogInterval = atLeast("refusal log interval", interval, Duration.ofSeconds(1));
      return this;
    }

    /**
     * The HMAC secret for HS256/384/512 tokens: at least 32 UTF-8 bytes (HS384 needs 48, HS512 64);
     * null or empty for none.
     */
    public Builder authHmacSecret(String secret) {
      if (secret != null && secret.isEmpty()) {
        secret = null;
      }
      if (secret != null
          && secret.getBytes(java.nio.charset.StandardCharsets.UTF_8).length
              < io.herald.server.auth.TokenMinter.MIN_SECRET_BYTES) {
        throw new IllegalArgumentException(
            "auth HMAC secret must be at least "
                + io.herald.server.auth.TokenMinter.MIN_SECRET_BYTES
                + " bytes (HS256), got "
                + secret.getBytes(java.nio.charset.StandardCharsets.UTF_8).length
                + "; generate one with: openssl rand -base64 48");
      }
      this.authHmacSecret = secret;
      return this;
    }

    /** A PEM file with an RSA or EC public key (or certificate); null for none. */
    public Builder authPublicKeyFile(Path file) {
      this.authPublicKeyFile = file;
      return this;
    }

    /** A JWKS URL (http or https); null for none. */
    public Builder authJwksUrl(URI url) {
      if (url != null
          && !("https".equalsIgnoreCase(url.getScheme())
              || "http".equalsIgnoreCase(url.getScheme()))) {
        throw new IllegalArgumentException(
            "auth JWKS URL must be an http or https URL, got '" + url + "'");
      }
      this.authJwksUrl = url;
      return this;
    }

    /** The required {@code iss}; null or empty for no check. */
    public Builder authIssuer(String issuer) {
      this.authIssuer = issuer == null || issuer.isEmpty() ? null : issuer;
      return this;
    }

    /** The required {@code aud}; null or empty for no check. */
    public Builder authAudience(String audience) {
      this.authAudience = audience == null || audience.isEmpty() ? null : audience;
      return this;
    }

    /** Clock skew tolerated on {@code exp} and {@code nbf}, 0 to 600 seconds. */
    public Builder authClockSkew(Duration skew) {
      Objects.requireNonNull(skew, "auth clock skew");
      if (skew.isNegative() || skew.compareTo(Duration.ofMinutes(10)) > 0) {
        throw new IllegalArgumentException(
            "auth clock skew must be 0 to 600 seconds, got " + skew.toSeconds());
      }
      this.authClockSkew = skew;
      return this;
    }

    /** API keys for backends; each 16 to 512 printable ASCII characters. */
    public Builder apiKeys(List<String> keys) {
      for (String k : keys) {
        if (k.length() < 16 || k.length() > 512 || !k.chars().allMatch(c -> c > 32 && c < 127)) {
          throw new IllegalArgumentException(
              "an API key must be 16 to 512 printable ASCII characters without spaces, got one of "
                  + k.length()
                  + " characters");
        }
      }
      this.apiKeys = List.copyOf(keys);
      return this;
    }

    /**
     * Origins allowed besides the page's own: each {@code scheme://host[:port]}, or {@code *} for
     * any.
     */
    public Builder allowedOrigins(List<String> origins) {
      List<String> out = new java.util.ArrayList<>();
      for (String o : origins) {
        String t = o.trim();
        if (t.isEmpty()) {
          continue;
        }
        if (!t.equals("*") && !t.matches("(?i)https?://[^/?#\\s]+")) {
          throw new IllegalArgumentException(
              "an allowed origin is scheme://host[:port] (https://app.example) or *, got '"
                  + t
                  + "'");
        }
        out.add(t.equals("*") ? t : t.toLowerCase(java.util.Locale.ROOT));
      }
      this.allowedOrigins = List.copyOf(out);
      return this;
    }

    /** Allows running without credentials on a non-loopback address. */
    public Builder insecureNoAuth(boolean on) {
      this.insecureNoAuth = on;
      return this;
    }

    /** Zero or more, at most a day; see {@link ServerConfig#drainDelay()}. */
    public Builder drainDelay(Duration delay) {
      this.drainDelay = atLeast("drain delay", delay, Duration.ZERO);
      return this;
    }

    /** Zero (all at once) or more; see {@link ServerConfig#drainWindow()}. */
    public Builder drainWindow(Duration window) {
      this.drainWindow = atLeast("drain window", window, Duration.ZERO);
      return this;
    }

    /**
     * Format of the log lines of {@code herald serve}: {@code text} or {@code json}.
     *
     * @throws IllegalArgumentException for any other word
     */
    public Builder logFormat(String format) {
      if (!"text".equals(format) && !"json".equals(format)) {
        throw new IllegalArgumentException("must be text or json, got \"" + format + "\"");
      }
      this.logFormat = format;
      return this;
    }

    /** Serves Prometheus metrics at {@code GET /metrics} (on by default). */
    public Builder metrics(boolean on) {
      this.metrics = on;
      return this;
    }

    /** Makes {@code /metrics} require one of the API keys (off by default). */
    public Builder metricsRequireApiKey(boolean on) {
      this.metricsRequireApiKey = on;
      return this;
    }

    /** File descriptors kept for everything but client connections, 0 to 100,000. */
    public Builder openFilesHeadroom(int descriptors) {
      this.openFilesHeadroom = range("open files headroom", descriptors, 0, 100_000);
      return this;
    }

    /** A PEM certificate chain; null for plain HTTP. Needs {@link #tlsKeyFile}. */
    public Builder tlsCertFile(Path file) {
      this.tlsCertFile = file;
      return this;
    }

    /** The PEM private key of {@link #tlsCertFile}; null for plain HTTP. */
    public Builder tlsKeyFile(Path file) {
      this.tlsKeyFile = file;
      return this;
    }

    /** 1 to 1,000,000; see {@link ServerConfig#h2MaxConcurrentStreams()}. */
    public Builder h2MaxConcurrentStreams(int streams) {
      this.h2MaxConcurrentStreams = range("HTTP/2 max concurrent streams", streams, 1, 1_000_000);
      return this;
    }

    /** 1 KiB to 1 MiB; see {@link ServerConfig#h2MaxHeaderListBytes()}. */
    public Builder h2MaxHeaderListBytes(int bytes) {
      this.h2MaxHeaderListBytes = range("HTTP/2 max header list bytes", bytes, 1024, 1024 * 1024);
      return this;
    }

    /**
     * The admin page's password: at least {@value #MIN_ADMIN_PASSWORD_CHARS} characters; null or
     * empty for none (then only an API key opens the admin page, and with none it is off).
     */
    public Builder adminPassword(String password) {
      if (password != null && password.isEmpty()) {
        password = null;
      }
      if (password != null && password.length() < MIN_ADMIN_PASSWORD_CHARS) {
        throw new IllegalArgumentException(
            "admin password must be at least "
                + MIN_ADMIN_PASSWORD_CHARS
                + " characters, got "
                + password.length());
      }
      this.adminPassword = password;
      return this;
    }

    /** 1 minute to 24 hours; see {@link ServerConfig#adminSession()}. */
    public Builder adminSession(Duration session) {
      Objects.requireNonNull(session, "admin session");
      if (session.compareTo(Duration.ofMinutes(1)) < 0
          || session.compareTo(Duration.ofHours(24)) > 0) {
        throw new IllegalArgumentException(
            "admin session must be 1 minute to 24 hours, got " + session.toSeconds() + " s");
      }
      this.adminSession = session;
      return this;
    }

    /**
     * 65,535 (the protocol's default) to 2^31-1; see {@link ServerConfig#h2InitialWindowBytes()}.
     */
    public Builder h2InitialWindowBytes(int bytes) {
      this.h2InitialWindowBytes =
          range("HTTP/2 initial window bytes", bytes, 65_535, Integer.MAX_VALUE);
      return this;
    }

    public ServerConfig build() {
      if (pollLimit > maxPollLimit) {
        throw new IllegalArgumentException(
            "poll limit " + pollLimit + " is above max poll limit " + maxPollLimit);
      }
      return new ServerConfig(this);
    }

    private static int range(String what, int value, int min, int max) {
      if (value < min || value > max) {
        throw new IllegalArgumentException(
            what + " must be " + min + " to " + max + ", got " + value);
      }
      return value;
    }

    private static long range(String what, long value, long min, long max) {
      if (value < min || value > max) {
        throw new IllegalArgumentException(
            what + " must be " + min + " to " + max + ", got " + value);
      }
      return value;
    }

    private static Duration atLeast(String what, Duration value, Duration min) {
      Objects.requireNonNull(value, what);
      if (value.compareTo(min) < 0) {
        throw new IllegalArgumentException(what + " must be at least " + min + ", got " + value);
      }
      return value;
    }
  }
}
