package io.herald.server.internal;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import java.nio.charset.StandardCharsets;

/**
 * First in every pipeline: counts open connections and refuses those past {@code maxConnections}
 * with {@code 503 over_capacity}, closing them at once. {@code @Sharable}.
 */
@Sharable
final class ConnectionLimitHandler extends ChannelInboundHandlerAdapter {
  private static final byte[] REFUSAL;

  static {
    String body =
        "{\"error\":{\"code\":\"over_capacity\",\"message\":\"the server has reached its limit of open connections; retry later\"}}";
    REFUSAL =
        ("HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nRetry-After: 1\r\nConnection: close\r\nContent-Length: "
                + body.length()
                + "\r\n\r\n"
                + body)
            .getBytes(StandardCharsets.US_ASCII);
  }

  private final ServerContext server;
  private final boolean tls;

  /** With {@code tls} a refused connection is closed at once (a plain-text answer would not do). */
  ConnectionLimitHandler(ServerContext server, boolean tls) {
    this.server = server;
    this.tls = tls;
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) throws Exception {
    if (server.connections.incrementAndGet() > server.maxConnections) {
      server.refusals.count("503 over_capacity");
      ctx.channel().config().setAutoRead(false);
      if (tls) {
        ctx.close();
        return;
      }
      ctx.writeAndFlush(Unpooled.wrappedBuffer(REFUSAL)).addListener(ChannelFutureListener.CLOSE);
      return;
    }
    super.channelActive(ctx);
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) throws Exception {
    server.connections.decrementAndGet();
    super.channelInactive(ctx);
  }
}
