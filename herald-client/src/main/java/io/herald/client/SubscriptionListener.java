package io.herald.client;

import io.herald.core.Message;
import io.herald.core.Position;

/**
 * Receives what a {@link HeraldSubscription} delivers. Every method has an empty default.
 *
 * <p>Threading: for one subscription the methods are called one at a time, never concurrently, in
 * the order the server sent things, from a thread of the client's executor (never the caller of
 * {@code subscribe}). A listener must not block for long: the subscription reads nothing more from
 * the network until the call returns (that is its backpressure). An exception thrown by a listener
 * is passed to {@link #onError} and otherwise ignored.
 */
public interface SubscriptionListener {
  /**
   * A channel's subscription stands at {@code position}: the position it resumed from, or the
   * channel's head when it started from now or could not recover. Called once per channel, when the
   * server first answers; a later reconnection that resumes is silent, and one that cannot resume
   * (for example after an in-memory server restarted with a new epoch) is an {@link #onGap}.
   *
   * @param channel the channel
   * @param position where the subscription stands, {@code epoch:offset}
   * @param recovered {@code false} when the given position could not be resumed (wrong epoch,
   *     offset ahead of the head, or messages already dropped): then nothing from the old position
   *     is delivered and delivery continues from {@code position}
   */
  default void onSubscribed(String channel, Position position, boolean recovered) {}

  /**
   * A message, in offset order per channel, each once. A binary message (PROTOCOL.md section 11,
   * {@link Message#isBinary()}) arrives with its raw bytes as {@link Message#data()} and its {@link
   * Message#contentType()}, whatever the transport (decoded from base64 on SSE, polls and
   * WebSocket).
   */
  default void onMessage(Message message) {}

  /**
   * Messages of {@code channel} were lost to this subscriber (it fell behind history, history was
   * reset, or a reconnection or later poll could not resume); delivery continues after {@code
   * position}, the channel's head at that moment.
   */
  default void onGap(String channel, Position position) {}

  /**
   * A failure. When {@link HeraldSubscription#done()} is not yet complete afterwards the
   * subscription keeps going (a dropped connection is reopened from the current cursor); otherwise
   * it has ended.
   */
  default void onError(Throwable error) {}
}
