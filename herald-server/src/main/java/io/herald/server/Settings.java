package io.herald.server;

import io.herald.core.Transport;
import io.herald.server.auth.NamespacePolicy;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * Every setting of {@code herald serve}, each declared once here (see {@link Setting}), and how
 * they are bound: from the command line, the environment and the YAML configuration file, with that
 * precedence (an option wins over its variable, a variable over the file, the file over the
 * default).
 *
 * <p>To add a setting: give {@link ServerConfig} its {@code DEFAULT_*} constant, builder method and
 * getter, add one declaration to {@link #ALL} (at the end), and add the README row that {@code
 * SettingsReadmeTest} prints when it is missing. The option, variable, file key, {@code --help}
 * line and the start-up log follow by themselves.
 *
 * <p>Thread-safe (stateless).
 */
public final class Settings {
  private Settings() {}

  /** The environment variable that names the configuration file, as {@code --config} does. */
  public static final String CONFIG_ENV = "HERALD_CONFIG";

  /** The file key that holds the namespaces (PROTOCOL.md section 10). */
  public static final String NAMESPACES_KEY = "namespaces";

  private static final long DAY_SECONDS = 86_400;
  private static final long DAY_MILLIS = DAY_SECONDS * 1000;

  static final Setting<Integer> HISTORY_SIZE =
      Setting.integer(
          "history-size",
          1,
          1_000_000,
          "messages",
          "messages kept per channel (1 to 1,000,000)",
          c -> c.history().maxMessages(),
          ServerConfig.Builder::historySize);

  static final Setting<Long> HISTORY_AGE_SECONDS =
      Setting.longInteger(
          "history-age-seconds",
          1,
          3650 * DAY_SECONDS,
          "seconds",
          "how long a message is kept",
          c -> c.history().maxAge().toSeconds(),
          (b, v) -> b.historyAge(Duration.ofSeconds(v)));

