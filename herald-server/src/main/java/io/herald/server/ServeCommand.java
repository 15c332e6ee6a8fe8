package io.herald.server;

import io.herald.core.Transport;
import java.time.Duration;
import java.util.EnumSet;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code herald serve}: starts a server and runs until SIGTERM or SIGINT, then shuts down
 * gracefully. Every setting of {@link ServerConfig} is an option, and each option's default comes
 * from its {@code HERALD_*} environment variable when set, else from the file named by {@code
 * HERALD_CONFIG} (see {@link ConfigFileDefaults}).
 */
@Command(
    name = "serve",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    defaultValueProvider = ConfigFileDefaults.class,
    description = {
      "Start a Herald server. Every option can also be set by the environment variable in brackets",
      "or in a properties file named by HERALD_CONFIG (port=9000, broker=redis://127.0.0.1:6379, ...)."
    })
final class ServeCommand implements Callable<Integer> {
  @Option(
      names = "--host",
      defaultValue = "${env:HERALD_HOST:-127.0.0.1}",
      description = "Address to bind [HERALD_HOST] (default: ${DEFAULT-VALUE}).")
  String host;

  @Option(
      names = "--port",
      defaultValue = "${env:HERALD_PORT:-8080}",
      description = "TCP port, 0 for any free one [HERALD_PORT] (default: ${DEFAULT-VALUE}).")
  int port;

  @Option(
      names = "--broker",
      defaultValue = "${env:HERALD_BROKER:-memory}",
      description =
          "memory, or redis://host:port[/db] [HERALD_BROKER] (default: ${DEFAULT-VALUE}).")
  String broker;

  @Option(
      names = "--history-size",
      defaultValue = "${env:HERALD_HISTORY_SIZE:-1000}",
      description =
          "Messages kept per channel, 1-1000000 [HERALD_HISTORY_SIZE] (default: ${DEFAULT-VALUE}).")
  int historySize;

  @Option(
      names = "--history-age-seconds",
      defaultValue = "${env:HERALD_HISTORY_AGE_SECONDS:-3600}",
      description =
          "Seconds a message is kept [HERALD_HISTORY_AGE_SECONDS] (default: ${DEFAULT-VALUE}).")
  long historyAgeSeconds;

  @Option(
      names = "--channel-idle-seconds",
      defaultValue = "${env:HERALD_CHANNEL_IDLE_SECONDS:-60}",
      description =
          "Seconds an unused channel stays active on this node [HERALD_CHANNEL_IDLE_SECONDS] (default: ${DEFAULT-VALUE}).")
  long channelIdleSeconds;

  @Option(
      names = "--max-message-bytes",
      defaultValue = "${env:HERALD_MAX_MESSAGE_BYTES:-65536}",
      description =
          "Largest message data in bytes [HERALD_MAX_MESSAGE_BYTES] (default: ${DEFAULT-VALUE}).")
  int maxMessageBytes;

  @Option(
      names = "--max-channels",
      defaultValue = "${env:HERALD_MAX_CHANNELS:-32}",
      description =
          "Most channels per subscription or WebSocket [HERALD_MAX_CHANNELS] (default: ${DEFAULT-VALUE}).")
  int maxChannels;

  @Option(
      names = "--max-parked-polls",
      defaultValue = "${env:HERALD_MAX_PARKED_POLLS:-10000}",
      description =
          "Most long polls waiting at once [HERALD_MAX_PARKED_POLLS] (default: ${DEFAULT-VALUE}).")
  int maxParkedPolls;

  @Option(
      names = "--max-connections",
      defaultValue = "${env:HERALD_MAX_CONNECTIONS:-18000}",
      description = "Most open connections [HERALD_MAX_CONNECTIONS] (default: ${DEFAULT-VALUE}).")
  int maxConnections;

  @Option(
      names = "--max-frame-bytes",
      defaultValue = "${env:HERALD_MAX_FRAME_BYTES:-131072}",
      description =
          "Largest WebSocket frame from a client [HERALD_MAX_FRAME_BYTES] (default: ${DEFAULT-VALUE}).")
  int maxFrameBytes;

