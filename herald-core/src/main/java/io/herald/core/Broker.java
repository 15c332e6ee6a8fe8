package io.herald.core;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/**
 * The authority over channel logs that every node shares: assigns offsets and epochs, keeps the
 * retained history, and relays publications to every node that subscribed to the channel.
 *
 * <p>Guarantees, which {@code BrokerContractTest} checks for every implementation:
 *
 * <ul>
 *   <li>Atomic publication: a publication either gets the channel's next offset, is retained in
 *       history and is relayed, or fails with {@link BrokerUnavailableException} and none of that
 *       happened (or, when the broker cannot tell, fails with {@link
 *       PublishOutcomeUnknownException}).
 *   <li>Idempotency: a publication with an idempotency key seen on the channel within the window
 *       publishes nothing and answers the first one's offset and epoch.
 *   <li>Offsets of one epoch are consecutive from 1, with no holes; every node sees the same
 *       offsets and epochs.
 *   <li>Order: the listener receives one channel's messages in offset order. Live delivery is at
 *       most once and may lose messages (Redis Pub/Sub); {@link #history} fills what was lost while
 *       it is retained.
 *   <li>A channel's epoch changes whenever its history is lost (an idle channel expired, the
 *       broker's data lost); it never changes otherwise.
 * </ul>
 *
 * <p>Threading: thread-safe; no method blocks; results complete on the broker's threads (or on the
 * caller's, when the answer is at hand).
 */
public interface Broker extends AutoCloseable {
  /**
   * Starts the broker and sets the one listener that receives live messages of subscribed channels.
   * Call once, before any other method.
   */
  void start(BrokerListener listener);

  /**
   * Publishes one message. The channel's log is created, with a new epoch, when it does not exist.
   *
   * @param channel a valid channel name (see {@link Names#channel})
   * @param event a valid event name (see {@link Names#event})
   * @param data one JSON value as UTF-8 bytes, already checked and within the size limit
   * @return the message as published, with its offset, epoch and time; fails with {@link
   *     BrokerUnavailableException} when nothing was published
   */
  CompletableFuture<Message> publish(String channel, String event, byte[] data);

  /**
   * Publishes one message at most once per idempotency key (PROTOCOL.md section 5, version 1.1):
   * when a publication to {@code channel} with the same {@code idempotencyKey} was made within the
   * broker's idempotency window, on any node, this one publishes nothing and answers the first
   * one's offset, epoch and time. The check and the publication are one atomic step. Keys of
   * different channels are independent.
   *
   * <p>Failures: {@link BrokerUnavailableException} when nothing was published and nothing will be
   * (for example the broker's connection is down and the command was never sent); {@link
   * PublishOutcomeUnknownException} when the publication may have been made or may still be made (a
   * timeout after the command was sent): retrying with the same key then settles it.
   *
   * @param idempotencyKey a key checked by {@link IdempotencyKeys#check}, or {@code null} for none
   *     (then the same as {@link #publish(String, String, byte[])})
   * @return the message as published, or the first publication's offset, epoch and time (with this
   *     call's event and data) when the key was seen
   */
  default CompletableFuture<Message> publish(
      String channel, String event, byte[] data, String idempotencyKey) {
    if (idempotencyKey == null) {
      return publish(channel, event, data);
    }
    return CompletableFuture.failedFuture(
        new UnsupportedOperationException(describe() + " does not support idempotency keys"));
  }

  /**
   * Publishes one JSON message ({@code contentType} null, as {@link #publish(String, String,
   * byte[], String)}) or one binary message (PROTOCOL.md section 11): raw bytes with their content
   * type, retained, relayed and idempotent exactly as JSON data, and delivered byte for byte on
   * every node.
   *
   * @param data one checked JSON value, or any raw bytes within the size limit
   * @param contentType {@code null} for JSON; else a content type checked by {@link
   *     ContentTypes#requireBinary}
   * @param idempotencyKey a checked key, or {@code null}
   */
  default CompletableFuture<Message> publish(
      String channel, String event, byte[] data, String contentType, String idempotencyKey) {
    if (contentType == null) {
      return publish(channel, event, data, idempotencyKey);
    }
    return CompletableFuture.failedFuture(
        new UnsupportedOperationException(describe() + " does not support binary messages"));
  }

  /**
   * Starts live delivery of {@code channel} to the listener, creating the channel's log when it
   * does not exist, and answers its retained history at about that time. Messages published
   * meanwhile may arrive both live and in the answer; the listener drops repeats.
   *
   * @return the history after offset 0; fails with {@link BrokerUnavailableException}
   */
  CompletableFuture<History> subscribe(String channel);

  /** Stops live delivery of {@code channel} to this node. Idempotent. */
  CompletableFuture<Void> unsubscribe(String channel);

  /**
   * Reads a channel's retained history after {@code afterOffset}, creating the channel's log when
   * it does not exist.
   *
   * @param afterOffset 0 or more
   * @return the epoch, head and retained messages after the offset; fails with {@link
   *     BrokerUnavailableException}
   */
  CompletableFuture<History> history(String channel, long afterOffset);

  /** Whether the broker can take publications now; drives {@code /health}. */
  boolean isAvailable();

  /**
   * A short name for logs and {@code /health}, for example {@code memory} or {@code
   * redis://127.0.0.1:6379}.
   */
  String describe();

  /**
   * Announces this node to the broker's other nodes as {@code nodeId} until {@link #close}: a
   * shared broker (Redis) refreshes the announcement every few seconds, reading {@code details}
   * again each time, and forgets a node that stopped refreshing after a short TTL. Call once, after
   * {@link #start}. Returns immediately; failures (the broker is down) are retried at the next
   * refresh. The default does nothing.
   *
   * @param nodeId this node's id, 1 to 200 printable ASCII characters, unique among the nodes
   * @param details one JSON object describing the node; called from the broker's threads, must be
   *     fast and must not block
   */
  default void announce(String nodeId, Supplier<String> details) {}

  /**
   * The nodes that announced themselves and have not expired, this one included once announced,
   * ordered by id. A broker without other nodes (in memory) answers this node only. Returns
   * immediately.
   *
   * @return the nodes; fails with {@link BrokerUnavailableException} when the broker cannot be
   *     asked. The default answers none.
   */
  default CompletableFuture<List<BrokerNode>> nodes() {
    return CompletableFuture.completedFuture(List.of());
  }

  /** Stops the broker and releases its resources. Blocks until done. Idempotent. */
  @Override
  void close();
}