  /** Every setting, in the order of {@code --help}, the start-up log and the README table. */
  public static final List<Setting<?>> ALL =
      List.of(
          Setting.text("host", "address to bind", ServerConfig::host, ServerConfig.Builder::host),
          Setting.integer(
              "port",
              0,
              65535,
              "",
              "TCP port; 0 picks a free one",
              ServerConfig::port,
              ServerConfig.Builder::port),
          Setting.text(
              "broker",
              "`memory`, or `redis://host:port[/db]` to share channels between nodes",
              ServerConfig::broker,
              ServerConfig.Builder::broker),
          HISTORY_SIZE,
          HISTORY_AGE_SECONDS,
          Setting.longInteger(
              "channel-idle-seconds",
              0,
              DAY_SECONDS,
              "seconds",
              "how long a channel nobody uses stays active on a node",
              c -> c.channelIdleTimeout().toSeconds(),
              (b, v) -> b.channelIdleTimeout(Duration.ofSeconds(v))),
          Setting.integer(
              "max-message-bytes",
              1,
              16 * 1024 * 1024,
              "bytes",
              "largest message data; past it `413 message_too_large`",
              ServerConfig::maxMessageBytes,
              ServerConfig.Builder::maxMessageBytes),
          Setting.integer(
              "max-channels",
              1,
              1000,
              "channels",
              "channels per subscription or per WebSocket; past it `400 too_many_channels`",
              ServerConfig::maxChannelsPerSubscription,
              ServerConfig.Builder::maxChannelsPerSubscription),
          Setting.integer(
              "max-parked-polls",
              0,
              1_000_000,
              "polls",
              "long polls waiting at once; past it `503 over_capacity`",
              ServerConfig::maxParkedPolls,
              ServerConfig.Builder::maxParkedPolls),
          Setting.integer(
              "max-connections",
              1,
              10_000_000,
              "connections",
              "open connections; past it `503 over_capacity` and close",
              ServerConfig::maxConnections,
              ServerConfig.Builder::maxConnections),
          Setting.integer(
              "max-frame-bytes",
              125,
              64 * 1024 * 1024,
              "bytes",
              "largest WebSocket message from a client; past it close `1009`",
              ServerConfig::maxFrameBytes,
              ServerConfig.Builder::maxFrameBytes),
          Setting.integer(
              "max-header-bytes",
              1024,
              1024 * 1024,
              "bytes",
              "largest request line plus headers; past it `431 headers_too_large`",
              ServerConfig::maxHeaderBytes,
              ServerConfig.Builder::maxHeaderBytes),
          Setting.longInteger(
              "max-wait-seconds",
              1,
              DAY_SECONDS,
              "seconds",
              "longest long-poll wait; longer asks are cut to it; keep it below the proxy's read timeout (see `deploy/README.md`)",
              c -> c.maxWait().toSeconds(),
              (b, v) -> b.maxWait(Duration.ofSeconds(v))),
          Setting.integer(
              "poll-limit",
              1,
              1_000_000,
              "messages",
              "messages per poll answer when the request gives no `limit`",
              ServerConfig::pollLimit,
              ServerConfig.Builder::pollLimit),
          Setting.integer(
              "max-poll-limit",
              1,
              1_000_000,
              "messages",
              "largest `limit`; past it `400 invalid_request`",
              ServerConfig::maxPollLimit,
              ServerConfig.Builder::maxPollLimit),
          Setting.longInteger(
              "sse-heartbeat-seconds",
              1,
              DAY_SECONDS,
              "seconds",
              "silence before an SSE `:` heartbeat",
              c -> c.sseHeartbeat().toSeconds(),
              (b, v) -> b.sseHeartbeat(Duration.ofSeconds(v))),
          Setting.longInteger(
              "sse-retry-millis",
              0,
              DAY_MILLIS,
              "milliseconds",
              "the `retry:` sent to EventSource",
              c -> c.sseRetry().toMillis(),
              (b, v) -> b.sseRetry(Duration.ofMillis(v))),
          Setting.longInteger(
              "ws-ping-seconds",
              1,
              DAY_SECONDS,
              "seconds",
              "interval between WebSocket pings",
              c -> c.wsPingInterval().toSeconds(),
              (b, v) -> b.wsPingInterval(Duration.ofSeconds(v))),
          Setting.longInteger(
              "ws-idle-seconds",
              1,
              DAY_SECONDS,
              "seconds",
              "a WebSocket silent this long (no pong, no frame) is closed with `1001`",
              c -> c.wsIdleTimeout().toSeconds(),
              (b, v) -> b.wsIdleTimeout(Duration.ofSeconds(v))),
          Setting.integer(
              "write-buffer-bytes",
              1024,
              64 * 1024 * 1024,
              "bytes",
              "per-connection write buffer before delivery to it pauses (backpressure)",
              ServerConfig::writeBufferHighBytes,
              ServerConfig.Builder::writeBufferHighBytes),
          Setting.integer(
              "io-threads",
              0,
              1024,
              "threads",
              "event loop threads; 0 means twice the cores",
              ServerConfig::ioThreads,
              ServerConfig.Builder::ioThreads),
          Setting.longInteger(
              "shutdown-seconds",
              0,
              DAY_SECONDS,
              "seconds",
              "time allowed for a graceful shutdown",
              c -> c.shutdownTimeout().toSeconds(),
              (b, v) -> b.shutdownTimeout(Duration.ofSeconds(v))),
          Setting.list(
              "disable-transports",
              List.of(
                  Transport.WEBSOCKET.wireName(),
                  Transport.SSE.wireName(),
                  Transport.LONG_POLL.wireName()),
              "refuse `websocket`, `sse`, `long-poll` (to test client fallback) with `403"
                  + " transport_disabled`",
              c -> c.disabledTransports().stream().sorted().map(Transport::wireName).toList(),
              (b, v) -> {
                EnumSet<Transport> set = EnumSet.noneOf(Transport.class);
                v.forEach(t -> set.add(Transport.parse(t)));
                b.disabledTransports(set);
              }),
          Setting.longInteger(
              "redis-head-check-millis",
              10,
              DAY_MILLIS,
              "milliseconds",
              "with Redis: how often stream heads are compared with what was delivered (catches"
                  + " lost Pub/Sub messages)",
              c -> c.redisHeadCheck().toMillis(),
              (b, v) -> b.redisHeadCheck(Duration.ofMillis(v))),
          Setting.longInteger(
              "redis-command-timeout-millis",
              10,
              DAY_MILLIS,
              "milliseconds",
              "with Redis: a command slower than this fails (a publication answers `504"
                  + " publish_outcome_unknown`; later ones `503 unavailable` and `/health` 503"
                  + " until Redis answers a PING)",
              c -> c.redisCommandTimeout().toMillis(),
              (b, v) -> b.redisCommandTimeout(Duration.ofMillis(v))),
          Setting.text(
              "redis-key-prefix",
              "with Redis: prefix of every key and Pub/Sub channel",
              ServerConfig::redisKeyPrefix,
              ServerConfig.Builder::redisKeyPrefix),
          Setting.flag(
              "demo-feed",
              "run the demo feeds (price ticks, streamed answers); `./run.sh` turns it on",
              ServerConfig::demoFeed,
              ServerConfig.Builder::demoFeed),
          Setting.longInteger(
              "history-bytes",
              io.herald.core.HistoryConfig.MIN_MAX_BYTES,
              io.herald.core.HistoryConfig.MAX_MAX_BYTES,
              "bytes",
              "bytes of history kept per channel (4 MiB; the oldest go first, subscribers behind"
                  + " get a gap)",
              c -> c.history().maxBytes(),
              ServerConfig.Builder::historyBytes),
          Setting.longInteger(
              "max-history-bytes",
              io.herald.core.HistoryBudget.MIN_MAX_BYTES,
              1L << 40,
              "bytes",
              "bytes of history kept by the node, all channels together (256 MiB; the node's"
                  + " oldest go first); keep it at about a quarter of `-Xmx`",
              ServerConfig::maxHistoryBytes,
              ServerConfig.Builder::maxHistoryBytes),
          Setting.integer(
              "max-active-channels",
              1,
              100_000_000,
              "channels",
              "channels active on a node at once (with history, subscribed or kept warm); past"
                  + " it `503 over_capacity`",
              ServerConfig::maxActiveChannels,
              ServerConfig.Builder::maxActiveChannels),
          Setting.integer(
              "ws-command-rate",
              0,
              1_000_000,
              "commands per second",
              "WebSocket commands (any type) per second per connection, 0 for no limit; past it"
                  + " an `error` frame `rate_limited`",
              ServerConfig::wsCommandRate,
              (b, v) -> b.wsCommandRate(v)),
          Setting.integer(
              "ws-command-burst",
              1,
              1_000_000,
              "commands",
              "WebSocket commands a connection may send at once (token bucket size)",
              ServerConfig::wsCommandBurst,
              (b, v) -> b.wsCommandBurst(v)),
          Setting.integer(
              "http-publish-rate",
              0,
              1_000_000,
              "publications per second",
              "HTTP publications per second per connection (keep-alive requests share it), 0 for"
                  + " no limit; past it `429 rate_limited` with `Retry-After`",
              ServerConfig::httpPublishRate,
              (b, v) -> b.httpPublishRate(v)),
          Setting.integer(
              "http-publish-burst",
              1,
              1_000_000,
              "publications",
              "HTTP publications a connection may send at once (token bucket size)",
              ServerConfig::httpPublishBurst,
              (b, v) -> b.httpPublishBurst(v)),
          Setting.integer(
              "rate-limit-strikes",
              1,
              1_000_000,
              "refusals",
              "rate-limit refusals a connection may collect per window; one more closes it"
                  + " (WebSocket `1008`, HTTP `429` with `Connection: close`)",
              ServerConfig::rateLimitStrikes,
              (b, v) -> b.rateLimitStrikes(v)),
          Setting.longInteger(
              "rate-limit-strike-seconds",
              1,
              DAY_SECONDS,
              "seconds",
              "the window over which those refusals are counted",
              c -> c.rateLimitStrikeWindow().toSeconds(),
              (b, v) -> b.rateLimitStrikeWindow(Duration.ofSeconds(v))),
          Setting.integer(
              "ws-max-inflight-publishes",
              1,
              100_000,
              "publications",
              "WebSocket publications per connection awaiting the broker; at the cap the server"
                  + " stops reading that connection until one is answered (nothing refused or"
                  + " lost)",
              ServerConfig::wsMaxInflightPublishes,
              ServerConfig.Builder::wsMaxInflightPublishes),
          Setting.longInteger(
              "idempotency-window-seconds",
              1,
              DAY_SECONDS,
              "seconds",
              "how long a publication's `Idempotency-Key` is remembered (1 to 86400): a repeat within"
                  + " it publishes nothing and answers the first offset and epoch, on every node",
              c -> c.idempotencyWindow().toSeconds(),
              (b, v) -> b.idempotencyWindow(Duration.ofSeconds(v))),
          Setting.integer(
              "idempotency-max-keys",
              1,
              10_000_000,
              "keys",
              "with the memory broker: most idempotency keys remembered (1 to 10,000,000), oldest"
                  + " forgotten first; Redis keeps each key with the window as TTL",
              ServerConfig::idempotencyMaxKeys,
              ServerConfig.Builder::idempotencyMaxKeys),
          Setting.integer(
              "max-queued-bytes",
              64 * 1024,
              1024 * 1024 * 1024,
              "bytes",
              "bytes queued for one connection (answers, replies, pongs, frames); a write past it closes the connection as a slow client (WebSocket `1008`)",
              ServerConfig::maxQueuedBytes,
              ServerConfig.Builder::maxQueuedBytes),
          Setting.longInteger(
              "request-head-timeout-millis",
              100,
              DAY_MILLIS,
              "milliseconds",
              "time for a request line and headers to arrive (from its first byte; for a new connection, from its opening); past it `408 request_timeout` and close",
              c -> c.requestHeadTimeout().toMillis(),
              (b, v) -> b.requestHeadTimeout(Duration.ofMillis(v))),
          Setting.longInteger(
              "request-body-timeout-millis",
              100,
              DAY_MILLIS,
              "milliseconds",
              "time for a whole request body to arrive; past it `408 request_timeout` and close",
              c -> c.requestBodyTimeout().toMillis(),
              (b, v) -> b.requestBodyTimeout(Duration.ofMillis(v))),
          Setting.longInteger(
              "keep-alive-timeout-millis",
              100,
              DAY_MILLIS,
              "milliseconds",
              "an idle keep-alive connection (no request under way) is closed after this",
              c -> c.keepAliveTimeout().toMillis(),
              (b, v) -> b.keepAliveTimeout(Duration.ofMillis(v))),
          Setting.longInteger(
              "ws-first-frame-timeout-millis",
              100,
              DAY_MILLIS,
              "milliseconds",
              "a WebSocket on `/ws` with no subscription must send a frame within this; else close `1008`",
              c -> c.wsFirstFrameTimeout().toMillis(),
              (b, v) -> b.wsFirstFrameTimeout(Duration.ofMillis(v))),
          Setting.longInteger(
              "linger-millis",
              0,
              DAY_MILLIS,
              "milliseconds",
              "lingering close: after an error answer that ends the connection, what the client still sends is read and dropped this long at most",
              c -> c.lingerTimeout().toMillis(),
              (b, v) -> b.lingerTimeout(Duration.ofMillis(v))),
          Setting.integer(
              "linger-max-bytes",
              0,
              1024 * 1024 * 1024,
              "bytes",
              "most bytes read and dropped in a lingering close",
              ServerConfig::lingerMaxBytes,
              ServerConfig.Builder::lingerMaxBytes),
          Setting.longInteger(
              "refusal-log-seconds",
              1,
              DAY_SECONDS,
              "seconds",
              "interval of the summary log line of refused requests by status and code",
              c -> c.refusalLogInterval().toSeconds(),
              (b, v) -> b.refusalLogInterval(Duration.ofSeconds(v))),
          Setting.secret(
              "auth-hmac-secret",
              "shared secret of HS256/384/512 tokens, at least 32 bytes (HS384 48, HS512 64); `herald token` mints with it",
              c -> c.authHmacSecret() == null ? "" : c.authHmacSecret(),
              ServerConfig.Builder::authHmacSecret),
          Setting.text(
              "auth-public-key-file",
              "PEM public key (or certificate) of RS256/384/512 (RSA) or ES256/384/512 (EC, by curve) tokens",
              c -> c.authPublicKeyFile() == null ? "" : c.authPublicKeyFile().toString(),
              (b, v) -> b.authPublicKeyFile(v.isEmpty() ? null : Path.of(v))),
          Setting.text(
              "auth-jwks-url",
              "JWKS URL of the keys of RS/ES tokens; cached 5 minutes, fetched again (at most once a second) when a token names an unknown `kid`",
              c -> c.authJwksUrl() == null ? "" : c.authJwksUrl().toString(),
              (b, v) -> b.authJwksUrl(v.isEmpty() ? null : URI.create(v))),
          Setting.text(
              "auth-issuer",
              "the `iss` every token must carry",
              c -> c.authIssuer() == null ? "" : c.authIssuer(),
              ServerConfig.Builder::authIssuer),
          Setting.text(
              "auth-audience",
              "an `aud` every token must include",
              c -> c.authAudience() == null ? "" : c.authAudience(),
              ServerConfig.Builder::authAudience),
          Setting.longInteger(
              "auth-clock-skew-seconds",
              0,
              600,
              "seconds",
              "clock difference tolerated on `exp` and `nbf`, 0 to 600",
              c -> c.authClockSkew().toSeconds(),
              (b, v) -> b.authClockSkew(Duration.ofSeconds(v))),
          Setting.list(
                  "api-key",
                  List.of(),
                  "API key of a backend (`X-Api-Key` header only, never the URL), repeatable or comma-separated, 16 to 512 characters",
                  ServerConfig::apiKeys,
                  ServerConfig.Builder::apiKeys)
              .asSecret(),
          Setting.list(
              "allowed-origins",
              List.of(),
              "origins besides the page's own that may open WebSockets and make CORS requests (`https://app.example`, comma-separated), or `*` for any; others get `403 origin_not_allowed`",
              ServerConfig::allowedOrigins,
              ServerConfig.Builder::allowedOrigins),
          Setting.flag(
              "insecure-no-auth",
              "serve with no credential on a `--host` that is not loopback (otherwise such a start is refused)",
              ServerConfig::insecureNoAuth,
              ServerConfig.Builder::insecureNoAuth),
          Setting.longInteger(
              "drain-delay-seconds",
              0,
              DAY_SECONDS,
              "seconds",
              "on SIGTERM: how long the node keeps serving with `/ready` answering 503 (so the load balancer stops sending it clients) before it closes connections",
              c -> c.drainDelay().toSeconds(),
              (b, v) -> b.drainDelay(Duration.ofSeconds(v))),
          Setting.longInteger(
              "drain-window-seconds",
              0,
              DAY_SECONDS,
              "seconds",
              "on SIGTERM, after the drain delay: the window over which connections are closed, spread evenly (WebSocket `1001`, SSE `herald.end`, long polls answered); then the node exits",
              c -> c.drainWindow().toSeconds(),
              (b, v) -> b.drainWindow(Duration.ofSeconds(v))),
          Setting.text(
              "log-format",
              "`text`, or `json` for one JSON object per log line (Logback's `JsonEncoder`; tokens redacted as in text)",
              ServerConfig::logFormat,
              ServerConfig.Builder::logFormat),
          Setting.flag(
              "metrics",
              "serve Prometheus metrics at `GET /metrics` (`--metrics=false` turns them off: 404)",
              ServerConfig::metrics,
              ServerConfig.Builder::metrics),
          Setting.flag(
              "metrics-require-api-key",
              "`/metrics` needs an `--api-key` (`X-Api-Key`, or `Authorization: Bearer KEY` as Prometheus sends it); open by default, as it names no channel, user or message",
              ServerConfig::metricsRequireApiKey,
              ServerConfig.Builder::metricsRequireApiKey),
          Setting.integer(
              "open-files-headroom",
              0,
              100_000,
              "descriptors",
              "file descriptors kept for all but client connections: when the open-file limit (`ulimit -n`) is below `--max-connections` plus this, the connection limit is lowered at start, with a warning",
              ServerConfig::openFilesHeadroom,
              ServerConfig.Builder::openFilesHeadroom),
          Setting.secret(
              "admin-password",
              "password of the admin page `/admin` (at least 12 characters); the page is served when this or an `api-key` is set, and is 404 otherwise",
              c -> c.adminPassword() == null ? "" : c.adminPassword(),
              ServerConfig.Builder::adminPassword),
          Setting.longInteger(
              "admin-session-seconds",
              60,
              DAY_SECONDS,
              "seconds",
              "lifetime of an admin page sign-in, 60 to 86400",
              c -> c.adminSession().toSeconds(),
              (b, v) -> b.adminSession(Duration.ofSeconds(v))),
          Setting.text(
              "tls-cert-file",
              "PEM certificate chain: with `--tls-key-file`, `--port` serves HTTPS with ALPN `h2` and `http/1.1`; read again when the file changes (new connections get the new certificate)",
              c -> c.tlsCertFile() == null ? "" : c.tlsCertFile().toString(),
              (b, v) -> b.tlsCertFile(v.isEmpty() ? null : Path.of(v))),
          Setting.text(
              "tls-key-file",
              "PEM private key of `--tls-cert-file` (PKCS#8, `BEGIN PRIVATE KEY`), read again when it changes",
              c -> c.tlsKeyFile() == null ? "" : c.tlsKeyFile().toString(),
              (b, v) -> b.tlsKeyFile(v.isEmpty() ? null : Path.of(v))),
          Setting.integer(
              "h2-max-concurrent-streams",
              1,
              1_000_000,
              "",
              "HTTP/2 streams (SSE subscriptions, polls, requests) a client may have open at once on one connection; one more is refused (`RST_STREAM REFUSED_STREAM`)",
              ServerConfig::h2MaxConcurrentStreams,
              ServerConfig.Builder::h2MaxConcurrentStreams),
          Setting.integer(
              "h2-max-header-list-bytes",
              1024,
              1024 * 1024,
              "bytes",
              "largest HTTP/2 header list a client may send (RFC 9113 `SETTINGS_MAX_HEADER_LIST_SIZE`); past it the stream is answered `431`, a quarter past it the connection ends with `GOAWAY`",
              ServerConfig::h2MaxHeaderListBytes,
              ServerConfig.Builder::h2MaxHeaderListBytes),
          Setting.integer(
              "h2-initial-window-bytes",
              65_535,
              Integer.MAX_VALUE,
              "bytes",
              "HTTP/2 flow-control window a client may fill per stream and per connection before the server reads (`SETTINGS_INITIAL_WINDOW_SIZE`)",
              ServerConfig::h2InitialWindowBytes,
              ServerConfig.Builder::h2InitialWindowBytes));