  @Option(
      names = "--max-header-bytes",
      defaultValue = "${env:HERALD_MAX_HEADER_BYTES:-16384}",
      description =
          "Largest request head in bytes [HERALD_MAX_HEADER_BYTES] (default: ${DEFAULT-VALUE}).")
  int maxHeaderBytes;

  @Option(
      names = "--max-wait-seconds",
      defaultValue = "${env:HERALD_MAX_WAIT_SECONDS:-120}",
      description = "Longest long-poll wait [HERALD_MAX_WAIT_SECONDS] (default: ${DEFAULT-VALUE}).")
  long maxWaitSeconds;

  @Option(
      names = "--poll-limit",
      defaultValue = "${env:HERALD_POLL_LIMIT:-100}",
      description =
          "Messages per poll answer without 'limit' [HERALD_POLL_LIMIT] (default: ${DEFAULT-VALUE}).")
  int pollLimit;

  @Option(
      names = "--max-poll-limit",
      defaultValue = "${env:HERALD_MAX_POLL_LIMIT:-1000}",
      description =
          "Largest 'limit' of a poll [HERALD_MAX_POLL_LIMIT] (default: ${DEFAULT-VALUE}).")
  int maxPollLimit;

  @Option(
      names = "--sse-heartbeat-seconds",
      defaultValue = "${env:HERALD_SSE_HEARTBEAT_SECONDS:-15}",
      description =
          "Silence before an SSE heartbeat [HERALD_SSE_HEARTBEAT_SECONDS] (default: ${DEFAULT-VALUE}).")
  long sseHeartbeatSeconds;

  @Option(
      names = "--sse-retry-millis",
      defaultValue = "${env:HERALD_SSE_RETRY_MILLIS:-2000}",
      description =
          "EventSource reconnect delay sent in retry: [HERALD_SSE_RETRY_MILLIS] (default: ${DEFAULT-VALUE}).")
  long sseRetryMillis;

  @Option(
      names = "--ws-ping-seconds",
      defaultValue = "${env:HERALD_WS_PING_SECONDS:-25}",
      description =
          "Interval between WebSocket pings [HERALD_WS_PING_SECONDS] (default: ${DEFAULT-VALUE}).")
  long wsPingSeconds;

  @Option(
      names = "--ws-idle-seconds",
      defaultValue = "${env:HERALD_WS_IDLE_SECONDS:-60}",
      description =
          "Close a WebSocket silent this long [HERALD_WS_IDLE_SECONDS] (default: ${DEFAULT-VALUE}).")
  long wsIdleSeconds;

  @Option(
      names = "--write-buffer-bytes",
      defaultValue = "${env:HERALD_WRITE_BUFFER_BYTES:-262144}",
      description =
          "Per-connection write buffer before delivery pauses [HERALD_WRITE_BUFFER_BYTES] (default: ${DEFAULT-VALUE}).")
  int writeBufferBytes;

  @Option(
      names = "--io-threads",
      defaultValue = "${env:HERALD_IO_THREADS:-0}",
      description =
          "Event loop threads, 0 for twice the cores [HERALD_IO_THREADS] (default: ${DEFAULT-VALUE}).")
  int ioThreads;

  @Option(
      names = "--shutdown-seconds",
      defaultValue = "${env:HERALD_SHUTDOWN_SECONDS:-10}",
      description =
          "Time allowed for a graceful shutdown [HERALD_SHUTDOWN_SECONDS] (default: ${DEFAULT-VALUE}).")
  long shutdownSeconds;

  @Option(
      names = "--disable-transports",
      defaultValue = "${env:HERALD_DISABLE_TRANSPORTS:-}",
      description =
          "Comma-separated transports to refuse: websocket, sse, long-poll (for testing client fallback) [HERALD_DISABLE_TRANSPORTS].")
  String disableTransports;

  @Option(
      names = "--demo-feed",
      defaultValue = "${env:HERALD_DEMO_FEED:-false}",
      description =
          "Run the demo feeds (price ticks on demo:prices, the streamed answer) [HERALD_DEMO_FEED] (default: ${DEFAULT-VALUE}).")
  boolean demoFeed;

