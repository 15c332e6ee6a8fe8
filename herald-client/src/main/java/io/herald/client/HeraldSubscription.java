package io.herald.client;

import io.herald.core.Cursor;
import io.herald.core.Transport;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * An open subscription of one or more channels over one transport, returned by {@link
 * HeraldClient#subscribe}. It keeps the current {@link #cursor()}, which resumes on any transport
 * (PROTOCOL.md section 3), and reopens a dropped connection from that cursor after the client's
 * reconnect delay. Thread-safe.
 */
public interface HeraldSubscription extends AutoCloseable {
  /** The channels, in the order of the subscription (and of the cursor). */
  List<String> channels();

  /** The transport this subscription uses. */
  Transport transport();

  /**
   * The current cursor: for each channel, the position right after the last message delivered to
   * the listener, or where the subscription stands when none was delivered yet (an empty position,
   * "from now", until the server said where). When {@link SubscriptionListener#onMessage} is called
   * for a message, the cursor already includes it. Pass it as {@code since} to any transport to
   * resume with nothing lost or duplicated. Never blocks.
   */
  Cursor cursor();

  /**
   * Completes normally after {@link #close()}, or exceptionally when the subscription ended by
   * itself on a failure it cannot retry (for example an {@code invalid_cursor} error): then the
   * cause is a {@link HeraldClientException}.
   */
  CompletableFuture<Void> done();

  /**
   * Stops delivery: after this returns the listener gets no more calls from this subscription,
   * except one that may already be running. Closes the connection (a WebSocket with 1000, an SSE
   * stream by cancelling the body, polls by dropping the answer in flight). Returns immediately;
   * idempotent.
   */
  @Override
  void close();
}
