package io.herald.core;

import java.time.Duration;
import java.util.Objects;

/**
 * How much history a channel keeps: at most {@link #maxMessages()} messages, none older than {@link
 * #maxAge()}. Brokers and the hub's local logs both follow it. Immutable.
 *
 * @param maxMessages messages kept per channel, 1 to 1,000,000; default {@value
 *     #DEFAULT_MAX_MESSAGES}
 * @param maxAge how long a message is kept, 1 second or more; default 1 hour
 */
public record HistoryConfig(int maxMessages, Duration maxAge) {
  /** Default messages kept per channel. */
  public static final int DEFAULT_MAX_MESSAGES = 1000;

  /** Default age after which a message is dropped from history. */
  public static final Duration DEFAULT_MAX_AGE = Duration.ofHours(1);

  /** The defaults: 1000 messages, 1 hour. */
  public static final HistoryConfig DEFAULT =
      new HistoryConfig(DEFAULT_MAX_MESSAGES, DEFAULT_MAX_AGE);

  public HistoryConfig {
    Objects.requireNonNull(maxAge, "maxAge");
    if (maxMessages < 1 || maxMessages > 1_000_000) {
      throw new IllegalArgumentException(
          "history size must be 1 to 1000000 messages, got " + maxMessages);
    }
    if (maxAge.compareTo(Duration.ofSeconds(1)) < 0) {
      throw new IllegalArgumentException("history age must be at least 1 second, got " + maxAge);
    }
  }
}
