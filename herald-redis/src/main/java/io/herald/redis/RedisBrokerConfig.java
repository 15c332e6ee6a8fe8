package io.herald.redis;

import io.herald.core.HistoryConfig;
import java.time.Duration;
import java.util.Objects;

/**
 * Settings of a {@link RedisBroker}. Immutable; build with {@link #builder(String)}.
 *
 * <p>Defaults: history {@link HistoryConfig#DEFAULT}; head check every {@value
 * #DEFAULT_HEAD_CHECK_MILLIS} ms; keys live {@value #DEFAULT_KEY_TTL_MARGIN_SECONDS} s longer than
 * the history's age after the last use; commands time out after {@value
 * #DEFAULT_COMMAND_TIMEOUT_MILLIS} ms; reconnect attempts back off with jitter up to {@value
 * #DEFAULT_RECONNECT_DELAY_MAX_MILLIS} ms; key prefix {@value #DEFAULT_KEY_PREFIX}.
 */
public final class RedisBrokerConfig {
  /** Default interval of the check of stream heads against what was delivered, in milliseconds. */
  public static final long DEFAULT_HEAD_CHECK_MILLIS = 5_000;

  /** Default time keys outlive the history's maximum age after the last use, in seconds. */
  public static final long DEFAULT_KEY_TTL_MARGIN_SECONDS = 60;

  /** Default timeout of one Redis command, in milliseconds. */
  public static final long DEFAULT_COMMAND_TIMEOUT_MILLIS = 5_000;

  /** Default upper bound of the delay between reconnect attempts, in milliseconds. */
  public static final long DEFAULT_RECONNECT_DELAY_MAX_MILLIS = 5_000;

  /** Default prefix of every key and Pub/Sub channel. */
  public static final String DEFAULT_KEY_PREFIX = "herald";

  private final String uri;
  private final HistoryConfig history;
  private final Duration headCheckInterval;
  private final Duration keyTtlMargin;
  private final Duration commandTimeout;
  private final Duration reconnectDelayMax;
  private final String keyPrefix;
  private final Duration idempotencyWindow;

  private RedisBrokerConfig(Builder b) {
    this.uri = b.uri;
    this.history = b.history;
    this.headCheckInterval = b.headCheckInterval;
    this.keyTtlMargin = b.keyTtlMargin;
    this.commandTimeout = b.commandTimeout;
    this.reconnectDelayMax = b.reconnectDelayMax;
    this.keyPrefix = b.keyPrefix;
    this.idempotencyWindow = b.idempotencyWindow;
  }

  /**
   * A builder with the defaults.
   *
   * @param uri {@code redis://[:password@]host:port[/db]} (or {@code rediss://} for TLS)
   */
  public static Builder builder(String uri) {
    return new Builder(uri);
  }

  /**
   * The Redis URI, which may hold a password; see {@link RedisBroker#describe()} for a safe form.
   */
  public String uri() {
    return uri;
  }

  /** How much history each channel keeps in Redis. */
  public HistoryConfig history() {
    return history;
  }

  /** How often the heads of subscribed channels' streams are checked against what was delivered. */
  public Duration headCheckInterval() {
    return headCheckInterval;
  }

  /** How long a channel's keys outlive the history's maximum age after their last use. */
  public Duration keyTtlMargin() {
    return keyTtlMargin;
  }

  /** How long one Redis command may take before it fails. */
  public Duration commandTimeout() {
    return commandTimeout;
  }

  /** The longest delay between two reconnect attempts. */
  public Duration reconnectDelayMax() {
    return reconnectDelayMax;
  }

  /** The prefix of every key and Pub/Sub channel. */
  public String keyPrefix() {
    return keyPrefix;
  }

  /**
   * How long a publication's idempotency key is remembered in Redis (a key with that TTL); default
   * {@link io.herald.core.IdempotencyKeys#DEFAULT_WINDOW_SECONDS} seconds.
   */
  public Duration idempotencyWindow() {
    return idempotencyWindow;
  }

  /** Builds a {@link RedisBrokerConfig}. Not thread-safe. */
  public static final class Builder {
    private final String uri;
    private HistoryConfig history = HistoryConfig.DEFAULT;
    private Duration headCheckInterval = Duration.ofMillis(DEFAULT_HEAD_CHECK_MILLIS);
    private Duration keyTtlMargin = Duration.ofSeconds(DEFAULT_KEY_TTL_MARGIN_SECONDS);
    private Duration commandTimeout = Duration.ofMillis(DEFAULT_COMMAND_TIMEOUT_MILLIS);
    private Duration reconnectDelayMax = Duration.ofMillis(DEFAULT_RECONNECT_DELAY_MAX_MILLIS);
    private String keyPrefix = DEFAULT_KEY_PREFIX;
    private Duration idempotencyWindow =
        Duration.ofSeconds(io.herald.core.IdempotencyKeys.DEFAULT_WINDOW_SECONDS);

    private Builder(String uri) {
      this.uri = Objects.requireNonNull(uri, "uri");
    }

    /** How much history each channel keeps. */
    public Builder history(HistoryConfig history) {
      this.history = Objects.requireNonNull(history, "history");
      return this;
    }

    /** Interval of the head check, 10 ms or more. */
    public Builder headCheckInterval(Duration interval) {
      this.headCheckInterval = atLeast(interval, Duration.ofMillis(10), "head check interval");
      return this;
    }

    /** Time keys outlive the history's age after their last use, 1 second or more. */
    public Builder keyTtlMargin(Duration margin) {
      this.keyTtlMargin = atLeast(margin, Duration.ofSeconds(1), "key TTL margin");
      return this;
    }

    /** Timeout of one command, 10 ms or more. */
    public Builder commandTimeout(Duration timeout) {
      this.commandTimeout = atLeast(timeout, Duration.ofMillis(10), "command timeout");
      return this;
    }

    /** Upper bound of the reconnect delay, 10 ms or more. */
    public Builder reconnectDelayMax(Duration max) {
      this.reconnectDelayMax = atLeast(max, Duration.ofMillis(10), "reconnect delay");
      return this;
    }

    /** Prefix of keys and Pub/Sub channels: non-empty, without braces. */
    public Builder keyPrefix(String prefix) {
      if (prefix.isEmpty() || prefix.contains("{") || prefix.contains("}")) {
        throw new IllegalArgumentException(
            "key prefix must be non-empty and without braces, got '" + prefix + "'");
      }
      this.keyPrefix = prefix;
      return this;
    }

    /** How long idempotency keys are remembered, 1 ms or more. */
    public Builder idempotencyWindow(Duration window) {
      this.idempotencyWindow = atLeast(window, Duration.ofMillis(1), "idempotency window");
      return this;
    }

    /** The settings. */
    public RedisBrokerConfig build() {
      return new RedisBrokerConfig(this);
    }

    private static Duration atLeast(Duration d, Duration min, String what) {
      Objects.requireNonNull(d, what);
      if (d.compareTo(min) < 0) {
        throw new IllegalArgumentException(
            what + " must be at least " + min.toMillis() + " ms, got " + d.toMillis() + " ms");
      }
      return d;
    }
  }
}
