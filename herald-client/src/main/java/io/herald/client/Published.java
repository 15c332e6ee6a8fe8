package io.herald.client;

import io.herald.core.Position;

/**
 * The server's answer to a publication ({@code 201 Created}, PROTOCOL.md section 5): where the
 * message now stands in its channel's log. Immutable.
 *
 * @param channel the channel the message was published to
 * @param offset the message's offset in its epoch, 1 or more
 * @param epoch the channel's epoch, 1 to 16 of {@code a-z 0-9}
 */
public record Published(String channel, long offset, String epoch) {
  /** The position {@code epoch:offset} of the published message. */
  public Position position() {
    return new Position(epoch, offset);
  }
}
