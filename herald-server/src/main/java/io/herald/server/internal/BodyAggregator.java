package io.herald.server.internal;

import io.herald.core.ErrorCode;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpObjectAggregator;

/**
 * Netty's {@link HttpObjectAggregator} with the protocol's {@code 413 message_too_large} body for a
 * request whose body is larger than the message size limit. The answer says {@code Connection:
 * close} and the connection closes lingering (what the client still sends is read and dropped for a
 * while, see {@link ConnectionGuard}), since the rest of the body cannot be told from the next
 * request. One per connection.
 */
final class BodyAggregator extends HttpObjectAggregator {
  private final int maxBytes;

  BodyAggregator(int maxBytes) {
    super(maxBytes);
    this.maxBytes = maxBytes;
  }

  @Override
  protected void handleOversizedMessage(ChannelHandlerContext ctx, HttpMessage oversized) {
    HttpResponses.write(
        ctx,
        HttpResponses.error(
            ErrorCode.MESSAGE_TOO_LARGE,
            "the request body is larger than "
                + maxBytes
                + " bytes, the most this server accepts per message"),
        false);
  }
}
