package io.herald.core;

import java.time.Duration;
import java.util.Objects;

/**
 * How much history a channel keeps: at most {@link #maxMessages()} messages and {@link #maxBytes()}
 * bytes, none older than {@link #maxAge()}; past a bound the oldest messages go first. Brokers that
 * keep history in this process and the hub's local logs follow it. Immutable.
 *
 * @param maxMessages messages kept per channel, 1 to 1,000,000; default {@value
 *     #DEFAULT_MAX_MESSAGES}
 * @param maxAge how long a message is kept, 1 second or more; default 1 hour
 * @param maxBytes bytes kept per channel, counted as {@link Message#retainedBytes()} (the envelope
 *     plus a fixed overhead), 1 KiB to 1 TiB; default {@value #DEFAULT_MAX_BYTES} (4 MiB). The
 *     newest message is kept even when it alone is larger.
 */
public record HistoryConfig(int maxMessages, Duration maxAge, long maxBytes) {
  /** Default messages kept per channel. */
  public static final int DEFAULT_MAX_MESSAGES = 1000;

  /** Default age after which a message is dropped from history. */
  public static final Duration DEFAULT_MAX_AGE = Duration.ofHours(1);

  /** Default bytes of history kept per channel: 4 MiB. */
  public static final long DEFAULT_MAX_BYTES = 4L * 1024 * 1024;

  /** Smallest byte bound per channel: 1 KiB. */
  public static final long MIN_MAX_BYTES = 1024;

  /** Largest byte bound per channel: 1 TiB. */
  public static final long MAX_MAX_BYTES = 1L << 40;

  /** The defaults: 1000 messages, 1 hour, 4 MiB. */
  public static final HistoryConfig DEFAULT =
      new HistoryConfig(DEFAULT_MAX_MESSAGES, DEFAULT_MAX_AGE, DEFAULT_MAX_BYTES);

  /**
   * @throws IllegalArgumentException when a bound is out of its range, saying what is allowed
   */
  public HistoryConfig {
    Objects.requireNonNull(maxAge, "maxAge");
    if (maxMessages < 1 || maxMessages > 1_000_000) {
      throw new IllegalArgumentException(
          "history size must be 1 to 1000000 messages, got " + maxMessages);
    }
    if (maxAge.compareTo(Duration.ofSeconds(1)) < 0) {
      throw new IllegalArgumentException("history age must be at least 1 second, got " + maxAge);
    }
    if (maxBytes < MIN_MAX_BYTES || maxBytes > MAX_MAX_BYTES) {
      throw new IllegalArgumentException(
          "history bytes per channel must be "
              + MIN_MAX_BYTES
              + " to "
              + MAX_MAX_BYTES
              + ", got "
              + maxBytes);
    }
  }

  /** At most {@code maxMessages} messages no older than {@code maxAge}, and the default bytes. */
  public HistoryConfig(int maxMessages, Duration maxAge) {
    this(maxMessages, maxAge, DEFAULT_MAX_BYTES);
  }
}
