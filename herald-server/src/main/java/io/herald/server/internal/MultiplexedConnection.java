package io.herald.server.internal;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.handler.codec.http2.Http2CodecUtil;
import io.netty.handler.codec.http2.Http2Exception;
import io.netty.handler.codec.http2.Http2FrameCodec;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamFrameToHttpObjectCodec;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One HTTP/2 connection (RFC 9113), last in its pipeline after Netty's {@code Http2FrameCodec}
 * (with the server's limits as {@code SETTINGS}: concurrent streams, header list size, initial
 * window) and {@code Http2MultiplexHandler}. Each stream is a child channel whose pipeline is
 * Netty's {@code Http2StreamFrameToHttpObjectCodec}, a {@link StreamGuard}, the body aggregator and
 * an {@link HttpRouter}: the HTTP/1.1 handlers serve each stream unchanged, so an SSE subscription
 * or a long poll is one stream, and a browser holds any number of them on one connection.
 *
 * <p>What is per connection: backpressure on reading and the byte budget ({@link ConnectionGuard},
 * before the codec), the publish rate limit (shared by the streams, as keep-alive requests share it
 * on HTTP/1.1), and the idle timeout: a connection with no stream open for {@code keepAliveTimeout}
 * is closed with {@code GOAWAY}. What is per stream: the body timeout, the byte budget and
 * writability (an SSE stream whose client does not take its data lags, then is reset, while the
 * other streams carry on), see {@link StreamGuard}.
 *
 * <p>At shutdown ({@link ServerShutdown}) every stream gets the event (SSE streams end, parked long
 * polls are answered), then the connection closes gracefully: {@code GOAWAY} with the last stream
 * id, streams under way finish within {@code shutdownTimeout}.
 *
 * <p>One per connection; confined to the channel's event loop.
 */
final class MultiplexedConnection extends ChannelInboundHandlerAdapter {
  private static final Logger LOG = LoggerFactory.getLogger(MultiplexedConnection.class);

  private final ServerContext server;
  private final RateLimiter publishLimiter;
  private final Set<Channel> streams = new LinkedHashSet<>();
  private ChannelHandlerContext ctx;
  private ScheduledFuture<?> idle;

  private MultiplexedConnection(ServerContext server) {
    this.server = server;
    this.publishLimiter = PublishHandler.rateLimiter(server);
  }

  /** Appends the HTTP/2 handlers to {@code p}; the connection is HTTP/2 from its next byte. */
  static void install(ChannelPipeline p, ServerContext server, ConnectionGuard guard) {
    guard.multiplexed();
    Http2Settings settings =
        new Http2Settings()
            .maxConcurrentStreams(server.config.h2MaxConcurrentStreams())
            .maxHeaderListSize(server.config.h2MaxHeaderListBytes())
            .initialWindowSize(server.config.h2InitialWindowBytes());
    Http2FrameCodec codec =
        Http2FrameCodecBuilder.forServer()
            .initialSettings(settings)
            .gracefulShutdownTimeoutMillis(server.config.shutdownTimeout().toMillis())
            .build();
    MultiplexedConnection connection = new MultiplexedConnection(server);
    p.addLast("h2", codec)
        .addLast("h2streams", new Http2MultiplexHandler(connection.new Streams()))
        .addLast("h2connection", connection);
    // the connection's window starts at 65,535 bytes whatever the settings say (RFC 9113 6.9.2)
    int more = server.config.h2InitialWindowBytes() - Http2CodecUtil.DEFAULT_WINDOW_SIZE;
    if (more > 0) {
      try {
        codec
            .connection()
            .local()
            .flowController()
            .incrementWindowSize(codec.connection().connectionStream(), more);
      } catch (Http2Exception e) {
        throw new IllegalStateException(e);
      }
    }
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    this.ctx = ctx;
    idleFromNow();
  }

  /** Sets up each stream's pipeline. */
  private final class Streams extends ChannelInitializer<Http2StreamChannel> {
    @Override
    protected void initChannel(Http2StreamChannel ch) {
      int high = server.config.writeBufferHighBytes();
      ch.config().setWriteBufferWaterMark(new WriteBufferWaterMark(high / 2, high));
      streams.add(ch);
      if (idle != null) {
        idle.cancel(false);
        idle = null;
      }
      ch.closeFuture().addListener(f -> closed(ch));
      ch.pipeline()
          .addLast("h2http", new Http2StreamFrameToHttpObjectCodec(true))
          .addLast("stream", new StreamGuard(server))
          .addLast(
              "aggregator", new BodyAggregator(server.config.maxMessageBytes(), server.origins))
          .addLast("router", new HttpRouter(server, publishLimiter));
    }
  }

  private void closed(Channel stream) {
    streams.remove(stream);
    if (streams.isEmpty()) {
      idleFromNow();
    }
  }

  private void idleFromNow() {
    if (idle != null) {
      idle.cancel(false);
    }
    idle =
        ctx.executor()
            .schedule(
                () -> {
                  idle = null;
                  if (streams.isEmpty() && ctx.channel().isActive()) {
                    LOG.debug("closing idle HTTP/2 connection {}", ctx.channel().remoteAddress());
                    ctx.close(); // GOAWAY, then close
                  }
                },
                server.config.keepAliveTimeout().toNanos(),
                TimeUnit.NANOSECONDS);
  }

  /** Connection-level frames (settings, pings, GOAWAY) were handled by the codec: drop them. */
  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    ReferenceCountUtil.release(msg);
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
    if (evt == ServerShutdown.INSTANCE) {
      for (Channel stream : new ArrayList<>(streams)) {
        stream.pipeline().fireUserEventTriggered(ServerShutdown.INSTANCE);
      }
      ctx.close(); // Http2ConnectionHandler: GOAWAY, streams under way may finish
      return;
    }
    super.userEventTriggered(ctx, evt);
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) throws Exception {
    if (idle != null) {
      idle.cancel(false);
    }
    super.channelInactive(ctx);
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    if (cause instanceof Http2Exception) {
      LOG.debug("HTTP/2 connection {} failed: {}", ctx.channel().remoteAddress(), cause.toString());
    } else {
      ClientFaults.log(ctx, cause);
    }
    ctx.close();
  }
}
