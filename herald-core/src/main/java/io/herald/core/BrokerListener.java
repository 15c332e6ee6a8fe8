package io.herald.core;

/**
 * Receives what a {@link Broker} delivers for the channels this node subscribed to. The {@link Hub}
 * is the one listener of a node's broker.
 *
 * <p>Threading: called from the broker's threads; a broker calls it for one channel from one thread
 * at a time, in the order the broker accepted the messages. Implementations must not block.
 */
public interface BrokerListener {
  /**
   * A message was published to a subscribed channel, on this node or another. Offsets of one
   * channel arrive ascending but may have holes (a lost live message) or repeats; the listener
   * fills holes with {@link Broker#history} and drops repeats.
   */
  void onMessage(Message message);

  /**
   * The broker may have missed live messages of {@code channel} (for example after reconnecting to
   * Redis, or a periodic check found the stream's head ahead of what was delivered): the listener
   * should read the history after its head and fill what it lacks.
   */
  void onResync(String channel);
}