  @Option(
      names = "--redis-head-check-millis",
      defaultValue = "${env:HERALD_REDIS_HEAD_CHECK_MILLIS:-5000}",
      description =
          "With Redis: how often stream heads are checked for lost Pub/Sub messages [HERALD_REDIS_HEAD_CHECK_MILLIS] (default: ${DEFAULT-VALUE}).")
  long redisHeadCheckMillis;

  @Option(
      names = "--redis-command-timeout-millis",
      defaultValue = "${env:HERALD_REDIS_COMMAND_TIMEOUT_MILLIS:-5000}",
      description =
          "With Redis: time a command may take before it fails (a publication then answers 504) [HERALD_REDIS_COMMAND_TIMEOUT_MILLIS] (default: ${DEFAULT-VALUE}).")
  long redisCommandTimeoutMillis;

  @Option(
      names = "--redis-key-prefix",
      defaultValue = "${env:HERALD_REDIS_KEY_PREFIX:-herald}",
      description =
          "With Redis: prefix of every key and Pub/Sub channel [HERALD_REDIS_KEY_PREFIX] (default: ${DEFAULT-VALUE}).")
  String redisKeyPrefix;

  @Option(
      names = "--history-bytes",
      defaultValue = "${env:HERALD_HISTORY_BYTES:-4194304}",
      description =
          "Bytes of history kept per channel (oldest dropped first), 1024-2^40 [HERALD_HISTORY_BYTES] (default: ${DEFAULT-VALUE}).")
  long historyBytes;

  @Option(
      names = "--max-history-bytes",
      defaultValue = "${env:HERALD_MAX_HISTORY_BYTES:-268435456}",
      description =
          "Bytes of history kept by the node, all channels together (the node's oldest dropped first); about a quarter of -Xmx [HERALD_MAX_HISTORY_BYTES] (default: ${DEFAULT-VALUE}).")
  long maxHistoryBytes;

  @Option(
      names = "--max-active-channels",
      defaultValue = "${env:HERALD_MAX_ACTIVE_CHANNELS:-100000}",
      description =
          "Channels active on the node at once; one more is refused with 503 over_capacity [HERALD_MAX_ACTIVE_CHANNELS] (default: ${DEFAULT-VALUE}).")
  int maxActiveChannels;

  @Option(
      names = "--ws-command-rate",
      defaultValue = "${env:HERALD_WS_COMMAND_RATE:-200}",
      description =
          "WebSocket commands per second per connection, 0 for no limit [HERALD_WS_COMMAND_RATE] (default: ${DEFAULT-VALUE}).")
  int wsCommandRate;

  @Option(
      names = "--ws-command-burst",
      defaultValue = "${env:HERALD_WS_COMMAND_BURST:-400}",
      description =
          "WebSocket commands a connection may send at once [HERALD_WS_COMMAND_BURST] (default: ${DEFAULT-VALUE}).")
  int wsCommandBurst;

  @Option(
      names = "--http-publish-rate",
      defaultValue = "${env:HERALD_HTTP_PUBLISH_RATE:-1000}",
      description =
          "HTTP publications per second per connection, 0 for no limit [HERALD_HTTP_PUBLISH_RATE] (default: ${DEFAULT-VALUE}).")
  int httpPublishRate;

  @Option(
      names = "--http-publish-burst",
      defaultValue = "${env:HERALD_HTTP_PUBLISH_BURST:-2000}",
      description =
          "HTTP publications a connection may send at once [HERALD_HTTP_PUBLISH_BURST] (default: ${DEFAULT-VALUE}).")
  int httpPublishBurst;

  @Option(
      names = "--rate-limit-strikes",
      defaultValue = "${env:HERALD_RATE_LIMIT_STRIKES:-100}",
      description =
          "Rate-limit refusals a connection may collect per strike window before it is closed [HERALD_RATE_LIMIT_STRIKES] (default: ${DEFAULT-VALUE}).")
  int rateLimitStrikes;

