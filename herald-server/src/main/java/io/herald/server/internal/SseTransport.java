package io.herald.server.internal;

import io.herald.core.Cursor;
import io.herald.core.Json;
import io.herald.core.Message;
import io.herald.core.Position;
import io.herald.core.Subscription;
import io.herald.server.auth.Principal;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.concurrent.ScheduledFuture;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Server-Sent Events (WHATWG HTML, section "Server-sent events"; PROTOCOL.md section 6): one long
 * response of {@code text/event-stream} in chunked transfer encoding (RFC 9112 section 7.1), so
 * that a connection cut before the last chunk is an error for the client and never a clean end,
 * that starts with a {@code retry:} line and the {@code herald.subscribed} event and then carries
 * one event per message: {@code id:} the cursor after it, {@code event:} its name unless {@code
 * message}, {@code data:} the shared envelope bytes. A {@code :} comment is sent as a heartbeat
 * after {@code sseHeartbeat} of silence. Gaps are {@code herald.gap} events. A clean end is always
 * announced by a {@code herald.end} event, {@code {"reason":"draining"|"expired",
 * "retryAfterMillis":N}} after a {@code retry:} line of the same delay, then the last chunk.
 *
 * <p>An HTTP/1.0 client cannot parse chunked transfer encoding (RFC 9112 section 6.1: a server must
 * not send it to one), so its stream is close-delimited (RFC 9112 section 6.3, rule 8): no {@code
 * Transfer-Encoding}, {@code Connection: close}, the same events, and after {@code herald.end} the
 * connection's close. Such a client cannot tell a cut from an end by framing alone: only {@code
 * herald.end} says that the end was clean.
 *
 * <p>Added to the pipeline by {@link HttpRouter} for one request; the connection then carries only
 * this stream. Confined to the channel's event loop.
 */
final class SseTransport extends StreamingTransport {
  private static final ByteBuf HEARTBEAT =
      Unpooled.unreleasableBuffer(
          Unpooled.wrappedBuffer(":\n\n".getBytes(StandardCharsets.US_ASCII)));

  private final List<String> channels;
  private final Cursor since;
  private final Principal principal;
  private final boolean closeDelimited;
  private ScheduledFuture<?> heartbeat;
  private ScheduledFuture<?> expiry;
  private long lastWrite;
  private boolean ended;

  /**
   * @param closeDelimited the request was HTTP/1.0: send the stream close-delimited instead of
   *     chunked
   */
  SseTransport(
      ServerContext server,
      List<String> channels,
      Cursor since,
      Principal principal,
      boolean closeDelimited) {
    super(server, io.herald.core.Transport.SSE);
    this.closeDelimited = closeDelimited;
    this.channels = channels;
    this.since = since;
    this.principal = principal;
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    super.handlerAdded(ctx);
    open(
        channels,
        since,
        this::start,
        error -> HttpResponses.write(ctx, HttpResponses.error(error), false));
  }

  /**
   * The answer to {@code HEAD} for an SSE request: the head a {@code GET} would get, without a
   * stream (RFC 9110 section 9.3.2); the connection stays open for the next request.
   */
  static FullHttpResponse headAnswer() {
    FullHttpResponse r =
        new DefaultFullHttpResponse(
            HttpVersion.HTTP_1_1, HttpResponseStatus.OK, io.netty.buffer.Unpooled.EMPTY_BUFFER);
    r.headers()
        .set(HttpHeaderNames.CONTENT_TYPE, "text/event-stream")
        .set(HttpHeaderNames.CACHE_CONTROL, HttpHeaderValues.NO_CACHE)
        .set("X-Accel-Buffering", "no");
    return r;
  }

  private void start(List<Subscription> opened) {
    subscriptions.addAll(opened);
    HttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
    head.headers()
        .set(HttpHeaderNames.CONTENT_TYPE, "text/event-stream")
        .set(HttpHeaderNames.CACHE_CONTROL, HttpHeaderValues.NO_CACHE)
        .set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE)
        .set("X-Accel-Buffering", "no");
    if (!closeDelimited) {
      HttpUtil.setTransferEncodingChunked(head, true); // a cut is an error, not an end
    }

