package io.herald.server.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.herald.core.ErrorCode;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The per-connection token bucket and its strike count. */
@Timeout(10)
class RateLimiterTest {

  @Test
  void rateZeroMeansNoLimiter() {
    assertThat(RateLimiter.of("commands", 0, 10, 5, Duration.ofSeconds(10))).isNull();
  }

  @Test
  void theBurstPassesThenRefusalsSayTheLimitAndWhenToRetry() {
    RateLimiter l = RateLimiter.of("commands", 1, 3, 100, Duration.ofSeconds(60));
    for (int i = 0; i < 3; i++) {
      assertThat(l.tryAcquire()).as("token %d", i + 1).isNull();
    }
    RateLimiter.Refusal r = l.tryAcquire();
    assertThat(r).isNotNull();
    assertThat(r.error().code()).isEqualTo(ErrorCode.RATE_LIMITED);
    assertThat(r.error().getMessage())
        .contains("too many commands")
        .contains("at most 1 per second");
    assertThat(r.retryAfterMillis()).isBetween(1L, 1000L);
    assertThat(r.retryAfterSeconds()).isEqualTo(1);
    assertThat(r.close()).isFalse();
    assertThat(r.closeReason()).isNull();
  }

  @Test
  void oneRefusalMoreThanTheStrikesAsksForACloseWithTheReason() {
    RateLimiter small = RateLimiter.of("WebSocket commands", 1, 1, 2, Duration.ofSeconds(60));
    assertThat(small.tryAcquire()).isNull();
    assertThat(small.tryAcquire().close()).isFalse();
    assertThat(small.tryAcquire().close()).isFalse();
    RateLimiter.Refusal third = small.tryAcquire();
    assertThat(third.close()).isTrue();
    assertThat(third.closeReason())
        .isEqualTo(
            "rate limit exceeded more than 2 times in 60 s (1 WebSocket commands/s allowed)");
  }
}