  @Option(
      names = "--rate-limit-strike-seconds",
      defaultValue = "${env:HERALD_RATE_LIMIT_STRIKE_SECONDS:-10}",
      description =
          "Window over which rate-limit refusals are counted [HERALD_RATE_LIMIT_STRIKE_SECONDS] (default: ${DEFAULT-VALUE}).")
  long rateLimitStrikeSeconds;

  @Option(
      names = "--ws-max-inflight-publishes",
      defaultValue = "${env:HERALD_WS_MAX_INFLIGHT_PUBLISHES:-64}",
      description =
          "WebSocket publications per connection awaiting the broker; at the cap reading pauses [HERALD_WS_MAX_INFLIGHT_PUBLISHES] (default: ${DEFAULT-VALUE}).")
  int wsMaxInflightPublishes;

  @Option(
      names = "--idempotency-window-seconds",
      defaultValue = "${env:HERALD_IDEMPOTENCY_WINDOW_SECONDS:-300}",
      description =
          "How long a publication's Idempotency-Key is remembered, 1 to 86400 [HERALD_IDEMPOTENCY_WINDOW_SECONDS] (default: ${DEFAULT-VALUE}).")
  long idempotencyWindowSeconds;

  @Option(
      names = "--idempotency-max-keys",
      defaultValue = "${env:HERALD_IDEMPOTENCY_MAX_KEYS:-100000}",
      description =
          "With the memory broker: most idempotency keys remembered, oldest forgotten first [HERALD_IDEMPOTENCY_MAX_KEYS] (default: ${DEFAULT-VALUE}).")
  int idempotencyMaxKeys;

  @Option(
      names = "--max-queued-bytes",
      defaultValue = "${env:HERALD_MAX_QUEUED_BYTES:-1048576}",
      description =
          "Bytes queued for one connection before it is closed as a slow client [HERALD_MAX_QUEUED_BYTES] (default: ${DEFAULT-VALUE}).")
  int maxQueuedBytes;

  @Option(
      names = "--request-head-timeout-millis",
      defaultValue = "${env:HERALD_REQUEST_HEAD_TIMEOUT_MILLIS:-10000}",
      description =
          "Time for a request line and headers to arrive; past it 408 [HERALD_REQUEST_HEAD_TIMEOUT_MILLIS] (default: ${DEFAULT-VALUE}).")
  long requestHeadTimeoutMillis;

  @Option(
      names = "--request-body-timeout-millis",
      defaultValue = "${env:HERALD_REQUEST_BODY_TIMEOUT_MILLIS:-30000}",
      description =
          "Time for a request body to arrive; past it 408 [HERALD_REQUEST_BODY_TIMEOUT_MILLIS] (default: ${DEFAULT-VALUE}).")
  long requestBodyTimeoutMillis;

  @Option(
      names = "--keep-alive-timeout-millis",
      defaultValue = "${env:HERALD_KEEP_ALIVE_TIMEOUT_MILLIS:-60000}",
      description =
          "Time an idle keep-alive connection stays open [HERALD_KEEP_ALIVE_TIMEOUT_MILLIS] (default: ${DEFAULT-VALUE}).")
  long keepAliveTimeoutMillis;

  @Option(
      names = "--ws-first-frame-timeout-millis",
      defaultValue = "${env:HERALD_WS_FIRST_FRAME_TIMEOUT_MILLIS:-10000}",
      description =
          "Time for the first frame on a /ws with no subscription [HERALD_WS_FIRST_FRAME_TIMEOUT_MILLIS] (default: ${DEFAULT-VALUE}).")
  long wsFirstFrameTimeoutMillis;

  @Option(
      names = "--linger-millis",
      defaultValue = "${env:HERALD_LINGER_MILLIS:-5000}",
      description =
          "Longest lingering close after an error answer [HERALD_LINGER_MILLIS] (default: ${DEFAULT-VALUE}).")
  long lingerMillis;

  @Option(
      names = "--linger-max-bytes",
      defaultValue = "${env:HERALD_LINGER_MAX_BYTES:-16777216}",
      description =
          "Most bytes dropped during a lingering close [HERALD_LINGER_MAX_BYTES] (default: ${DEFAULT-VALUE}).")
  int lingerMaxBytes;