    HttpResponses.cors(ctx, head.headers());
    ctx.write(head);
    boolean recovered = opened.stream().allMatch(Subscription::recovered);
    Map<String, Object> data = new LinkedHashMap<>();
    data.put("channels", channels);
    data.put("cursor", cursor());
    data.put("recovered", recovered);
    String first =
        "retry: "
            + server.config.sseRetry().toMillis()
            + "\n"
            + event(cursor(), "herald.subscribed", data);
    ctx.write(Unpooled.wrappedBuffer(first.getBytes(StandardCharsets.UTF_8)));
    written();
    long every = server.config.sseHeartbeat().toMillis();
    heartbeat =
        ctx.executor().scheduleAtFixedRate(this::heartbeat, every, every, TimeUnit.MILLISECONDS);
    ctx.flush();
    if (principal.expires() != null) {
      long millis = principal.expires().toEpochMilli() - System.currentTimeMillis();
      expiry = ctx.executor().schedule(this::expire, millis, TimeUnit.MILLISECONDS);
    }
    drain();
  }

  /**
   * The token expired (PROTOCOL.md section 10): sends {@code herald.expired} (without an {@code
   * id}, so the client's cursor stays) and ends the stream.
   */
  private void expire() {
    if (ended || !ctx.channel().isActive()) {
      return;
    }
    drain();
    ending("expired", 0);
    String event =
        "event: herald.expired\ndata: {\"message\":\"the token expired at "
            + principal.expires()
            + "; reconnect with a new token and your cursor\"}\n\n";
    ctx.write(Unpooled.wrappedBuffer(event.getBytes(StandardCharsets.UTF_8)));
    end("expired", 0);
  }

  /**
   * Ends the stream cleanly: a {@code retry:} line of {@code retryAfterMillis} (not after an
   * expiry: the client needs a new token first), the {@code herald.end} event (without an {@code
   * id}: the client's cursor stays), the last chunk, then the connection's close.
   */
  private void end(String reason, long retryAfterMillis) {
    if (ended || !ctx.channel().isActive()) {
      return;
    }
    ended = true;
    String event =
        (reason.equals("expired") ? "" : "retry: " + retryAfterMillis + "\n")
            + "event: herald.end\ndata: {\"reason\":\""
            + reason
            + "\",\"retryAfterMillis\":"
            + retryAfterMillis
            + "}\n\n";
    ctx.write(Unpooled.wrappedBuffer(event.getBytes(StandardCharsets.UTF_8)));
    ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT).addListener(ChannelFutureListener.CLOSE);
    closeSubscriptions(); // nothing more may follow the last chunk
  }

  private void heartbeat() {
    if (!ended
        && System.nanoTime() - lastWrite
            >= TimeUnit.MILLISECONDS.toNanos(server.config.sseHeartbeat().toMillis()) * 9 / 10
        && ctx.channel().isWritable()) {
      ctx.writeAndFlush(HEARTBEAT.duplicate());
      written();
    }
  }

  private void written() {
    lastWrite = System.nanoTime();
  }

  @Override
  protected void writeMessage(int index, Subscription s, Message m) {
    if (subscriptions.size() == 1) {
      ctx.write(m.encoded(WireEncodings.SSE_EVENT).duplicate(), ctx.voidPromise());
    } else {
      StringBuilder id = new StringBuilder("id: ");
      for (int i = 0; i < subscriptions.size(); i++) {
        if (i > 0) {
          id.append(',');
        }
        id.append(i == index ? m.position() : subscriptions.get(i).position());
      }
      id.append('\n');
      ctx.write(
          Unpooled.wrappedBuffer(id.toString().getBytes(StandardCharsets.US_ASCII)),
          ctx.voidPromise());
      ctx.write(m.encoded(WireEncodings.SSE_EVENT_BODY).duplicate(), ctx.voidPromise());
    }
    written();
  }

  @Override
  protected void writeGap(int index, Subscription s, Position position) {
    Map<String, Object> data = new LinkedHashMap<>();
    data.put("channel", s.channel());
    data.put("position", position.toString());
    ctx.write(
        Unpooled.wrappedBuffer(
            event(cursor(), "herald.gap", data).getBytes(StandardCharsets.UTF_8)));
    written();
  }

  private static String event(String id, String name, Object data) {
    try {
      return "id: "
          + id
          + "\nevent: "
          + name
          + "\ndata: "
          + Json.MAPPER.writeValueAsString(data)
          + "\n\n";
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
    if (evt == ServerShutdown.INSTANCE) {
      ending("shutdown", 0);
      if (heartbeat == null) {
        ctx.close(); // not started yet (the subscription is opening): nothing was sent
      } else {
        drain();
        end("draining", ServerShutdown.retryAfterMillis()); // EventSource reconnects after it
      }
      return;
    }
    super.userEventTriggered(ctx, evt);
  }

  @Override
  protected void closeSubscriptions() {
    if (heartbeat != null) {
      heartbeat.cancel(false);
    }
    if (expiry != null) {
      expiry.cancel(false);
    }
    super.closeSubscriptions();
  }
}