  private static final Map<String, Setting<?>> BY_NAME =
      ALL.stream()
          .collect(Collectors.toMap(Setting::name, s -> s, (a, b) -> a, LinkedHashMap::new));

  /** The setting named {@code name} (kebab-case, without dashes in front), if there is one. */
  public static Optional<Setting<?>> byName(String name) {
    return Optional.ofNullable(BY_NAME.get(name));
  }

  /**
   * Binds every setting, highest precedence first: {@code options} (the command line), then {@code
   * env} (the {@code HERALD_*} variables; an empty one counts as unset), then the YAML file (named
   * by {@code configFile}, else by {@value #CONFIG_ENV} in {@code env}), then the default. The
   * namespaces come from the file only.
   *
   * @param options raw values given on the command line, by setting name: a {@code String}, or a
   *     {@code List<String>} for a repeated option
   * @param env the environment
   * @param configFile the file given by {@code --config}, or null
   * @return the configuration
   * @throws IllegalArgumentException naming where each wrong value came from (the option, the
   *     variable, or the file and its line) and what is allowed; a file that cannot be read or
   *     parsed names the file (and the line)
   */
  public static ServerConfig resolve(
      Map<String, Object> options, Map<String, String> env, Path configFile) {
    Path path = configFile;
    if (path == null) {
      String named = env.get(CONFIG_ENV);
      if (named != null && !named.isBlank()) {
        path = Path.of(named);
      }
    }
    ConfigFile file = path == null ? ConfigFile.EMPTY : ConfigFile.load(path);
    for (String name : options.keySet()) {
      if (!BY_NAME.containsKey(name)) {
        throw new IllegalArgumentException("unknown option --" + name);
      }
    }
    List<String> errors = new ArrayList<>(file.unknownKeys(BY_NAME.keySet(), NAMESPACES_KEY));
    ServerConfig.Builder builder = ServerConfig.builder();
    for (Setting<?> s : ALL) {
      Object raw;
      String from;
      String envValue = env.get(s.env());
      ConfigFile.Entry entry = file.entry(s.name());
      if (options.containsKey(s.name())) {
        raw = options.get(s.name());
        from = s.option();
      } else if (envValue != null && !envValue.isEmpty()) {
        raw = envValue;
        from = s.env();
      } else if (entry != null) {
        raw = entry.value();
        from = file.where(entry) + ": " + s.name();
      } else {
        continue;
      }
      try {
        if (raw instanceof Map<?, ?>) {
          throw new IllegalArgumentException("must be " + s.allowedText() + ", got a mapping");
        }
        s.parseAndApply(builder, raw);
      } catch (IllegalArgumentException e) {
        errors.add(from + ": " + e.getMessage());
      }
    }
    ConfigFile.Entry namespaces = file.entry(NAMESPACES_KEY);
    if (namespaces != null) {
      try {
        builder.namespaces(file.namespaces(namespaces, HISTORY_SIZE, HISTORY_AGE_SECONDS));
      } catch (IllegalArgumentException e) {
        errors.add(e.getMessage());
      }
    }
    if (!errors.isEmpty()) {
      throw new IllegalArgumentException(String.join("\n", errors));
    }
    return builder.build();
  }

