package io.herald.server.internal;

import io.netty.channel.ChannelInitializer;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.flow.FlowControlHandler;

/**
 * Builds each connection's pipeline: connection limit, {@link ConnectionGuard} (backpressure, byte
 * budget, timeouts, lingering close), HTTP/1.1 codec with the header size limit, body aggregation
 * with the message size limit, Netty's {@code FlowControlHandler} (one request at a time, in order,
 * while reading is paused), and the {@link HttpRouter}. {@code @Sharable}.
 */
public final class ServerInitializer extends ChannelInitializer<SocketChannel> {
  private final ServerContext server;
  private final ChannelGroup all;
  private final ConnectionLimitHandler limit;

  public ServerInitializer(ServerContext server, ChannelGroup all) {
    this.server = server;
    this.all = all;
    this.limit = new ConnectionLimitHandler(server);
  }

  @Override
  protected void initChannel(SocketChannel ch) {
    all.add(ch);
    int maxHeader = server.config.maxHeaderBytes();
    ConnectionGuard guard = new ConnectionGuard(server);
    ch.pipeline()
        .addLast("limit", limit)
        .addLast("guard", guard)
        .addLast("http", new HttpServerCodec(Math.min(maxHeader, 8192), maxHeader, 8192))
        .addLast("timing", guard.timing())
        .addLast("aggregator", new BodyAggregator(server.config.maxMessageBytes(), server.origins))
        .addLast("flow", new FlowControlHandler())
        .addLast("dispatch", guard.dispatch())
        .addLast("router", new HttpRouter(server));
  }
}
