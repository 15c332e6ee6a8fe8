package io.herald.client.internal;

import com.fasterxml.jackson.databind.JsonNode;
import io.herald.client.HeraldClientException;
import io.herald.client.HeraldSubscription;
import io.herald.client.SubscriptionListener;
import io.herald.core.Cursor;
import io.herald.core.Json;
import io.herald.core.Message;
import io.herald.core.Position;
import io.herald.core.Transport;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;

/**
 * What every transport's subscription shares: the cursor, the listener calls (each guarded so a
 * throwing listener cannot break delivery), the closed state and the reconnect schedule.
 * Thread-safe.
 */
abstract class AbstractSubscription implements HeraldSubscription {
  final ClientSettings settings;
  final Transport transport;
  final SubscriptionListener listener;
  final CursorTracker tracker;
  final CompletableFuture<Void> done = new CompletableFuture<>();
  volatile boolean closed;
  private final java.util.concurrent.atomic.AtomicInteger failures =
      new java.util.concurrent.atomic.AtomicInteger();
  private final java.util.Set<String> announced =
      java.util.concurrent.ConcurrentHashMap.newKeySet();

  AbstractSubscription(
      ClientSettings settings,
      Transport transport,
      List<String> channels,
      Cursor since,
      SubscriptionListener listener) {
    this.settings = settings;
    this.transport = transport;
    this.listener = listener;
    this.tracker = new CursorTracker(channels, since);
  }

  /** Opens the first connection or sends the first poll. */
  abstract void start();

  /** Releases the transport's connection; called once by {@link #close()}. */
  abstract void closeTransport();

  @Override
  public List<String> channels() {
    return tracker.channels();
  }

  @Override
  public Transport transport() {
    return transport;
  }

  @Override
  public Cursor cursor() {
    return tracker.cursor();
  }

