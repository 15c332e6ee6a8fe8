package io.herald.server.internal;

import io.herald.core.ErrorCode;
import io.herald.server.auth.OriginPolicy;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.HttpHeaderNames;
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
  private final OriginPolicy origins;

  BodyAggregator(int maxBytes) {
    this(maxBytes, null);
  }

  /** With {@code origins}, the 413 answer carries the CORS headers of the request's origin. */
  BodyAggregator(int maxBytes, OriginPolicy origins) {
    super(maxBytes);
    this.maxBytes = maxBytes;
    this.origins = origins;
  }

  @Override
  protected void handleOversizedMessage(ChannelHandlerContext ctx, HttpMessage oversized) {
    String allow =
        origins == null
            ? null
            : origins.allowOrigin(
                oversized.headers().get(HttpHeaderNames.ORIGIN),
                oversized.headers().get(HttpHeaderNames.HOST));
    ctx.channel()
        .attr(HttpResponses.ALLOW_ORIGIN)
        .set(OriginPolicy.REFUSED.equals(allow) ? null : allow);
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
