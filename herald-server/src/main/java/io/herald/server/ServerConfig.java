package io.herald.server;

import io.herald.core.HistoryConfig;
import io.herald.core.Hub;
import io.herald.core.Transport;
import io.herald.redis.RedisBrokerConfig;
import java.time.Duration;
import java.util.EnumSet;
import java.util.Objects;
import java.util.Set;

/**
 * Every setting of a Herald server, with its default. Immutable; build with {@link #builder()}. The
 * command line ({@code herald serve --help}) sets each one by an option or a {@code HERALD_*}
 * environment variable.
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

  /** Default longest long-poll wait a client may ask for. */
  public static final Duration DEFAULT_MAX_WAIT = Duration.ofSeconds(120);

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

  /** Default interval of the summary log line of refused requests. */
  public static final Duration DEFAULT_REFUSAL_LOG_INTERVAL = Duration.ofSeconds(60);

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
  private final int maxQueuedBytes;
  private final Duration requestHeadTimeout;
  private final Duration requestBodyTimeout;
  private final Duration keepAliveTimeout;
  private final Duration wsFirstFrameTimeout;
  private final Duration lingerTimeout;
  private final int lingerMaxBytes;
  private final Duration refusalLogInterval;

  private ServerConfig(Builder b) {
    this.host = b.host;
    this.port = b.port;
    this.broker = b.broker;
    this.history = new HistoryConfig(b.historySize, b.historyAge);
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
    this.maxQueuedBytes = b.maxQueuedBytes;
    this.requestHeadTimeout = b.requestHeadTimeout;
    this.requestBodyTimeout = b.requestBodyTimeout;
    this.keepAliveTimeout = b.keepAliveTimeout;
    this.wsFirstFrameTimeout = b.wsFirstFrameTimeout;
    this.lingerTimeout = b.lingerTimeout;
    this.lingerMaxBytes = b.lingerMaxBytes;
    this.refusalLogInterval = b.refusalLogInterval;
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

  /** History kept per channel; default 1000 messages and 1 hour. */
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
   * Longest long-poll wait a client may ask for; default 120 seconds. Longer asks are cut to it.
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
   * With a Redis broker: how long a Redis command may take before it fails (the request then
   * answers {@code 503 unavailable}); default 5 seconds.
   */
  public Duration redisCommandTimeout() {
    return redisCommandTimeout;
  }

  /** With a Redis broker: the prefix of every key and Pub/Sub channel; default {@code herald}. */
  public String redisKeyPrefix() {
    return redisKeyPrefix;
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

  /** The settings as one line for the start-up log. */
  @Override
  public String toString() {
    return "host="
        + host
        + " port="
        + port
        + " broker="
        + broker
        + " history-size="
        + history.maxMessages()
        + " history-age="
        + history.maxAge().toSeconds()
        + "s"
        + " channel-idle-timeout="
        + channelIdleTimeout.toSeconds()
        + "s"
        + " max-message-bytes="
        + maxMessageBytes
        + " max-channels="
        + maxChannelsPerSubscription
        + " max-parked-polls="
        + maxParkedPolls
        + " max-connections="
        + maxConnections
        + " max-frame-bytes="
        + maxFrameBytes
        + " max-header-bytes="
        + maxHeaderBytes
        + " max-wait="
        + maxWait.toSeconds()
        + "s poll-limit="
        + pollLimit
        + " max-poll-limit="
        + maxPollLimit
        + " sse-heartbeat="
        + sseHeartbeat.toMillis()
        + "ms sse-retry="
        + sseRetry.toMillis()
        + "ms"
        + " ws-ping-interval="
        + wsPingInterval.toMillis()
        + "ms ws-idle-timeout="
        + wsIdleTimeout.toMillis()
        + "ms"
        + " write-buffer-high-bytes="
        + writeBufferHighBytes
        + " io-threads="
        + ioThreads
        + " disabled-transports="
        + disabledTransports
        + " demo-feed="
        + demoFeed
        + " max-queued-bytes="
        + maxQueuedBytes
        + " request-head-timeout="
        + requestHeadTimeout.toMillis()
        + "ms request-body-timeout="
        + requestBodyTimeout.toMillis()
        + "ms keep-alive-timeout="
        + keepAliveTimeout.toMillis()
        + "ms ws-first-frame-timeout="
        + wsFirstFrameTimeout.toMillis()
        + "ms linger-timeout="
        + lingerTimeout.toMillis()
        + "ms linger-max-bytes="
        + lingerMaxBytes
        + " refusal-log-interval="
        + refusalLogInterval.toSeconds()
        + "s";
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
    private int maxQueuedBytes = DEFAULT_MAX_QUEUED_BYTES;
    private Duration requestHeadTimeout = DEFAULT_REQUEST_HEAD_TIMEOUT;
    private Duration requestBodyTimeout = DEFAULT_REQUEST_BODY_TIMEOUT;
    private Duration keepAliveTimeout = DEFAULT_KEEP_ALIVE_TIMEOUT;
    private Duration wsFirstFrameTimeout = DEFAULT_WS_FIRST_FRAME_TIMEOUT;
    private Duration lingerTimeout = DEFAULT_LINGER_TIMEOUT;
    private int lingerMaxBytes = DEFAULT_LINGER_MAX_BYTES;
    private Duration refusalLogInterval = DEFAULT_REFUSAL_LOG_INTERVAL;

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

    private static Duration atLeast(String what, Duration value, Duration min) {
      Objects.requireNonNull(value, what);
      if (value.compareTo(min) < 0) {
        throw new IllegalArgumentException(what + " must be at least " + min + ", got " + value);
      }
      return value;
    }
  }
}