  @Override
  public CompletableFuture<Void> done() {
    return done;
  }

  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    try {
      closeTransport();
    } finally {
      done.complete(null);
    }
  }

  /** Ends the subscription on a failure that retrying cannot fix. */
  void fail(Throwable error) {
    if (closed) {
      return;
    }
    closed = true;
    error(error);
    try {
      closeTransport();
    } finally {
      done.completeExceptionally(error);
    }
  }

  /** Longest pause between reconnection attempts: 30 seconds. */
  static final long MAX_RECONNECT_DELAY_MILLIS = 30_000;

  /**
   * Runs {@code action} after the reconnect delay unless closed by then. The delay doubles with
   * each failure in a row (up to {@link #MAX_RECONNECT_DELAY_MILLIS}) and is reset by {@link
   * #connected()}.
   */
  void later(Runnable action) {
    if (closed) {
      return;
    }
    int n = Math.min(failures.getAndIncrement(), 16);
    long ms =
        Math.min(
            settings.reconnectDelay().toMillis() << n,
            Math.max(MAX_RECONNECT_DELAY_MILLIS, settings.reconnectDelay().toMillis()));
    Executor ex = CompletableFuture.delayedExecutor(Math.max(0, ms), TimeUnit.MILLISECONDS);
    ex.execute(
        () -> {
          if (!closed) {
            action.run();
          }
        });
  }

  /**
   * Runs {@code action} after the server's reconnect hint ({@code retryAfterMillis} of a draining
   * node's {@code herald.end} or WebSocket close {@code 1001}), capped at {@link
   * #MAX_RECONNECT_DELAY_MILLIS}, unless closed by then. A clean end, not a failure: the backoff
   * does not grow.
   */
  void afterHint(long millis, Runnable action) {
    if (closed) {
      return;
    }
    CompletableFuture.delayedExecutor(
            Math.max(0, Math.min(millis, MAX_RECONNECT_DELAY_MILLIS)), TimeUnit.MILLISECONDS)
        .execute(
            () -> {
              if (!closed) {
                action.run();
              }
            });
  }

  /**
   * The {@code retryAfterMillis} of a draining server's hint, {@code
   * {"reason":"draining","retryAfterMillis":N}}; -1 when {@code text} is not such a hint.
   */
  static long retryAfterMillis(String text) {
    if (text == null || !text.startsWith("{")) {
      return -1;
    }
    try {
      JsonNode n = Json.MAPPER.readTree(text).path("retryAfterMillis");
      return n.canConvertToLong() && n.asLong() >= 0 ? n.asLong() : -1;
    } catch (Exception e) {
      return -1;
    }
  }

  private final java.util.concurrent.atomic.AtomicInteger renewals =
      new java.util.concurrent.atomic.AtomicInteger();

  /**
   * Whether {@code e} is a {@code token_expired} refusal that a new token from the supplier may
   * cure (so it is retried rather than ending the subscription).
   */
  boolean renewsToken(HeraldClientException e) {
    return "token_expired".equals(e.code()) && settings.credentials().renewable();
  }

  /**
   * Runs {@code action} at once after a token expired: twice in a row at most, then with the
   * reconnect delay (a supplier that keeps giving expired tokens must not spin).
   */
  void renewal(Runnable action) {
    if (closed) {
      return;
    }
    if (renewals.incrementAndGet() <= 2) {
      CompletableFuture.runAsync(
          () -> {
            if (!closed) {
              action.run();
            }
          });
    } else {
      later(action);
    }
  }

  /** Records a successful connection or poll: the next reconnect waits the base delay again. */
  void connected() {
    failures.set(0);
    renewals.set(0);
  }

  /**
   * The cursor as a {@code since} query parameter ({@code &since=...}), or empty when all from now.
   */
  String sinceQuery() {
    Cursor c = tracker.cursor();
    boolean any = false;
    for (Position p : c.positions()) {
      any |= p != null;
    }
    return any ? "since=" + c : "";
  }

  // Listener calls: each guarded; after close neither the cursor nor the listener moves, so the
  // cursor never includes a message the listener was not given.

  void subscribed(String channel, Position position, boolean recovered) {
    if (channel == null || position == null || closed) {
      return;
    }
    if (!announced.add(channel)) {
      // A reconnection, from a position the server gave us: silent when it resumed, a gap when it
      // could not. A gap is reported only when it moves the position forwards: not recovered at a
      // position behind ours in the same epoch is a node whose log lagged the channel's, and
      // nothing after our position was lost.
      if (!recovered) {
        gap(channel, position);
      } else {
        tracker.set(channel, position);
      }
      return;
    }
    // The first answer judges the position the application gave (PROTOCOL.md section 4): where
    // the server says the subscription stands holds, even behind it (a position ahead of the
    // channel's head is not recovered and continues from the head).
    tracker.reset(channel, position);
    try {
      listener.onSubscribed(channel, position, recovered);
    } catch (RuntimeException e) {
      error(e);
    }
  }

  void message(Message m) {
    if (closed) {
      return;
    }
    if (tracker.advance(m) < 0) {
      return; // a repeat of a message the listener was given (or of a channel not subscribed)
    }
    try {
      listener.onMessage(m);
    } catch (RuntimeException e) {
      error(e);
    }
  }

  /**
   * Reports a gap that moves the channel's position forwards (or into another epoch); a gap at or
   * behind the position in the same epoch is no gap and is ignored.
   */
  void gap(String channel, Position position) {
    if (channel == null || position == null || closed) {
      return;
    }
    int i = tracker.indexOf(channel);
    Position held = i < 0 ? null : tracker.get(i);
    if (i < 0 || position.equals(held) || !tracker.set(channel, position)) {
      return;
    }
    try {
      listener.onGap(channel, position);
    } catch (RuntimeException e) {
      error(e);
    }
  }

  void error(Throwable t) {
    try {
      listener.onError(t);
    } catch (RuntimeException ignored) {
      // A listener that throws from onError has nowhere left to report to.
    }
  }

  /** Whether the since position {@code since} was resumed as {@code standing}. */
  static boolean resumed(Position since, Position standing) {
    return since == null
        || (since.offset() == standing.offset()
            && (since.epoch() == null || since.epoch().equals(standing.epoch())));
  }

  /** Parses an error body into an exception; falls back to the status line when it is not one. */
  static HeraldClientException errorOf(int status, byte[] body) {
    try {
      JsonNode e = Json.MAPPER.readTree(body).path("error");
      if (e.path("code").isTextual()) {
        return new HeraldClientException(
            status, e.path("code").asText(), e.path("message").asText(""));
      }
    } catch (Exception ignored) {
      // Not a Herald error body: report the status.
    }
    String text = new String(body, java.nio.charset.StandardCharsets.UTF_8);
    return new HeraldClientException(
        status, "unknown", "HTTP " + status + (text.isBlank() ? "" : ": " + abbreviate(text)));
  }

  static HeraldClientException errorOf(JsonNode frame) {
    JsonNode e = frame.path("error");
    return new HeraldClientException(
        0, e.path("code").asText("unknown"), e.path("message").asText(""));
  }

  static Position position(JsonNode node) {
    return node.isTextual() ? Position.parse(node.asText()) : null;
  }

  static String abbreviate(String s) {
    return s.length() <= 200 ? s : s.substring(0, 200) + "...";
  }
}