  @Option(
      names = "--refusal-log-seconds",
      defaultValue = "${env:HERALD_REFUSAL_LOG_SECONDS:-60}",
      description =
          "Interval of the refused-requests summary log line [HERALD_REFUSAL_LOG_SECONDS] (default: ${DEFAULT-VALUE}).")
  long refusalLogSeconds;

  @Option(
      names = "--auth-hmac-secret",
      defaultValue = "${env:HERALD_AUTH_HMAC_SECRET}",
      description =
          "Shared secret of HS256/384/512 tokens, at least 32 bytes [HERALD_AUTH_HMAC_SECRET].")
  String authHmacSecret;

  @Option(
      names = "--auth-public-key-file",
      defaultValue = "${env:HERALD_AUTH_PUBLIC_KEY_FILE}",
      description =
          "PEM file with the RSA or EC public key of RS/ES tokens [HERALD_AUTH_PUBLIC_KEY_FILE].")
  java.nio.file.Path authPublicKeyFile;

  @Option(
      names = "--auth-jwks-url",
      defaultValue = "${env:HERALD_AUTH_JWKS_URL}",
      description =
          "JWKS URL of the keys of RS/ES tokens; fetched again on an unknown kid [HERALD_AUTH_JWKS_URL].")
  java.net.URI authJwksUrl;

  @Option(
      names = "--auth-issuer",
      defaultValue = "${env:HERALD_AUTH_ISSUER}",
      description = "The iss every token must carry [HERALD_AUTH_ISSUER].")
  String authIssuer;

  @Option(
      names = "--auth-audience",
      defaultValue = "${env:HERALD_AUTH_AUDIENCE}",
      description = "The aud every token must include [HERALD_AUTH_AUDIENCE].")
  String authAudience;

  @Option(
      names = "--auth-clock-skew-seconds",
      defaultValue = "${env:HERALD_AUTH_CLOCK_SKEW_SECONDS:-30}",
      description =
          "Clock difference tolerated on exp and nbf, 0-600 [HERALD_AUTH_CLOCK_SKEW_SECONDS] (default: ${DEFAULT-VALUE}).")
  long authClockSkewSeconds;

  @Option(
      names = "--api-key",
      split = ",",
      defaultValue = "${env:HERALD_API_KEY}",
      description =
          "API key of a backend (X-Api-Key), repeatable or comma-separated, 16-512 characters [HERALD_API_KEY].")
  java.util.List<String> apiKeys;

  @Option(
      names = "--allowed-origins",
      split = ",",
      defaultValue = "${env:HERALD_ALLOWED_ORIGINS}",
      description =
          "Origins besides the page's own allowed to open WebSockets and make CORS requests (https://app.example), or * for any [HERALD_ALLOWED_ORIGINS].")
  java.util.List<String> allowedOrigins;

  @Option(
      names = "--insecure-no-auth",
      defaultValue = "${env:HERALD_INSECURE_NO_AUTH:-false}",
      description =
          "Serve without any credential on a non-loopback --host [HERALD_INSECURE_NO_AUTH] (default: ${DEFAULT-VALUE}).")
  boolean insecureNoAuth;

  ServerConfig config() {
    return io.herald.server.demo.DemoSignIn.developmentDefaults(settings());
  }

