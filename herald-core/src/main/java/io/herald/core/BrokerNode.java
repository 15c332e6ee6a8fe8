package io.herald.core;

import java.util.Objects;

/**
 * A node sharing a {@link Broker}, as it last announced itself with {@link Broker#announce}.
 * Immutable.
 *
 * @param id the node's id, for example {@code host:8080}; unique among the broker's nodes
 * @param details what the node said about itself: one JSON object (address, start time, open
 *     connections...), as the node wrote it
 * @param seenMillis when the node last announced itself, milliseconds since the Unix epoch, by the
 *     broker's clock
 */
public record BrokerNode(String id, String details, long seenMillis) {
  public BrokerNode {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(details, "details");
  }

  /**
   * What a broker keeps of its own node's announcement: the id, and the details read at each
   * refresh. Immutable.
   */
  public record Announcer(String id, java.util.function.Supplier<String> details) {
    /**
     * @throws IllegalArgumentException when {@code id} is not 1 to 200 printable ASCII characters
     */
    public Announcer {
      Objects.requireNonNull(details, "details");
      if (id == null
          || id.isEmpty()
          || id.length() > 200
          || !id.chars().allMatch(c -> c > 32 && c < 127)) {
        throw new IllegalArgumentException(
            "a node id is 1 to 200 printable ASCII characters without spaces, got '" + id + "'");
      }
    }
  }
}
