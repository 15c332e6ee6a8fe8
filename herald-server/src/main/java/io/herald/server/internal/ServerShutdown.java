package io.herald.server.internal;

import java.util.concurrent.ThreadLocalRandom;

/**
 * The user event fired on a connection's pipeline when the server drains or shuts down: WebSockets
 * close with 1001 and a reconnect hint, SSE streams end with {@code herald.end}, other connections
 * close once their answer is written.
 *
 * <p>The hint is a random delay of 0 to {@link #RETRY_JITTER_MILLIS} ms, so that the clients of one
 * batch of closes do not reconnect to the remaining nodes in the same instant. On WebSocket it is
 * the close reason, {@code {"reason":"draining","retryAfterMillis":N}} (at most 123 bytes, RFC 6455
 * section 5.5.1); on SSE it is the {@code retry:} line and the data of {@code herald.end}.
 */
public enum ServerShutdown {
  INSTANCE;

  /** Largest reconnect delay hinted to a client when its connection is closed: 1 second. */
  public static final int RETRY_JITTER_MILLIS = 1000;

  /** A fresh jittered hint, 0 to {@link #RETRY_JITTER_MILLIS} ms. Thread-safe. */
  static long retryAfterMillis() {
    return ThreadLocalRandom.current().nextLong(RETRY_JITTER_MILLIS + 1);
  }

  /** {@code {"reason":"draining","retryAfterMillis":N}}: the WebSocket close reason. */
  static String closeReason(long retryAfterMillis) {
    return "{\"reason\":\"draining\",\"retryAfterMillis\":" + retryAfterMillis + "}";
  }
}
