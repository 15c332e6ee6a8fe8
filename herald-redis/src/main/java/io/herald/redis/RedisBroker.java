package io.herald.redis;

import io.herald.core.Broker;
import io.herald.core.BrokerListener;
import io.herald.core.BrokerNode;
import io.herald.core.BrokerUnavailableException;
import io.herald.core.Epochs;
import io.herald.core.History;
import io.herald.core.HistoryConfig;
import io.herald.core.Message;
import io.herald.core.PublishOutcomeUnknownException;
import io.herald.redis.internal.LivePayload;
import io.herald.redis.internal.RedisKeys;
import io.herald.redis.internal.RedisScripts;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisChannelHandler;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.RedisCommandTimeoutException;
import io.lettuce.core.RedisConnectionStateListener;
import io.lettuce.core.RedisException;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.RedisNoScriptException;
import io.lettuce.core.RedisURI;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.Delay;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The broker that Herald nodes share through Redis (6.2 or later), with Lettuce: every node sees
 * the same offsets, epochs and history, and any node can resume any cursor.
 *
 * <p>Publication: one Lua script ({@code EVALSHA}, falling back to {@code EVAL} after a Redis
 * restart) creates the channel's epoch when missing, assigns the next offset and the time (Redis's
 * clock, never going back within a channel), appends to the channel's stream capped by the
 * history's size ({@code MAXLEN}) and age ({@code MINID}), refreshes the keys' TTL and relays the
 * message on the channel's Pub/Sub channel. Redis runs it in isolation, so a publication is
 * complete or absent. Keys carry the channel as hash tag ({@code herald:{chat:lobby}:stream},
 * {@code :meta}, {@code :live}); see {@link io.herald.redis.internal} for the layout.
 *
 * <p>Live delivery: this node subscribes in Redis only to the channels it was asked to ({@link
 * #subscribe}), on one dedicated Pub/Sub connection, and hands each message to the listener in the
 * order Redis relayed it, on that connection's I/O thread. Pub/Sub is at most once; two mechanisms
 * make the listener fill what it lost from the stream: after a reconnect this broker subscribes
 * again to every channel and calls {@link BrokerListener#onResync} for each (logging {@code redis
 * reconnected, resubscribed N channels}); and every {@link RedisBrokerConfig#headCheckInterval()}
 * it compares each subscribed channel's head in Redis with the last offset delivered, and calls
 * {@code onResync} when a channel stays behind over two checks (so a message merely in flight is
 * not taken for lost) or its data is gone. Listener calls are serialized (one at a time for the
 * whole broker).
 *
 * <p>Expiry and epochs: a channel's keys live {@code maxAge + keyTtlMargin} after their last use
 * (publication, read, or head check while some node subscribes). When a channel's data is gone
 * (expired while unused, {@code FLUSHALL}, a new empty Redis), the next publication or read creates
 * a new epoch, so resumes from the old one are not recovered.
 *
 * <p>Failures: the constructor does not fail when Redis is down, and blocks at most 2 seconds (the
 * first connection attempt, so that a broker on a running Redis is available on return); the broker
 * then keeps connecting in the background, retrying with jittered exponential backoff up to {@link
 * RedisBrokerConfig#reconnectDelayMax()} (Lettuce's reconnect uses the same bounds), and {@link
 * #isAvailable()} answers whether both connections are up and Redis answers in time. While Redis is
 * unreachable, every call fails at once with {@link BrokerUnavailableException}: commands are
 * rejected while disconnected ({@code DisconnectedBehavior.REJECT_COMMANDS}), never buffered.
 *
 * <p>Publication outcomes: a publication fails with {@link BrokerUnavailableException} ({@code
 * 503}, nothing was published) only when its script was never written to Redis (no connection, or
 * Redis has not answered within the command timeout lately, so the broker refuses publications
 * until a PING is answered) or Redis refused it with an error. When the script was written and no
 * answer came (a command timeout, for example Redis frozen by SIGSTOP with its socket open; the
 * connection lost meanwhile), Redis may run it later: the publication fails with {@link
 * PublishOutcomeUnknownException} ({@code 504}), and a retry with the same idempotency key
 * publishes it at most once. Commands in flight when the connection drops are cancelled, so Lettuce
 * never replays them after the reconnect (it skips completed commands).
 *
 * <p>Thread-safe; no method blocks except {@link #close()}. Futures complete on Lettuce's I/O
 * threads, or at once on the caller's when Redis is unreachable.
 */
public final class RedisBroker implements Broker {
  private static final Logger LOG = LoggerFactory.getLogger(RedisBroker.class);
  private static final ByteArrayCodec CODEC = ByteArrayCodec.INSTANCE;
  private static final long FIRST_RETRY_MILLIS = 100;
  private static final long FIRST_CONNECT_WAIT_MILLIS = 2_000;
  private static final long RECONNECT_POLL_MILLIS = 20;
  private static final int MAX_RECONNECT_POLLS = 100;
  private static final long PROBE_INTERVAL_MILLIS = 1_000;

  /** How often a node refreshes its announcement ({@link #announce}). */
  static final long NODE_ANNOUNCE_MILLIS = 2_000;

  /** How long after its last announcement a node is forgotten. */
  static final long NODE_TTL_MILLIS = 10_000;

  private final RedisBrokerConfig config;
  private final RedisURI redisUri;
  private final String description;
  private final RedisKeys keys;
  private final ClientResources resources;
  private final RedisClient client;
  private final ScheduledExecutorService scheduler;

  /** The script arguments of each distinct history bound, by bound (few: one per namespace). */
  private final Map<HistoryConfig, HistoryArgs> historyArgs = new ConcurrentHashMap<>();

  private final byte[] idempotencyWindowMillis;
  private final AtomicBoolean probing = new AtomicBoolean();
  private volatile boolean responsive = true;
  private final Map<String, ChannelState> subscribed = new ConcurrentHashMap<>();
  private final Set<String> staleSubscriptions = ConcurrentHashMap.newKeySet();
  private final Set<CompletableFuture<?>> inFlight = ConcurrentHashMap.newKeySet();
  private final AtomicBoolean resubscribeNeeded = new AtomicBoolean();
  private final AtomicBoolean down = new AtomicBoolean();
  private final AtomicBoolean closed = new AtomicBoolean();
  private final Object deliveryLock = new Object();
  private volatile StatefulRedisConnection<byte[], byte[]> commands;
  private volatile StatefulRedisPubSubConnection<byte[], byte[]> pubsub;
  private volatile BrokerListener listener;
  private int connectAttempts; // scheduler thread only
  private int reconnectPolls; // scheduler thread only
  private final java.util.concurrent.atomic.LongAdder reconnects =
      new java.util.concurrent.atomic.LongAdder();
  private volatile BrokerNode.Announcer self;

  /** What this node knows of one subscribed channel. Guarded by itself. */
  private static final class ChannelState {
    final String channel;
    String epoch;
    long delivered;
    String suspectEpoch;
    long suspectHead;

    /**
     * The epoch of the last History answered for the channel: the one the listener's offsets belong
     * to.
     */
    volatile String listenerEpoch;

    ChannelState(String channel) {
      this.channel = channel;
    }

    synchronized void saw(String e, long offset) {
      if (!e.equals(epoch)) {
        epoch = e;
        delivered = offset;
      } else if (offset > delivered) {
        delivered = offset;
      }
    }
  }

  /**
   * A broker on the Redis at {@code uri} with the other settings at their defaults. Waits at most 2
   * seconds for the first connection (so that a broker on a running Redis is usually available on
   * return), then keeps connecting in the background; Redis need not be up yet.
   *
   * @param uri {@code redis://[:password@]host:port[/db]}
   * @param history how much history each channel keeps
   * @throws IllegalArgumentException when the URI does not parse
   */
  public RedisBroker(String uri, HistoryConfig history) {
    this(RedisBrokerConfig.builder(uri).history(history).build());
  }

  /**
   * A broker with the given settings. Waits at most 2 seconds for the first connection, then keeps
   * connecting in the background; never fails because Redis is down.
   *
   * @throws IllegalArgumentException when the URI does not parse
   */
  public RedisBroker(RedisBrokerConfig config) {
    this.config = config;
    this.redisUri = RedisURI.create(config.uri());
    this.redisUri.setTimeout(config.commandTimeout());
    this.description = describe(redisUri);
    this.keys = new RedisKeys(config.keyPrefix());
    this.idempotencyWindowMillis = ascii(config.idempotencyWindow().toMillis());
    this.resources =
        ClientResources.builder()
            .ioThreadPoolSize(2)
            .computationThreadPoolSize(1)
            .reconnectDelay(
                Delay.fullJitter(
                    Duration.ofMillis(FIRST_RETRY_MILLIS),
                    config.reconnectDelayMax(),
                    FIRST_RETRY_MILLIS,
                    TimeUnit.MILLISECONDS))
            .build();
    this.client = RedisClient.create(resources, redisUri);
    client.setOptions(
        ClientOptions.builder()
            .autoReconnect(true)
            .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
            .timeoutOptions(TimeoutOptions.enabled(config.commandTimeout()))
            .socketOptions(
                SocketOptions.builder()
                    .connectTimeout(config.commandTimeout())
                    .keepAlive(true)
                    .build())
            .build());
    client.addListener(new ConnectionWatcher());
    this.scheduler =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "herald-redis-broker");
              t.setDaemon(true);
              return t;
            });
    CompletableFuture<Void> firstAttempt = new CompletableFuture<>();
    scheduler.execute(() -> connect().whenComplete((v, e) -> firstAttempt.complete(null)));
    try {
      // Redis up: available on return. Redis down: the attempt fails fast (refused) or times out
      // here.
      firstAttempt.get(FIRST_CONNECT_WAIT_MILLIS, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
      // keeps connecting in the background
    }
  }

  @Override
  public void start(BrokerListener listener) {
    this.listener = listener;
    long every = config.headCheckInterval().toMillis();
    scheduler.scheduleWithFixedDelay(this::checkHeads, every, every, TimeUnit.MILLISECONDS);
    long probeEvery = Math.min(PROBE_INTERVAL_MILLIS, config.commandTimeout().toMillis());
    scheduler.scheduleWithFixedDelay(this::probe, probeEvery, probeEvery, TimeUnit.MILLISECONDS);
  }

  // ---------------------------------------------------------------- connections

  private CompletableFuture<Void> connect() {
    if (closed.get()) {
      return CompletableFuture.completedFuture(null);
    }
    CompletableFuture<?> c =
        commands != null
            ? CompletableFuture.completedFuture(null)
            : client
                .connectAsync(CODEC, redisUri)
                .toCompletableFuture()
                .thenAccept(
                    conn -> {
                      if (closed.get()) {
                        conn.closeAsync();
                      } else {
                        commands = conn;
                        checkVersion(conn);
                      }
                    });
    CompletableFuture<?> p =
        pubsub != null
            ? CompletableFuture.completedFuture(null)
            : client
                .connectPubSubAsync(CODEC, redisUri)
                .toCompletableFuture()
                .thenAccept(
                    conn -> {
                      conn.addListener(new LiveListener());
                      if (closed.get()) {
                        conn.closeAsync();
                      } else {
                        pubsub = conn;
                      }
                    });
    return CompletableFuture.allOf(c, p)
        .whenComplete(
            (v, error) -> {
              if (closed.get()) {
                return;
              }
              if (error != null) {
                if (down.compareAndSet(false, true)) {
                  LOG.warn(
                      "redis at {} is unavailable ({}); publications fail with 503 until it answers; retrying",
                      description,
                      unwrap(error).getMessage());
                } else {
                  LOG.debug(
                      "redis at {} still unavailable: {}", description, unwrap(error).getMessage());
                }
                scheduleConnect();
              } else {
                if (down.compareAndSet(true, false)) {
                  LOG.info("redis at {} connected", description);
                } else {
                  LOG.debug("redis at {} connected", description);
                }
              }
            });
  }

  /**
   * Logs an error when Redis is older than 6.2 (no {@code XTRIM MINID}: publications would fail).
   */
  private void checkVersion(StatefulRedisConnection<byte[], byte[]> c) {
    c.async()
        .info("server")
        .thenAccept(
            info -> {
              java.util.regex.Matcher m =
                  java.util.regex.Pattern.compile("redis_version:(\\d+)\\.(\\d+)").matcher(info);
              if (m.find()) {
                int major = Integer.parseInt(m.group(1));
                int minor = Integer.parseInt(m.group(2));
                if (major < 6 || (major == 6 && minor < 2)) {
                  LOG.error(
                      "redis at {} is version {}.{}; Herald needs Redis 6.2 or later (XTRIM MINID)",
                      description,
                      major,
                      minor);
                }
              }
            });
  }

  private void scheduleConnect() {
    try {
      scheduler.execute(
          () -> {
            int attempt = Math.min(connectAttempts++, 20);
            long cap =
                Math.min(config.reconnectDelayMax().toMillis(), FIRST_RETRY_MILLIS << attempt);
            long delay = ThreadLocalRandom.current().nextLong(cap / 2, cap + 1);
            scheduler.schedule(
                () -> {
                  connect();
                },
                delay,
                TimeUnit.MILLISECONDS);
          });
    } catch (java.util.concurrent.RejectedExecutionException closing) {
      // closed meanwhile
    }
  }

  /**
   * Watches both connections: fails commands in flight on a drop, resubscribes after a reconnect.
   */
  private final class ConnectionWatcher implements RedisConnectionStateListener {
    @Override
    public void onRedisConnected(RedisChannelHandler<?, ?> connection, SocketAddress address) {
      if (!closed.get()) {
        try {
          scheduler.execute(RedisBroker.this::afterReconnect);
        } catch (java.util.concurrent.RejectedExecutionException closing) {
          // closed meanwhile
        }
      }
    }

    @Override
    public void onRedisDisconnected(RedisChannelHandler<?, ?> connection) {
      if (closed.get() || (connection != commands && connection != pubsub)) {
        return;
      }
      resubscribeNeeded.set(true);
      reconnects.increment();
      if (connection == commands) {
        for (CompletableFuture<?> f : inFlight) {
          f.cancel(false);
        }
      }
      if (down.compareAndSet(false, true)) {
        LOG.warn(
            "redis connection to {} lost ({}); reconnecting",
            description,
            connection == commands
                ? "commands: publications fail with 503 until it returns"
                : "Pub/Sub: live delivery paused; what it misses is read from the streams after the reconnect");
      }
    }
  }

  private void afterReconnect() {
    if (closed.get()) {
      return;
    }
    if (!connected()) {
      // A connection reports itself connected a moment before it takes commands; look again soon.
      if (resubscribeNeeded.get() && reconnectPolls++ < MAX_RECONNECT_POLLS) {
        scheduler.schedule(this::afterReconnect, RECONNECT_POLL_MILLIS, TimeUnit.MILLISECONDS);
      }
      return;
    }
    reconnectPolls = 0;
    if (down.compareAndSet(true, false) && !resubscribeNeeded.get()) {
      LOG.info("redis at {} connected", description);
    }
    if (resubscribeNeeded.compareAndSet(true, false)) {
      resubscribeAll();
    }
  }

  private void resubscribeAll() {
    StatefulRedisPubSubConnection<byte[], byte[]> p = pubsub;
    for (String stale : staleSubscriptions) {
      if (!subscribed.containsKey(stale)) {
        p.async().unsubscribe(keys.live(stale)).thenRun(() -> staleSubscriptions.remove(stale));
      }
    }
    List<String> channels = new ArrayList<>(subscribed.keySet());
    CompletableFuture<Void> done =
        channels.isEmpty()
            ? CompletableFuture.completedFuture(null)
            : p.async()
                .subscribe(channels.stream().map(keys::live).toArray(byte[][]::new))
                .toCompletableFuture();
    done.whenComplete(
        (v, error) -> {
          if (error != null) {
            resubscribeNeeded.set(true); // the head check tries again
            LOG.warn(
                "redis reconnected but resubscribing {} channels failed ({}); retrying",
                channels.size(),
                unwrap(error).getMessage());
            return;
          }
          LOG.info("redis reconnected, resubscribed {} channels", channels.size());
          for (String channel : channels) {
            if (subscribed.containsKey(channel)) {
              resync(channel);
            }
          }
        });
  }

  // ---------------------------------------------------------------- broker operations

  /** The history bounds of {@code channel} as script arguments. */
  private HistoryArgs historyArgs(String channel) {
    return historyArgs.computeIfAbsent(
        config.history(channel),
        h ->
            new HistoryArgs(
                ascii(h.maxMessages()),
                ascii(h.maxAge().toMillis()),
                ascii(h.maxAge().plus(config.keyTtlMargin()).toMillis())));
  }

  /** A channel's {@code MAXLEN}, age and key TTL, as the scripts take them. */
  private record HistoryArgs(byte[] maxMessages, byte[] maxAgeMillis, byte[] ttlMillis) {}

  @Override
  public CompletableFuture<Message> publish(String channel, String event, byte[] data) {
    return publish(channel, event, data, null);
  }

  /**
   * {@inheritDoc}
   *
   * <p>The key is checked and set in the publication's script, as the string key {@code
   * <prefix>:{<channel>}:idem:<key>} with a TTL of the idempotency window, so every node over this
   * Redis sees it. Fails with {@link BrokerUnavailableException} only when the script was never
   * sent (no connection, or Redis has not answered within the command timeout lately, see {@link
   * #isAvailable()}) or Redis refused it with an error; with {@link PublishOutcomeUnknownException}
   * when it was sent and no answer came (a command timeout, the connection lost meanwhile).
   */
  @Override
  public CompletableFuture<Message> publish(
      String channel, String event, byte[] data, String idempotencyKey) {
    return publish(channel, event, data, null, idempotencyKey);
  }

  /**
   * {@inheritDoc}
   *
   * <p>A binary message's bytes go to Redis as they are (binary-safe script arguments, stream
   * fields and Pub/Sub payloads); its content type travels in the event field ({@link
   * LivePayload#eventField}). Failures as for JSON data.
   */
  @Override
  public CompletableFuture<Message> publish(
      String channel, String event, byte[] data, String contentType, String idempotencyKey) {
    StatefulRedisConnection<byte[], byte[]> c = commands;
    if (closed.get() || c == null || !c.isOpen()) {
      return CompletableFuture.failedFuture(
          unavailable("cannot publish to " + channel + " (nothing was published)", null));
    }
    if (!responsive) {
      return CompletableFuture.failedFuture(
          new BrokerUnavailableException(
              "cannot publish to "
                  + channel
                  + ": the Redis broker at "
                  + description
                  + " has not answered within "
                  + config.commandTimeout().toMillis()
                  + " ms; nothing was published; try again later"));
    }
    byte[] eventBytes = LivePayload.eventField(event, contentType).getBytes(StandardCharsets.UTF_8);
    byte[][] scriptKeys =
        idempotencyKey == null
            ? keysOf(channel)
            : new byte[][] {
              keys.meta(channel), keys.stream(channel), keys.idempotency(channel, idempotencyKey)
            };
    HistoryArgs history = historyArgs(channel);
    List<byte[]> args = new ArrayList<>(8);
    args.add(Epochs.random().getBytes(StandardCharsets.US_ASCII));
    args.add(eventBytes);
    args.add(data);
    args.add(history.maxMessages());
    args.add(history.maxAgeMillis());
    args.add(history.ttlMillis());
    args.add(keys.live(channel));
    if (idempotencyKey != null) {
      args.add(idempotencyWindowMillis);
    }
    return eval(c, RedisScripts.PUBLISH, scriptKeys, args.toArray(byte[][]::new))
        .handle(
            (r, error) -> {
              if (error != null) {
                throw publishFailure(channel, error);
              }
              answered();
              return Message.create(
                  channel,
                  string(r.get(0)),
                  (Long) r.get(1),
                  event,
                  data,
                  contentType,
                  (Long) r.get(2));
            });
  }

  /**
   * What a failed publication tells its client: {@link BrokerUnavailableException} when the script
   * certainly did not run and will not (never sent, or refused by Redis with an error), {@link
   * PublishOutcomeUnknownException} otherwise.
   */
  private RuntimeException publishFailure(String channel, Throwable error) {
    Throwable cause = unwrap(error);
    if (cause instanceof BrokerUnavailableException bue) {
      return bue;
    }
    if (cause instanceof RedisCommandExecutionException) {
      // Redis answered with an error before running the script (OOM, BUSY, READONLY...).
      return unavailable("cannot publish to " + channel + " (nothing was published)", cause);
    }
    if (cause instanceof RedisException
        && cause.getMessage() != null
        && (cause.getMessage().startsWith("Currently not connected")
            || cause.getMessage().startsWith("Connection is closed"))) {
      // DisconnectedBehavior.REJECT_COMMANDS: the command was refused before it was written.
      return unavailable("cannot publish to " + channel + " (nothing was published)", cause);
    }
    String why;
    if (cause instanceof RedisCommandTimeoutException) {
      unresponsive(
          "a publication got no answer within " + config.commandTimeout().toMillis() + " ms");
      why = "did not answer within " + config.commandTimeout().toMillis() + " ms";
    } else if (cause instanceof CancellationException) {
      why = "lost the connection while the publication was under way";
    } else {
      why = "failed while the publication was under way (" + cause.getMessage() + ")";
    }
    return new PublishOutcomeUnknownException(
        "the publication to "
            + channel
            + " may or may not have been made: the Redis broker at "
            + description
            + " "
            + why
            + "; retry with the same Idempotency-Key to find out (it is never published twice)");
  }

  /** Redis answered a command: it is responsive again. */
  private void answered() {
    if (!responsive) {
      responsive = true;
      LOG.info("redis at {} answers again; publications are taken again", description);
    }
  }

  /** A command got no answer within the command timeout: refuse publications until one answers. */
  private void unresponsive(String why) {
    if (responsive) {
      responsive = false;
      LOG.warn(
          "redis at {} does not answer ({}); /health reports it down and publications fail with"
              + " 503 until it answers a PING",
          description,
          why);
    }
  }

  /**
   * Sends a PING when none is under way; marks Redis unresponsive when it gets no answer within the
   * command timeout, responsive when it answers. Scheduler thread.
   */
  private void probe() {
    StatefulRedisConnection<byte[], byte[]> c = commands;
    if (closed.get() || c == null || !c.isOpen() || !probing.compareAndSet(false, true)) {
      return;
    }
    try {
      c.async()
          .ping()
          .whenComplete(
              (pong, error) -> {
                probing.set(false);
                if (error == null) {
                  answered();
                } else if (unwrap(error) instanceof RedisCommandTimeoutException) {
                  unresponsive(
                      "a PING got no answer within " + config.commandTimeout().toMillis() + " ms");
                }
              });
    } catch (RuntimeException e) {
      probing.set(false);
    }
  }

  @Override
  public CompletableFuture<History> subscribe(String channel) {
    StatefulRedisPubSubConnection<byte[], byte[]> p = pubsub;
    if (closed.get() || p == null || !isAvailable()) {
      return CompletableFuture.failedFuture(unavailable("cannot subscribe to " + channel, null));
    }
    ChannelState st = subscribed.computeIfAbsent(channel, ChannelState::new);
    staleSubscriptions.remove(channel);
    return p.async()
        .subscribe(keys.live(channel))
        .toCompletableFuture()
        .thenCompose(v -> read(channel, 0, null))
        .handle(
            (h, error) -> {
              if (error != null) {
                subscribed.remove(channel, st);
                throw unavailable("cannot subscribe to " + channel, error);
              }
              st.saw(h.epoch(), h.head());
              st.listenerEpoch = h.epoch();
              return h;
            });
  }

  @Override
  public CompletableFuture<Void> unsubscribe(String channel) {
    subscribed.remove(channel);
    StatefulRedisPubSubConnection<byte[], byte[]> p = pubsub;
    if (p == null || closed.get()) {
      return CompletableFuture.completedFuture(null);
    }
    if (!p.isOpen()) {
      staleSubscriptions.add(channel); // Lettuce would subscribe again on reconnect
      return CompletableFuture.completedFuture(null);
    }
    return p.async()
        .unsubscribe(keys.live(channel))
        .toCompletableFuture()
        .handle(
            (v, error) -> {
              if (error != null && !subscribed.containsKey(channel)) {
                staleSubscriptions.add(channel);
              }
              return null;
            });
  }

  /**
   * {@inheritDoc}
   *
   * <p>For a subscribed channel whose epoch is no longer the one of the last history this broker
   * answered for it (its data was lost meanwhile), {@code afterOffset} belongs to the old epoch and
   * means nothing in the new one: the answer then holds every retained message of the new epoch, so
   * the listener loses none of them.
   */
  @Override
  public CompletableFuture<History> history(String channel, long afterOffset) {
    if (afterOffset < 0) {
      throw new IllegalArgumentException("afterOffset must be 0 or more, got " + afterOffset);
    }
    ChannelState known = subscribed.get(channel);
    return read(channel, afterOffset, known == null ? null : known.listenerEpoch)
        .handle(
            (h, error) -> {
              if (error != null) {
                throw unavailable("cannot read the history of " + channel, error);
              }
              ChannelState st = subscribed.get(channel);
              if (st != null) {
                st.saw(h.epoch(), h.head());
                st.listenerEpoch = h.epoch();
              }
              return h;
            });
  }

  private CompletableFuture<History> read(String channel, long afterOffset, String offsetEpoch) {
    StatefulRedisConnection<byte[], byte[]> c = commands;
    if (closed.get() || c == null || !c.isOpen()) {
      return CompletableFuture.failedFuture(unavailable("cannot read " + channel, null));
    }
    return eval(
            c,
            RedisScripts.READ,
            keysOf(channel),
            Epochs.random().getBytes(StandardCharsets.US_ASCII),
            ascii(afterOffset),
            historyArgs(channel).maxAgeMillis(),
            historyArgs(channel).ttlMillis(),
            (offsetEpoch == null ? "" : offsetEpoch).getBytes(StandardCharsets.US_ASCII))
        .thenApply(
            r -> {
              String epoch = string(r.get(0));
              long head = (Long) r.get(1);
              List<Message> messages = new ArrayList<>((r.size() - 2) / 4);
              for (int i = 2; i + 3 < r.size(); i += 4) {
                messages.add(
                    LivePayload.message(
                        channel,
                        epoch,
                        (Long) r.get(i),
                        string(r.get(i + 1)),
                        (byte[]) r.get(i + 2),
                        (Long) r.get(i + 3)));
              }
              return new History(epoch, head, messages);
            });
  }

  /**
   * {@inheritDoc}
   *
   * <p>True when both connections are up and Redis answered its last PING (sent every second, or
   * every command timeout when shorter) and its last publication within the command timeout: a
   * frozen Redis (for example stopped with SIGSTOP, its sockets still open) is reported down once a
   * command has waited the command timeout for it. Reads a flag: cheap.
   */
  @Override
  public boolean isAvailable() {
    return connected() && responsive;
  }

  private boolean connected() {
    StatefulRedisConnection<byte[], byte[]> c = commands;
    StatefulRedisPubSubConnection<byte[], byte[]> p = pubsub;
    return !closed.get() && c != null && p != null && c.isOpen() && p.isOpen();
  }

  @Override
  public String describe() {
    return description;
  }

  /**
   * How many times a connection to Redis (commands or Pub/Sub) was lost since start, each loss
   * starting a reconnect; for metrics. Thread-safe.
   */
  public long reconnects() {
    return reconnects.sum();
  }

  /**
   * Announces this node every {@value #NODE_ANNOUNCE_MILLIS} ms in a sorted set and a hash under
   * the key prefix ({@code <prefix>:{nodes}:seen} and {@code :info}); a node silent for {@value
   * #NODE_TTL_MILLIS} ms is forgotten, and {@link #close} removes this one at once.
   */
  @Override
  public void announce(String nodeId, Supplier<String> details) {
    self = new BrokerNode.Announcer(nodeId, details);
    scheduler.scheduleWithFixedDelay(
        this::announceNow, 0, NODE_ANNOUNCE_MILLIS, TimeUnit.MILLISECONDS);
  }

  private void announceNow() {
    BrokerNode.Announcer a = self;
    StatefulRedisConnection<byte[], byte[]> c = commands;
    if (a == null || c == null || closed.get() || !isAvailable()) {
      return;
    }
    try {
      eval(
              c,
              RedisScripts.ANNOUNCE,
              new byte[][] {keys.nodes(), keys.nodeDetails()},
              a.id().getBytes(StandardCharsets.UTF_8),
              a.details().get().getBytes(StandardCharsets.UTF_8),
              ascii(NODE_TTL_MILLIS))
          .whenComplete(
              (r, e) -> {
                if (e != null) {
                  LOG.debug("node announcement failed: {}", unwrap(e).toString());
                }
              });
    } catch (RuntimeException e) {
      LOG.warn("node announcement failed", e);
    }
  }

  /**
   * The nodes that announced themselves within {@value #NODE_TTL_MILLIS} ms, by id; one script,
   * which also forgets the silent ones.
   */
  @Override
  public CompletableFuture<List<BrokerNode>> nodes() {
    StatefulRedisConnection<byte[], byte[]> c = commands;
    if (c == null || !isAvailable()) {
      return CompletableFuture.failedFuture(unavailable("listing the nodes", null));
    }
    return eval(
            c,
            RedisScripts.NODES,
            new byte[][] {keys.nodes(), keys.nodeDetails()},
            ascii(NODE_TTL_MILLIS))
        .handle(
            (r, e) -> {
              if (e != null) {
                throw unavailable("listing the nodes", e);
              }
              List<BrokerNode> nodes = new ArrayList<>();
              for (int i = 0; i + 2 < r.size(); i += 3) {
                nodes.add(
                    new BrokerNode(string(r.get(i)), string(r.get(i + 2)), (Long) r.get(i + 1)));
              }
              nodes.sort(Comparator.comparing(BrokerNode::id));
              return nodes;
            });
  }

  /** Removes this node's announcement, waiting up to a second; at close. */
  private void retire() {
    BrokerNode.Announcer a = self;
    StatefulRedisConnection<byte[], byte[]> c = commands;
    if (a == null || c == null || !c.isOpen()) {
      return;
    }
    byte[] id = a.id().getBytes(StandardCharsets.UTF_8);
    try {
      CompletableFuture.allOf(
              c.async().zrem(keys.nodes(), id).toCompletableFuture(),
              c.async().hdel(keys.nodeDetails(), id).toCompletableFuture())
          .get(1, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
      LOG.debug("could not remove this node's announcement: {}", e.toString());
    }
  }

  /** How many channels this node subscribes to in Redis now; for tests and metrics. */
  public int subscribedChannels() {
    return subscribed.size();
  }

  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    scheduler.shutdownNow();
    retire();
    try {
      client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
    } finally {
      resources.shutdown(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(3, TimeUnit.SECONDS);
    }
  }

  // ---------------------------------------------------------------- live delivery and head check

  /** Receives the Pub/Sub messages, on the Pub/Sub connection's I/O thread. */
  private final class LiveListener extends RedisPubSubAdapter<byte[], byte[]> {
    @Override
    public void message(byte[] live, byte[] payload) {
      String channel = keys.channelOfLive(live);
      ChannelState st = channel == null ? null : subscribed.get(channel);
      if (st == null) {
        return;
      }
      Message m;
      try {
        m = LivePayload.parse(channel, payload);
      } catch (RuntimeException e) {
        LOG.warn("dropping a malformed live message on {}: {}", channel, e.getMessage());
        return;
      }
      st.saw(m.epoch(), m.offset());
      BrokerListener l = listener;
      if (l != null) {
        synchronized (deliveryLock) {
          try {
            l.onMessage(m);
          } catch (RuntimeException e) {
            LOG.error("broker listener failed on {}", m.position(), e);
          }
        }
      }
    }
  }

  private void resync(String channel) {
    BrokerListener l = listener;
    if (l != null) {
      synchronized (deliveryLock) {
        try {
          l.onResync(channel);
        } catch (RuntimeException e) {
          LOG.error("broker listener failed to resync {}", channel, e);
        }
      }
    }
  }

  /** Compares each subscribed channel's head in Redis with what was delivered. Scheduler thread. */
  private void checkHeads() {
    try {
      afterReconnect();
      StatefulRedisConnection<byte[], byte[]> c = commands;
      if (closed.get() || !isAvailable()) {
        return;
      }
      for (ChannelState st : subscribed.values()) {
        eval(c, RedisScripts.CHECK, keysOf(st.channel), historyArgs(st.channel).ttlMillis())
            .whenComplete(
                (r, error) -> {
                  if (error == null && subscribed.get(st.channel) == st && behind(st, r)) {
                    resync(st.channel);
                  }
                });
      }
    } catch (RuntimeException e) {
      LOG.warn("redis head check failed", e);
    }
  }

  /**
   * Whether {@code st} missed messages, judged from the check's answer {@code r}: {@code {}} (the
   * data is gone) or {@code {epoch, head}}. A head ahead of what was delivered counts only when it
   * was still not delivered at the next check.
   */
  private static boolean behind(ChannelState st, List<Object> r) {
    synchronized (st) {
      if (r.isEmpty()) {
        st.suspectEpoch = null;
        return true;
      }
      String epoch = string(r.get(0));
      long head = (Long) r.get(1);
      if (epoch.equals(st.epoch) && head <= st.delivered) {
        st.suspectEpoch = null;
        return false;
      }
      if (st.suspectEpoch != null
          && (!st.suspectEpoch.equals(st.epoch) || st.delivered < st.suspectHead)) {
        st.suspectEpoch = null;
        st.epoch = epoch;
        st.delivered = head;
        return true;
      }
      st.suspectEpoch = epoch;
      st.suspectHead = head;
      return false;
    }
  }

  // ---------------------------------------------------------------- helpers

  private byte[][] keysOf(String channel) {
    return new byte[][] {keys.meta(channel), keys.stream(channel)};
  }

  /**
   * Runs a script by its SHA-1, loading it with EVAL when Redis does not know it (after a restart).
   */
  private CompletableFuture<List<Object>> eval(
      StatefulRedisConnection<byte[], byte[]> c,
      RedisScripts script,
      byte[][] scriptKeys,
      byte[]... args) {
    RedisFuture<List<Object>> first =
        c.async().evalsha(script.sha1(), ScriptOutputType.MULTI, scriptKeys, args);
    return tracked(first)
        .exceptionallyCompose(
            error -> {
              Throwable cause = unwrap(error);
              if (cause instanceof RedisNoScriptException
                  || (cause.getMessage() != null && cause.getMessage().startsWith("NOSCRIPT"))) {
                return tracked(
                    c.async()
                        .<List<Object>>eval(
                            script.text(), ScriptOutputType.MULTI, scriptKeys, args));
              }
              return CompletableFuture.failedFuture(cause);
            });
  }

  /**
   * Registers a command so that a dropped connection fails it at once instead of replaying it
   * later.
   */
  private <T> CompletableFuture<T> tracked(RedisFuture<T> future) {
    CompletableFuture<T> f = future.toCompletableFuture();
    inFlight.add(f);
    f.whenComplete((v, e) -> inFlight.remove(f));
    return f;
  }

  private BrokerUnavailableException unavailable(String what, Throwable error) {
    Throwable cause = error == null ? null : unwrap(error);
    if (cause instanceof BrokerUnavailableException bue) {
      return bue;
    }
    String why;
    if (cause == null) {
      why = "not connected";
    } else if (cause instanceof CancellationException) {
      why = "the connection was lost while the command was under way";
    } else {
      why = cause.getMessage();
    }
    return new BrokerUnavailableException(
        what
            + ": the Redis broker at "
            + description
            + " is unavailable ("
            + why
            + "); try again later");
  }

  private static Throwable unwrap(Throwable t) {
    while ((t instanceof CompletionException || t instanceof ExecutionException)
        && t.getCause() != null) {
      t = t.getCause();
    }
    return t;
  }

  private static String string(Object bulk) {
    return new String((byte[]) bulk, StandardCharsets.UTF_8);
  }

  private static byte[] ascii(long n) {
    return Long.toString(n).getBytes(StandardCharsets.US_ASCII);
  }

  private static String describe(RedisURI uri) {
    if (uri.getSocket() != null) {
      return "redis-socket://" + uri.getSocket();
    }
    String scheme = uri.isSsl() ? "rediss" : "redis";
    String db = uri.getDatabase() != 0 ? "/" + uri.getDatabase() : "";
    return scheme + "://" + uri.getHost() + ":" + uri.getPort() + db;
  }
}
