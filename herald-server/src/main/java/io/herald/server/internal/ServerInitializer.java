package io.herald.server.internal;

import io.netty.channel.ChannelInitializer;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpServerCodec;

/**
 * Builds each connection's pipeline: connection limit, HTTP/1.1 codec with the header size limit,
 * body aggregation with the message size limit, and the {@link HttpRouter}. {@code @Sharable}.
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
    ch.pipeline()
        .addLast("limit", limit)
        .addLast("http", new HttpServerCodec(Math.min(maxHeader, 8192), maxHeader, 8192))
        .addLast("aggregator", new BodyAggregator(server.config.maxMessageBytes()))
        .addLast("router", new HttpRouter(server));
  }
}
