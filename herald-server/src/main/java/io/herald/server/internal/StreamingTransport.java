package io.herald.server.internal;

import io.herald.core.Cursor;
import io.herald.core.ErrorCode;
import io.herald.core.Message;
import io.herald.core.Position;
import io.herald.core.ProtocolException;
import io.herald.core.Subscription;
import io.herald.core.Transport;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Consumer;

/**
 * What SSE and WebSocket share: one {@link Subscription} (cursor) per channel on the connection,
 * drained whenever a log grows and the socket can take more. Writes stop while the channel is not
 * writable and resume on {@code channelWritabilityChanged}, so a slow reader only lags (and gets a
 * gap notice if history moves past it); one flush per drain.
 *
 * <p>Confined to the channel's event loop.
 */
abstract class StreamingTransport extends ChannelInboundHandlerAdapter {
  /** Messages read from one cursor before the drain moves to the next channel. */
  static final int BATCH = 64;

  /**
   * Messages read at once; the drain checks writability between chunks, so what it queues past the
   * write buffer is at most one chunk (and stays within the connection's byte budget).
   */
  static final int CHUNK = 8;

  protected final ServerContext server;
  protected ChannelHandlerContext ctx;
  protected final List<Subscription> subscriptions = new CountedSubscriptions();
  private final List<Message> batch = new ArrayList<>(BATCH);
  private final Runnable signal = this::drain;
  private boolean draining;
  private final Transport transport;
  private String endReason;
  private int endCode;
  private boolean ended;

  StreamingTransport(ServerContext server, Transport transport) {
    this.server = server;
    this.transport = transport;
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    this.ctx = ctx;
    server.metrics.connected(transport, ownConnection());
  }

  /** Whether this transport has its TCP connection to itself (HTTP/1.1), not an HTTP/2 stream. */
  private boolean ownConnection() {
    return !(ctx.channel() instanceof io.netty.handler.codec.http2.Http2StreamChannel);
  }

  /** Reports the end of this connection to the metrics, once. */
  private void ended() {
    if (!ended) {
      ended = true;
      server.metrics.disconnected(
          transport, endReason == null ? "lost" : endReason, endCode, ownConnection());
    }
  }

  /**
   * The cursors of this connection; adds and removes are counted in the subscription gauge of the
   * metrics (an add or remove per subscribe or unsubscribe, never per message).
   */
  private final class CountedSubscriptions extends ArrayList<Subscription> {
    @Override
    public boolean add(Subscription s) {
      server.metrics.subscriptions(transport, 1);
      return super.add(s);
    }

    @Override
    public boolean addAll(java.util.Collection<? extends Subscription> c) {
      server.metrics.subscriptions(transport, c.size());
      return super.addAll(c);
    }

    @Override
    public boolean remove(Object s) {
      boolean removed = super.remove(s);
      if (removed) {
        server.metrics.subscriptions(transport, -1);
      }
      return removed;
    }

    @Override
    public void clear() {
      server.metrics.subscriptions(transport, -size());
      super.clear();
    }
  }

  /**
   * Records why the connection ends, for {@code herald_disconnects_total}: {@code reason} ({@code
   * server}, {@code client}, {@code expired}, {@code shutdown}) and the WebSocket close {@code
   * code} (0 for none). The first call wins; with none, the end counts as {@code lost}.
   */
  protected final void ending(String reason, int code) {
    if (endReason == null) {
      endReason = reason;
      endCode = code;
    }
  }

  /**
   * Opens cursors on {@code channels} at {@code cursor} and hands them, in list order, to {@code
   * opened} on the event loop; on failure closes those that opened and hands the error to {@code
   * failed}.
   */
  protected void open(
      List<String> channels,
      Cursor cursor,
      Consumer<List<Subscription>> opened,
      Consumer<ProtocolException> failed) {
    List<CompletableFuture<Subscription>> futures = new ArrayList<>(channels.size());
    for (int i = 0; i < channels.size(); i++) {
      futures.add(server.hub.subscribe(channels.get(i), cursor.get(i), ctx.executor(), signal));
    }
    CompletableFuture.allOf(futures.toArray(CompletableFuture[]::new))
        .whenComplete(
            (v, error) ->
                EventLoops.runOn(
                    ctx,
                    () -> {
                      List<Subscription> subs = new ArrayList<>(futures.size());
                      for (CompletableFuture<Subscription> f : futures) {
                        if (!f.isCompletedExceptionally()) {
                          subs.add(f.join());
                        }
                      }
                      if (error != null || !ctx.channel().isActive()) {
                        subs.forEach(Subscription::close);
                        if (error != null) {
                          Throwable cause =
                              error instanceof CompletionException && error.getCause() != null
                                  ? error.getCause()
                                  : error;
                          failed.accept(
                              cause instanceof ProtocolException pe
                                  ? pe
                                  : new ProtocolException(
                                      ErrorCode.UNAVAILABLE,
                                      "cannot subscribe now: " + cause.getMessage()));
                        }
                        return;
                      }
                      opened.accept(subs);
                    }));
  }

  /**
   * Writes every message the cursors have not yet sent, while the channel is writable; flushes
   * once.
   */
  final void drain() {
    if (draining || ctx == null || !ctx.channel().isActive()) {
      return;
    }
    draining = true;
    boolean wrote = false;
    try {
      boolean more = true;
      while (more && ctx.channel().isWritable()) {
        more = false;
        for (int i = 0; i < subscriptions.size() && ctx.channel().isWritable(); i++) {
          Subscription s = subscriptions.get(i);
          int taken = 0;
          while (taken < BATCH && ctx.channel().isWritable()) {
            batch.clear();
            Position gap = s.read(batch, CHUNK);
            if (gap != null) {
              writeGap(i, s, gap);
              wrote = true;
            }
            for (int j = 0; j < batch.size(); j++) {
              writeMessage(i, s, batch.get(j));
            }
            server.metrics.delivered(transport, batch.size());
            taken += batch.size();
            wrote |= !batch.isEmpty();
            if (batch.size() < CHUNK) {
              break;
            }
          }
          more |= taken >= BATCH;
          if (taken > 0) {
            server.activity.delivered(s.channel(), taken);
          }
        }
      }
    } finally {
      batch.clear();
      draining = false;
    }
    if (wrote) {
      ctx.flush();
    }
  }

  /** Writes (without flushing) one message of the cursor at {@code index}. */
  protected abstract void writeMessage(int index, Subscription s, Message m);

  /**
   * Writes (without flushing) a gap notice: the cursor at {@code index} moved to {@code position}.
   */
  protected abstract void writeGap(int index, Subscription s, Position position);

  /** The cursor of every channel now, for example {@code k3f9:18,ab12:40}. */
  protected String cursor() {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < subscriptions.size(); i++) {
      if (i > 0) {
        b.append(',');
      }
      b.append(subscriptions.get(i).position());
    }
    return b.toString();
  }

  @Override
  public void channelWritabilityChanged(ChannelHandlerContext ctx) throws Exception {
    if (ctx.channel().isWritable()) {
      drain();
    }
    super.channelWritabilityChanged(ctx);
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) throws Exception {
    ended();
    closeSubscriptions();
    super.channelInactive(ctx);
  }

  @Override
  public void handlerRemoved(ChannelHandlerContext ctx) {
    ended();
    closeSubscriptions();
  }

  protected void closeSubscriptions() {
    for (Subscription s : subscriptions) {
      s.close();
    }
    subscriptions.clear();
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    ClientFaults.log(ctx, cause);
    ctx.close();
  }
}