  /**
   * The settings in force as one line for the start-up log: {@code name=value} for every setting,
   * secrets as {@code ***}, then the namespaces.
   */
  public static String describe(ServerConfig config) {
    StringBuilder sb = new StringBuilder();
    for (Setting<?> s : ALL) {
      if (sb.length() > 0) {
        sb.append(' ');
      }
      sb.append(s.name()).append('=').append(formatted(s, config));
    }
    sb.append(" namespaces=[");
    String sep = "";
    for (NamespacePolicy p : config.namespaces()) {
      sb.append(sep)
          .append(p.namespace())
          .append("{subscribe=")
          .append(ConfigFile.word(p.subscribe()))
          .append(" publish=")
          .append(ConfigFile.word(p.publish()));
      p.historySize().ifPresent(n -> sb.append(" history-size=").append(n));
      p.historyAge().ifPresent(a -> sb.append(" history-age-seconds=").append(a.toSeconds()));
      p.pollCacheSeconds().ifPresent(n -> sb.append(" poll-cache-seconds=").append(n));
      sb.append('}');
      sep = ", ";
    }
    return sb.append(']').toString();
  }

  /** The setting's value in {@code config}, as text ({@code ***} for a secret). */
  static <T> String formatted(Setting<T> s, ServerConfig config) {
    return s.format(s.get(config));
  }

  /** The setting's default, as text. */
  static <T> String defaultText(Setting<T> s) {
    return s.format(s.defaultValue());
  }
}