  /** The settings from the options, before the demos' development credentials. */
  ServerConfig.Builder settings() {
    EnumSet<Transport> disabled = EnumSet.noneOf(Transport.class);
    for (String t : disableTransports.split(",")) {
      if (t.isBlank()) {
        continue;
      }
      disabled.add(Transport.parse(t));
    }
    return ServerConfig.builder()
        .host(host)
        .port(port)
        .broker(broker)
        .historySize(historySize)
        .historyAge(Duration.ofSeconds(historyAgeSeconds))
        .channelIdleTimeout(Duration.ofSeconds(channelIdleSeconds))
        .maxMessageBytes(maxMessageBytes)
        .maxChannelsPerSubscription(maxChannels)
        .maxParkedPolls(maxParkedPolls)
        .maxConnections(maxConnections)
        .maxFrameBytes(maxFrameBytes)
        .maxHeaderBytes(maxHeaderBytes)
        .maxWait(Duration.ofSeconds(maxWaitSeconds))
        .pollLimit(pollLimit)
        .maxPollLimit(maxPollLimit)
        .sseHeartbeat(Duration.ofSeconds(sseHeartbeatSeconds))
        .sseRetry(Duration.ofMillis(sseRetryMillis))
        .wsPingInterval(Duration.ofSeconds(wsPingSeconds))
        .wsIdleTimeout(Duration.ofSeconds(wsIdleSeconds))
        .writeBufferHighBytes(writeBufferBytes)
        .ioThreads(ioThreads)
        .shutdownTimeout(Duration.ofSeconds(shutdownSeconds))
        .disabledTransports(disabled)
        .demoFeed(demoFeed)
        .redisHeadCheck(Duration.ofMillis(redisHeadCheckMillis))
        .redisCommandTimeout(Duration.ofMillis(redisCommandTimeoutMillis))
        .redisKeyPrefix(redisKeyPrefix)
        .historyBytes(historyBytes)
        .maxHistoryBytes(maxHistoryBytes)
        .maxActiveChannels(maxActiveChannels)
        .wsCommandRate(wsCommandRate, wsCommandBurst)
        .httpPublishRate(httpPublishRate, httpPublishBurst)
        .rateLimitStrikes(rateLimitStrikes, Duration.ofSeconds(rateLimitStrikeSeconds))
        .wsMaxInflightPublishes(wsMaxInflightPublishes)
        .idempotencyWindow(Duration.ofSeconds(idempotencyWindowSeconds))
        .idempotencyMaxKeys(idempotencyMaxKeys)
        .maxQueuedBytes(maxQueuedBytes)
        .requestHeadTimeout(Duration.ofMillis(requestHeadTimeoutMillis))
        .requestBodyTimeout(Duration.ofMillis(requestBodyTimeoutMillis))
        .keepAliveTimeout(Duration.ofMillis(keepAliveTimeoutMillis))
        .wsFirstFrameTimeout(Duration.ofMillis(wsFirstFrameTimeoutMillis))
        .lingerTimeout(Duration.ofMillis(lingerMillis))
        .lingerMaxBytes(lingerMaxBytes)
        .refusalLogInterval(Duration.ofSeconds(refusalLogSeconds))
        .authHmacSecret(authHmacSecret)
        .authPublicKeyFile(authPublicKeyFile)
        .authJwksUrl(authJwksUrl)
        .authIssuer(authIssuer)
        .authAudience(authAudience)
        .authClockSkew(Duration.ofSeconds(authClockSkewSeconds))
        .apiKeys(apiKeys == null ? java.util.List.of() : apiKeys)
        .allowedOrigins(allowedOrigins == null ? java.util.List.of() : allowedOrigins)
        .insecureNoAuth(insecureNoAuth);
  }

  @Override
  public Integer call() throws InterruptedException {
    ServerConfig config;
    try {
      config = config();
    } catch (IllegalArgumentException e) {
      System.err.println("herald serve: " + e.getMessage());
      return 2;
    }
    HeraldServer server;
    try {
      server = HeraldServer.start(config);
    } catch (IllegalArgumentException e) {
      System.err.println("herald serve: " + e.getMessage());
      return 2;
    }
    String base = server.baseUrl();
    System.out.println();
    System.out.println("  Herald is running. Open:");
    System.out.println("    demo page       " + base + "/");
    System.out.println("    demo apps       " + base + "/demos/");
    System.out.println("    health          " + base + "/health");
    System.out.println(
        "  Publish:   curl -X POST -H 'Content-Type: text/plain' --data 'hello' "
            + base
            + "/channels/demo");
    System.out.println(
        "  Subscribe: curl -N -H 'Accept: text/event-stream' " + base + "/channels/demo");
    System.out.println();
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  server.close();
                  stopped.countDown();
                },
                "herald-shutdown"));
    stopped.await();
    return 0;
  }
}
