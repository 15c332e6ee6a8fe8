package io.herald.server.internal;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http2.DefaultHttp2ResetFrame;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.io.IOException;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps one HTTP/2 stream within its bounds, as {@link ConnectionGuard} keeps an HTTP/1.1
 * connection. Sits in the stream's child channel right after Netty's {@code
 * Http2StreamFrameToHttpObjectCodec}.
 *
 * <ul>
 *   <li><b>Byte budget</b>: the stream's child channel turns unwritable past {@code
 *       writeBufferHighBytes} (data the client's flow-control window or the connection does not
 *       take yet), and SSE stops writing until it is writable again, so a slow stream lags (and
 *       gets a gap notice when history moves past it); a write that finds more than {@code
 *       maxQueuedBytes} queued on the stream resets it ({@code RST_STREAM CANCEL}) and drops every
 *       later write. The connection and its other streams carry on.
 *   <li><b>Body timeout</b>: a request body that does not arrive within {@code requestBodyTimeout}
 *       is answered {@code 408} and the stream closed.
 *   <li><b>Ends</b>: a stream closed while its answer is streaming (an SSE stream at shutdown or
 *       token expiry) ends with an empty {@code DATA} frame with {@code END_STREAM}, so the client
 *       sees a clean end, not a reset; raw bytes written by a transport (SSE events) become {@code
 *       DATA} frames.
 *   <li><b>Shutdown</b>: a stream whose request is being answered (a publication under way) does
 *       not get {@link ServerShutdown}: its answer comes, then the connection's {@code GOAWAY} lets
 *       it finish.
 * </ul>
 *
 * <p>Error answers are counted for the refusal log line. One per stream; confined to the event loop
 * of the stream's connection.
 */
final class StreamGuard extends ChannelDuplexHandler {
  private static final Logger LOG = LoggerFactory.getLogger(StreamGuard.class);

  private final ServerContext server;
  private ChannelHandlerContext ctx;
  private ScheduledFuture<?> bodyTimer;
  private boolean answering;
  private boolean started;
  private boolean ended;
  private boolean reset;

  StreamGuard(ServerContext server) {
    this.server = server;
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    this.ctx = ctx;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (msg instanceof io.netty.handler.codec.http.HttpRequest
        && !(msg instanceof LastHttpContent)) {
      io.netty.handler.codec.http.HttpHeaders headers =
          ((io.netty.handler.codec.http.HttpRequest) msg).headers();
      // The answer to a body that never comes carries the CORS headers of the request's origin.
      HttpResponses.allowOriginOf(
          ctx,
          server.origins,
          headers.get(io.netty.handler.codec.http.HttpHeaderNames.ORIGIN),
          headers.get(io.netty.handler.codec.http.HttpHeaderNames.HOST));
      long nanos = server.config.requestBodyTimeout().toNanos();
      bodyTimer = ctx.executor().schedule(this::bodyTimeout, nanos, TimeUnit.NANOSECONDS);
    }
    if (msg instanceof LastHttpContent) {
      cancelBodyTimer();
      answering = !started;
    }
    ctx.fireChannelRead(msg);
  }

  private void bodyTimeout() {
    bodyTimer = null;
    if (started || !ctx.channel().isActive()) {
      return;
    }
    String message =
        "the request body did not arrive within "
            + server.config.requestBodyTimeout().toMillis()
            + " ms";
    LOG.debug("resetting stream of {}: {}", ctx.channel().parent().remoteAddress(), message);
    HttpResponses.write(
        ctx,
        HttpResponses.error(HttpResponseStatus.REQUEST_TIMEOUT, "request_timeout", message),
        false);
  }

  private void cancelBodyTimer() {
    if (bodyTimer != null) {
      bodyTimer.cancel(false);
      bodyTimer = null;
    }
  }

  @Override
  public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
    if (reset) {
      drop(msg, promise);
      return;
    }
    long queued = queuedBytes(ctx.channel());
    if (queued > server.config.maxQueuedBytes() && started) {
      drop(msg, promise);
      slowStream(queued);
      return;
    }
    if (msg instanceof ByteBuf b) {
      msg = new DefaultHttpContent(b);
    }
    if (msg instanceof HttpResponse r) {
      started = true;
      answering = false; // answered, or streaming (SSE): the shutdown event is for it now
      cancelBodyTimer();
      if (r.status().code() >= 400) {
        server.refusals.count(
            r.status().code() + " " + (r instanceof HttpResponses.ErrorResponse e ? e.code : "-"));
      }
    }
    if (msg instanceof LastHttpContent) {
      ended = true;
    }
    ctx.write(msg, promise);
  }

  /**
   * Bytes written to this stream and not yet taken by the connection (held by HTTP/2 flow control
   * or the socket), from Netty's water marks.
   */
  private static long queuedBytes(Channel ch) {
    var marks = ch.config().getWriteBufferWaterMark();
    return ch.isWritable()
        ? marks.high() + 1 - ch.bytesBeforeUnwritable()
        : ch.bytesBeforeWritable() + marks.low() - 1;
  }

  private static void drop(Object msg, ChannelPromise promise) {
    ReferenceCountUtil.release(msg);
    if (!promise.isVoid()) {
      promise.tryFailure(new IOException("stream reset: the client did not take its data"));
    }
  }

  private void slowStream(long queued) {
    reset = true;
    server.refusals.count("slow_client");
    LOG.debug(
        "resetting a stream of {}: {} bytes queued, more than the {} allowed",
        ctx.channel().parent().remoteAddress(),
        queued,
        server.config.maxQueuedBytes());
    ctx.writeAndFlush(new DefaultHttp2ResetFrame(Http2Error.CANCEL));
    ctx.close();
  }

  @Override
  public void close(ChannelHandlerContext ctx, ChannelPromise promise) {
    cancelBodyTimer();
    if (started && !ended && !reset && ctx.channel().isActive()) {
      ended = true;
      ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT).addListener(f -> ctx.close(promise));
      return;
    }
    ctx.close(promise);
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
    if (evt == ServerShutdown.INSTANCE && answering) {
      return; // the answer comes; GOAWAY lets it finish
    }
    super.userEventTriggered(ctx, evt);
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) throws Exception {
    cancelBodyTimer();
    super.channelInactive(ctx);
  }
}
