package io.herald.server.internal;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.ChannelPromise;
import io.netty.channel.socket.DuplexChannel;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.util.AttributeKey;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.io.IOException;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps one connection within its bounds of memory and time. Sits before the HTTP codec (it sees
 * raw bytes both ways) and has two companions further in the pipeline: {@link #timing()} right
 * after the codec (request heads and ends) and {@link #dispatch()} right before the router
 * (requests handed to it, answers coming back).
 *
 * <ul>
 *   <li><b>Backpressure</b>: reading is paused while the socket is not writable, and while a
 *       request is being answered (so pipelined requests wait, in order, in Netty's {@code
 *       FlowControlHandler}); for HTTP, SSE and WebSocket alike.
 *   <li><b>Byte budget</b>: a write that finds more than {@code maxQueuedBytes} already queued
 *       closes the connection as a slow client (a WebSocket gets close {@code 1008} first, best
 *       effort); every later write is dropped.
 *   <li><b>Timeouts</b>: request head (from the request's first byte, or from the connection's
 *       opening), request body, idle keep-alive; {@code 408} and close, or a quiet close when idle.
 *       None runs while a request is being answered (a parked long poll), nor after a WebSocket
 *       upgrade or an SSE stream started.
 *   <li><b>Lingering close</b>: after an error answer that ends the connection, the input is
 *       dropped from then on; once the answer is written the output is shut down and what the
 *       client still sends is read and dropped for at most {@code lingerTimeout} and {@code
 *       lingerMaxBytes}, then the connection is closed, so the client reads the answer instead of a
 *       reset.
 * </ul>
 *
 * <p>One per connection; confined to the channel's event loop.
 */
final class ConnectionGuard extends ChannelDuplexHandler {
  static final Logger LOG = LoggerFactory.getLogger(ConnectionGuard.class);
  private static final AttributeKey<ConnectionGuard> KEY =
      AttributeKey.valueOf(ConnectionGuard.class, "guard");

  private enum Phase {
    /** Between requests: the keep-alive timeout runs. */
    WAITING,
    /** A request head is arriving. */
    HEAD,
    /** A request body is arriving. */
    BODY,
    /** A WebSocket or an SSE stream: no HTTP timeout applies any more. */
    STREAM,
    /** Dropping input before closing. */
    LINGERING
  }

  private final ServerContext server;
  private ChannelHandlerContext ctx;
  private ChannelHandlerContext timingCtx;
  private Phase phase = Phase.HEAD;
  private int unanswered;

  /** The {@code Origin} and {@code Host} of the request whose body is awaited, for its 408. */
  private String bodyOrigin;

  private String bodyHost;
  private long deadline;
  private ScheduledFuture<?> timer;
  private long timerAt;
  private boolean discarding;
  private long lingerBytes;
  private boolean overBudget;
  private boolean passing;
  private boolean outputShut;
  private boolean heldByHandler;

  ConnectionGuard(ServerContext server) {
    this.server = server;
  }

  /** The guard of {@code ch}; null for a channel without one. */
  static ConnectionGuard of(Channel ch) {
    return ch.attr(KEY).get();
  }

  /**
   * Closes {@code ch} after an error answer: input is dropped from now on, and once {@code written}
   * completes the connection lingers (see the class comment), then closes.
   */
  static void closeAfterError(Channel ch, io.netty.channel.ChannelFuture written) {
    ConnectionGuard g = of(ch);
    if (g == null) {
      written.addListener(ChannelFutureListener.CLOSE);
      return;
    }
    g.discard();
    written.addListener(f -> g.linger());
  }

  /**
   * Pauses ({@code held}) or allows reading for a handler of its own (a WebSocket at its in-flight
   * cap), on top of the guard's own reasons; without a guard, sets auto-read. Event loop only.
   */
  static void holdReading(Channel ch, boolean held) {
    ConnectionGuard g = of(ch);
    if (g == null) {
      ch.config().setAutoRead(!held);
      return;
    }
    g.heldByHandler = held;
    g.updateReading();
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    this.ctx = ctx;
    ctx.channel().attr(KEY).set(this);
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) throws Exception {
    ctx.channel().config().setAutoRead(false);
    deadlineIn(server.config.requestHeadTimeout().toNanos());
    updateReading();
    super.channelActive(ctx);
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) throws Exception {
    cancelTimer();
    super.channelInactive(ctx);
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (discarding) {
      if (msg instanceof ByteBuf b) {
        lingerBytes += b.readableBytes();
      }
      ReferenceCountUtil.release(msg);
      if (lingerBytes > server.config.lingerMaxBytes()) {
        ctx.close();
      }
      return;
    }
    if (phase == Phase.WAITING) {
      phase = Phase.HEAD;
      deadlineIn(server.config.requestHeadTimeout().toNanos());
    }
    ctx.fireChannelRead(msg);
  }

  @Override
  public void channelWritabilityChanged(ChannelHandlerContext ctx) throws Exception {
    updateReading();
    super.channelWritabilityChanged(ctx);
  }

  @Override
  public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
    if (!passing) {
      if (overBudget) {
        drop(msg, promise);
        return;
      }
      ChannelOutboundBuffer queued = ctx.channel().unsafe().outboundBuffer();
      if (queued != null && queued.totalPendingWriteBytes() > server.config.maxQueuedBytes()) {
        drop(msg, promise);
        slowClient(queued.totalPendingWriteBytes());
        return;
      }
    }
    if (msg instanceof io.netty.buffer.ByteBuf bytes) {
      server.metrics.sent(bytes.readableBytes());
    }
    ctx.write(msg, promise);
  }

  private static void drop(Object msg, ChannelPromise promise) {
    ReferenceCountUtil.release(msg);
    if (!promise.isVoid()) {
      promise.tryFailure(new IOException("connection closed as a slow client"));
    }
  }

  private void slowClient(long queued) {
    overBudget = true;
    server.refusals.count("slow_client");
    LOG.debug(
        "closing {}: {} bytes queued, more than the {} allowed",
        ctx.channel().remoteAddress(),
        queued,
        server.config.maxQueuedBytes());
    cancelTimer();
    updateReading();
    if (phase != Phase.STREAM || ctx.pipeline().get("wsencoder") == null) {
      ctx.close();
      return;
    }
    // a WebSocket: close 1008, best effort (the frame queues behind what the client did not
    // read), then the TCP close a second later at the latest
    ctx.executor().schedule(() -> ctx.close(), 1, TimeUnit.SECONDS);
    ctx.executor()
        .execute(
            () -> {
              passing = true;
              try {
                ctx.channel()
                    .writeAndFlush(
                        new CloseWebSocketFrame(
                            1008,
                            "slow client: more than "
                                + server.config.maxQueuedBytes()
                                + " bytes queued"))
                    .addListener(ChannelFutureListener.CLOSE);
              } finally {
                passing = false;
              }
            });
  }

  /** Reading is on unless the socket is unwritable or a request is being answered. */
  private void updateReading() {
    Channel ch = ctx.channel();
    boolean read =
        discarding
            || (!overBudget
                && !heldByHandler
                && ch.isWritable()
                && unanswered == 0
                && ch.isActive());
    if (ch.config().isAutoRead() != read) {
      ch.config().setAutoRead(read);
    }
  }

  private void discard() {
    if (discarding) {
      return;
    }
    discarding = true;
    phase = Phase.LINGERING;
    // bounded even when the answer is never taken by the client
    deadlineIn(server.config.lingerTimeout().toNanos() + TimeUnit.SECONDS.toNanos(1));
    updateReading();
  }

  private void linger() {
    Channel ch = ctx.channel();
    if (outputShut || !ch.isActive()) {
      return;
    }
    outputShut = true;
    phase = Phase.LINGERING;
    long nanos = server.config.lingerTimeout().toNanos();
    if (nanos == 0 || !(ch instanceof DuplexChannel d)) {
      ctx.close();
      return;
    }
    d.shutdownOutput();
    deadlineIn(nanos);
  }

  /**
   * The connection speaks HTTP/2 from now on: the HTTP/1.1 timeouts stop (each stream keeps its
   * own, see {@link StreamGuard}; an idle connection is closed by {@link MultiplexedConnection});
   * backpressure on reading and the byte budget stay.
   */
  void multiplexed() {
    phase = Phase.STREAM;
    cancelTimer();
    updateReading();
  }

  /** Whether a request is being answered (a publication, a parked long poll). */
  boolean answering() {
    return unanswered > 0;
  }

  // ---- timers

  private void deadlineIn(long nanos) {
    deadline = System.nanoTime() + nanos;
    if (timer == null || timerAt - deadline > 0) {
      cancelTimer();
      schedule(nanos);
    }
  }

  private void schedule(long nanos) {
    timerAt = System.nanoTime() + nanos;
    timer = ctx.executor().schedule(this::expire, nanos, TimeUnit.NANOSECONDS);
  }

  private void cancelTimer() {
    if (timer != null) {
      timer.cancel(false);
      timer = null;
    }
  }

  private void expire() {
    timer = null;
    if (!ctx.channel().isActive() || phase == Phase.STREAM || overBudget) {
      return;
    }
    if (phase != Phase.LINGERING && (discarding || unanswered > 0)) {
      return; // answering: timeouts start again when the answer is written
    }
    long left = deadline - System.nanoTime();
    if (left > 0) {
      schedule(left);
      return;
    }
    switch (phase) {
      case WAITING, LINGERING -> ctx.close();
      case HEAD ->
          timeout(
              "the request line and headers did not arrive within "
                  + server.config.requestHeadTimeout().toMillis()
                  + " ms");
      case BODY ->
          timeout(
              "the request body did not arrive within "
                  + server.config.requestBodyTimeout().toMillis()
                  + " ms");
      default -> {}
    }
  }

  private void timeout(String message) {
    LOG.debug("closing {}: {}", ctx.channel().remoteAddress(), message);
    if (timingCtx == null && ctx.pipeline().get(PrefaceDetector.class) != null) {
      ctx.pipeline()
          .get(PrefaceDetector.class)
          .http1(); // a silent plain socket: answer in HTTP/1.1
    }
    if (timingCtx == null) {
      ctx.close(); // the TLS handshake did not complete: no way to answer
      return;
    }
    FullHttpResponse r =
        HttpResponses.error(HttpResponseStatus.REQUEST_TIMEOUT, "request_timeout", message);
    r.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
    if (phase == Phase.BODY) {
      // The head came: a browser must see the 408 itself, not an opaque CORS failure.
      HttpResponses.allowOriginOf(timingCtx, server.origins, bodyOrigin, bodyHost);
      HttpResponses.cors(timingCtx, r.headers());
    }
    discard();
    timingCtx.writeAndFlush(r).addListener(ChannelFutureListener.CLOSE);
  }

  private void restartPhaseTimer() {
    switch (phase) {
      case WAITING -> deadlineIn(server.config.keepAliveTimeout().toNanos());
      case HEAD -> deadlineIn(server.config.requestHeadTimeout().toNanos());
      case BODY -> deadlineIn(server.config.requestBodyTimeout().toNanos());
      default -> {}
    }
  }

  // ---- companions

  /** The handler to put right after the HTTP codec. */
  ChannelHandler timing() {
    return new Timing();
  }

  /** The handler to put right before the router. */
  ChannelHandler dispatch() {
    return new Dispatch();
  }

  /** Sees request heads and ends as they are decoded, and counts error answers. */
  private final class Timing extends ChannelDuplexHandler {
    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
      timingCtx = ctx;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      if (phase != Phase.STREAM && phase != Phase.LINGERING) {
        if (msg instanceof HttpRequest request) {
          phase = Phase.BODY;
          bodyOrigin = request.headers().get(HttpHeaderNames.ORIGIN);
          bodyHost = request.headers().get(HttpHeaderNames.HOST);
          if (unanswered == 0) {
            deadlineIn(server.config.requestBodyTimeout().toNanos());
          }
        }
        if (msg instanceof LastHttpContent) {
          phase = Phase.WAITING;
          if (unanswered == 0) {
            deadlineIn(server.config.keepAliveTimeout().toNanos());
          }
        }
      }
      ctx.fireChannelRead(msg);
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
      if (msg instanceof HttpResponse r && r.status().code() >= 400) {
        server.refusals.count(
            r.status().code() + " " + (r instanceof HttpResponses.ErrorResponse e ? e.code : "-"));
      }
      ctx.write(msg, promise);
    }
  }

  /**
   * Counts requests handed to the router and answers written back; pauses reading in between so
   * pipelined requests are answered in order.
   */
  private final class Dispatch extends ChannelDuplexHandler {
    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      if (msg instanceof FullHttpRequest && phase != Phase.STREAM) {
        unanswered++;
        updateReading();
      }
      ctx.fireChannelRead(msg);
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
      boolean ended = false;
      if (msg instanceof HttpResponse r) {
        ended = true;
        if (r.status().code() == 101 || !(msg instanceof LastHttpContent)) {
          phase = Phase.STREAM; // a WebSocket, or a streamed (SSE) answer: no HTTP timeouts now
        }
      } else if (msg instanceof LastHttpContent) {
        ended = true;
      }
      ctx.write(msg, promise);
      if (ended && unanswered > 0) {
        unanswered--;
        if (phase == Phase.STREAM) {
          cancelTimer();
        } else if (unanswered == 0 && !discarding) {
          restartPhaseTimer();
        }
        updateReading();
      }
    }
  }
}
