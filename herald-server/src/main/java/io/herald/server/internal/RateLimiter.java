package io.herald.server.internal;

import io.github.bucket4j.Bucket;
import io.github.bucket4j.ConsumptionProbe;
import io.github.bucket4j.local.SynchronizationStrategy;
import io.herald.core.ErrorCode;
import io.herald.core.ProtocolException;
import java.time.Duration;

/**
 * One connection's rate limit: a token bucket (Bucket4j) of {@code burst} tokens refilled at {@code
 * perSecond}, one token per command or publication, and a second bucket that counts refusals
 * ("strikes") so that a connection that keeps exceeding its limit can be closed. Used by {@link
 * WebSocketTransport} (every command) and {@link HttpRouter} (publications; keep-alive requests of
 * one connection share the bucket).
 *
 * <p>Confined to the channel's event loop (the buckets are built without synchronization).
 */
final class RateLimiter {
  private final String what;
  private final int perSecond;
  private final int strikes;
  private final Duration window;
  private final int burst;
  private Bucket tokens;
  private Bucket strikesLeft;

  private RateLimiter(String what, int perSecond, int burst, int strikes, Duration window) {
    this.what = what;
    this.perSecond = perSecond;
    this.burst = burst;
    this.strikes = strikes;
    this.window = window;
  }

  /** Builds the buckets at the first use, so an idle connection holds only this object. */
  private void buildBuckets() {
    tokens =
        Bucket.builder()
            .addLimit(l -> l.capacity(burst).refillGreedy(perSecond, Duration.ofSeconds(1)))
            .withSynchronizationStrategy(SynchronizationStrategy.NONE)
            .build();
    strikesLeft =
        Bucket.builder()
            .addLimit(l -> l.capacity(strikes).refillGreedy(strikes, window))
            .withSynchronizationStrategy(SynchronizationStrategy.NONE)
            .build();
  }

  /**
   * A limiter of {@code perSecond} (refill) and {@code burst} (bucket size), or {@code null} when
   * {@code perSecond} is 0 (no limit).
   *
   * @param what the plural noun the error messages use, for example "WebSocket commands"
   * @param strikes refusals tolerated within {@code window}; the next one asks for a close
   */
  static RateLimiter of(String what, int perSecond, int burst, int strikes, Duration window) {
    return perSecond <= 0 ? null : new RateLimiter(what, perSecond, burst, strikes, window);
  }

  /**
   * Takes one token. Returns {@code null} when it was there, else the refusal to send: {@code
   * rate_limited} saying the limit and when to retry; the refusal also counts as a strike.
   */
  Refusal tryAcquire() {
    if (tokens == null) {
      buildBuckets();
    }
    ConsumptionProbe probe = tokens.tryConsumeAndReturnRemaining(1);
    if (probe.isConsumed()) {
      return null;
    }
    long waitMillis = Math.max(1, (probe.getNanosToWaitForRefill() + 999_999) / 1_000_000);
    boolean close = !strikesLeft.tryConsume(1);
    return new Refusal(
        new ProtocolException(
            ErrorCode.RATE_LIMITED,
            "too many "
                + what
                + " on this connection: at most "
                + perSecond
                + " per second are allowed; retry in "
                + waitMillis
                + " ms"),
        waitMillis,
        close,
        close
            ? "rate limit exceeded more than "
                + strikes
                + " times in "
                + window.toSeconds()
                + " s ("
                + perSecond
                + " "
                + what
                + "/s allowed)"
            : null);
  }

  /**
   * A refused command or publication.
   *
   * @param error the {@code rate_limited} error to answer
   * @param retryAfterMillis when a token is there again, at least 1
   * @param close whether the connection has exceeded too often and is to be closed
   * @param closeReason the close reason when {@code close} (at most 123 bytes, a WebSocket close
   *     reason's limit), else {@code null}
   */
  record Refusal(
      ProtocolException error, long retryAfterMillis, boolean close, String closeReason) {
    /** The {@code Retry-After} header value: whole seconds, rounded up, at least 1. */
    long retryAfterSeconds() {
      return Math.max(1, (retryAfterMillis + 999) / 1000);
    }
  }
}
