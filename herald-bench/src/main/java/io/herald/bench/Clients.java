package io.herald.bench;

import io.herald.core.Transport;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufHolder;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.ChannelPromise;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolConfig;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolHandler;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketVersion;
import io.netty.util.ByteProcessor;
import io.netty.util.ReferenceCountUtil;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * Connects {@link Subscriber}s over one transport to one target, non-blocking, on the run's event
 * loops, each from one of several 127.0.0.x source addresses. Each connection's pipeline starts
 * with a {@link ByteCounter} (bytes on the wire, headers included), then the HTTP/1.1 client codec,
 * then the transport's handler. A connection that closes while the run goes on is reopened,
 * resuming where the target allows it (Herald cursors, SSE {@code Last-Event-ID}, long-poll {@code
 * Last-Modified/Etag}). Thread-safe: {@link #connect} may be called from any thread; everything
 * else runs on the loops.
 */
final class Clients {
  /**
   * Credentials sent with every request and WebSocket upgrade ({@code --token}, {@code --api-key});
   * null for none. Set once before a run.
   */
  static volatile String token;

  static volatile String apiKey;

  /**
   * Herald short polls made for HTTP caches, as herald.js makes them (PROTOCOL.md section 12,
   * {@code --poll-cache}): {@code since} rounded down to a multiple of {@link #POLL_ALIGN} offsets,
   * {@code If-None-Match} on a repeated URL, polls at wall-clock multiples of the interval (plus up
   * to 10% jitter), messages already seen dropped by offset. Set once before a run.
   */
  static volatile boolean cacheFriendlyPolls;

  /** The offset multiple of a cache-friendly poll's {@code since}, as in herald.js. */
  static final int POLL_ALIGN = 8;

  /** {@code epoch:offset} rounded down to a multiple of {@link #POLL_ALIGN}; others unchanged. */
  static String alignedCursor(String cursor) {
    int colon = cursor.lastIndexOf(':');
    if (colon < 0 || cursor.indexOf(',') >= 0) {
      return cursor;
    }
    long offset = Long.parseLong(cursor.substring(colon + 1));
    return cursor.substring(0, colon + 1) + (offset / POLL_ALIGN) * POLL_ALIGN;
  }

  /** Adds {@code Authorization: Bearer} and {@code X-Api-Key} when configured. */
  static io.netty.handler.codec.http.HttpHeaders authorize(
      io.netty.handler.codec.http.HttpHeaders headers) {
    if (token != null) {
      headers.set(HttpHeaderNames.AUTHORIZATION, "Bearer " + token);
    }
    if (apiKey != null) {
      headers.set("X-Api-Key", apiKey);
    }
    return headers;
  }

  private final Bootstrap bootstrap;
  private final Target target;
  private final Transport transport;
  private final Stats stats;
  private final InetSocketAddress remote;
  private final int sourceAddresses;
  private final int pollIntervalMillis;
  private final int longPollWaitSeconds;
  private final int maxFrameBytes;

  Clients(
      EventLoopGroup group,
      Class<? extends Channel> channelClass,
      Target target,
      Transport transport,
      Stats stats,
      int sourceAddresses,
      int pollIntervalMillis,
      int longPollWaitSeconds,
      int maxFrameBytes) {
    this.target = target;
    this.transport = transport;
    this.stats = stats;
    this.sourceAddresses = Math.max(1, sourceAddresses);
    this.pollIntervalMillis = pollIntervalMillis;
    this.longPollWaitSeconds = longPollWaitSeconds;
    this.maxFrameBytes = maxFrameBytes;
    URI u = target.subscribeUri("c");
    this.remote = new InetSocketAddress(u.getHost(), port(u));
    this.bootstrap =
        new Bootstrap()
            .group(group)
            .channel(channelClass)
            .option(ChannelOption.TCP_NODELAY, true)
            .option(ChannelOption.SO_REUSEADDR, true)
            .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 30_000);
  }

  static int port(URI u) {
    if (u.getPort() > 0) {
      return u.getPort();
    }
    return "https".equals(u.getScheme()) || "wss".equals(u.getScheme()) ? 443 : 80;
  }

  /** The source address for connection number {@code i}: 127.0.0.1, .2, ... round robin. */
  InetSocketAddress source(int i) {
    return new InetSocketAddress("127.0.0." + (1 + i % sourceAddresses), 0);
  }

  /**
   * Opens {@code sub}'s connection; returns at once. Failures count in {@link
   * Stats#connectFailures}.
   */
  ChannelFuture connect(Subscriber sub) {
    sub.connectStartNanos = System.nanoTime();
    Bootstrap b =
        bootstrap
            .clone()
            .handler(
                new ChannelInitializer<Channel>() {
                  @Override
                  protected void initChannel(Channel ch) {
                    sub.conn = ch;
                    sub.loop = stats.of(ch.eventLoop());
                    ChannelPipeline p = ch.pipeline();
                    p.addLast(new ByteCounter(stats, sub));
                    p.addLast(new HttpClientCodec(8192, 16384, 65536));
                    switch (transport) {
                      case WEBSOCKET:
                        p.addLast(new HttpObjectAggregator(65536));
                        p.addLast(
                            new WebSocketClientProtocolHandler(
                                WebSocketClientProtocolConfig.newBuilder()
                                    .webSocketUri(wsUri(sub))
                                    .customHeaders(
                                        authorize(
                                            new io.netty.handler.codec.http.DefaultHttpHeaders()))
                                    .version(WebSocketVersion.V13)
                                    .maxFramePayloadLength(maxFrameBytes)
                                    .handshakeTimeoutMillis(60_000)
                                    .dropPongFrames(true)
                                    .build()));
                        p.addLast(new WsHandler(sub));
                        break;
                      case SSE:
                        p.addLast(new SseHandler(sub));
                        break;
                      default:
                        p.addLast(new HttpObjectAggregator(maxFrameBytes * 4));
                        p.addLast(new PollHandler(sub));
                    }
                    p.addLast(new ReconnectHandler(sub));
                  }
                });
    ChannelFuture f = b.connect(remote, source(sub.id));
    f.addListener(
        done -> {
          if (!done.isSuccess()) {
            stats.connectFailures.increment();
            if (sub.ready && !stats.stopping) {
              // A failed reconnect: try again a little later.
              f.channel().eventLoop().schedule(() -> connect(sub), 500, TimeUnit.MILLISECONDS);
            }
          }
        });
    return f;
  }

  /** Closes {@code sub}'s connection and reopens it at once, resuming; for the churn scenario. */
  void churn(Subscriber sub) {
    Channel c = sub.conn;
    if (c == null) {
      return;
    }
    c.eventLoop()
        .execute(
            () -> {
              if (sub.ready && c.isActive() && !sub.churning) {
                sub.churning = true;
                c.close();
              }
            });
  }

  private void markReady(Subscriber sub) {
    if (!sub.ready) {
      sub.ready = true;
      stats.ready.increment();
      stats.connectMicros.recordValue(
          Math.min(
              (System.nanoTime() - sub.connectStartNanos) / 1000, TimeUnit.MINUTES.toMicros(10)));
      stats.setupBytes.add(sub.bytesIn + sub.bytesOut);
    } else {
      stats.reconnects.increment();
    }
  }

  private String pathAndQuery(Subscriber sub, String extraQuery) {
    URI u = target.subscribeUri(sub.channelName);
    String path = u.getRawPath() == null || u.getRawPath().isEmpty() ? "/" : u.getRawPath();
    String q = u.getRawQuery();
    if (extraQuery != null) {
      q = q == null ? extraQuery : q + "&" + extraQuery;
    }
    return q == null ? path : path + "?" + q;
  }

  private URI wsUri(Subscriber sub) {
    String q = target.herald() && sub.resume != null ? "since=" + sub.resume : null;
    if (target.binary) {
      q = q == null ? "binary=1" : q + "&binary=1";
    }
    return URI.create(
        "ws://" + remote.getHostString() + ":" + remote.getPort() + pathAndQuery(sub, q));
  }

  private FullHttpRequest get(String uri) {
    FullHttpRequest req =
        new DefaultFullHttpRequest(
            HttpVersion.HTTP_1_1, HttpMethod.GET, uri, Unpooled.EMPTY_BUFFER);
    req.headers().set(HttpHeaderNames.HOST, remote.getHostString() + ":" + remote.getPort());
    authorize(req.headers());
    return req;
  }

  /** Counts bytes read and written at the head of the pipeline. One per connection. */
  static final class ByteCounter extends ChannelDuplexHandler {
    private final Stats stats;
    private final Subscriber sub;

    ByteCounter(Stats stats, Subscriber sub) {
      this.stats = stats;
      this.sub = sub;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      int n = size(msg);
      if (sub != null) {
        sub.bytesIn += n;
        stats.bytesIn.add(n);
      } else {
        stats.publisherBytes.add(n);
      }
      ctx.fireChannelRead(msg);
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
      int n = size(msg);
      if (sub != null) {
        sub.bytesOut += n;
        stats.bytesOut.add(n);
      } else {
        stats.publisherBytes.add(n);
      }
      ctx.write(msg, promise);
    }

    private static int size(Object msg) {
      if (msg instanceof ByteBuf) {
        return ((ByteBuf) msg).readableBytes();
      }
      if (msg instanceof ByteBufHolder) {
        return ((ByteBufHolder) msg).content().readableBytes();
      }
      return 0;
    }
  }

  /** WebSocket: Herald push frames (envelope with {@code "type":"message"}) or any text frame. */
  final class WsHandler extends SimpleChannelInboundHandler<WebSocketFrame> {
    private final Subscriber sub;

    WsHandler(Subscriber sub) {
      this.sub = sub;
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
      if (evt == WebSocketClientProtocolHandler.ClientHandshakeStateEvent.HANDSHAKE_ISSUED) {
        stats.requests.increment();
      } else if (evt == WebSocketClientProtocolHandler.ClientHandshakeStateEvent.HANDSHAKE_COMPLETE
          && !target.herald()) {
        markReady(sub);
      } else if (evt
          == WebSocketClientProtocolHandler.ClientHandshakeStateEvent.HANDSHAKE_TIMEOUT) {
        stats.errors.increment();
      }
      ctx.fireUserEventTriggered(evt);
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, WebSocketFrame frame) {
      if (!(frame instanceof TextWebSocketFrame) && !(frame instanceof BinaryWebSocketFrame)) {
        return;
      }
      ByteBuf c = frame.content();
      int from = c.readerIndex();
      int to = c.writerIndex();
      if (target.herald() && frame instanceof BinaryWebSocketFrame && to - from >= 4) {
        // PROTOCOL.md section 11: 4 bytes N, N bytes of JSON, then the raw bytes (not scanned)
        long n = c.getUnsignedInt(from);
        to = (int) Math.min(to, from + 4 + n);
        from += 4;
      }
      if (!target.herald()) {
        sub.onMessages(stats, c, from, to, false);
      } else if (Scan.startsWith(c, from, to, Scan.TYPE_MESSAGE)) {
        sub.onMessages(stats, c, from, to, true);
      } else if (Scan.indexOf(c, from, to, Scan.TYPE_SUBSCRIBED) >= 0) {
        if (stats.trackResume && sub.resume == null) {
          sub.resume = Scan.field(c, from, to, Scan.POSITION);
        }
        markReady(sub);
      } else if (Scan.indexOf(c, from, to, Scan.TYPE_GAP) >= 0) {
        stats.gaps.increment();
        if (stats.trackResume) {
          sub.resume = Scan.field(c, from, to, Scan.POSITION);
        }
      } else if (Scan.indexOf(c, from, to, Scan.TYPE_ERROR) >= 0) {
        stats.errors.increment();
      }
    }
  }

  /** Server-Sent Events: {@code data:} lines of events named {@code message} (or unnamed). */
  final class SseHandler extends ChannelInboundHandlerAdapter {
    private final Subscriber sub;
    private ByteBuf partial;
    private String event;

    SseHandler(Subscriber sub) {
      this.sub = sub;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
      FullHttpRequest req = get(pathAndQuery(sub, null));
      req.headers().set(HttpHeaderNames.ACCEPT, "text/event-stream");
      if (sub.resume != null) {
        req.headers().set("Last-Event-ID", sub.resume);
      }
      stats.requests.increment();
      ctx.writeAndFlush(req);
      ctx.fireChannelActive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      try {
        if (msg instanceof HttpResponse) {
          HttpResponse r = (HttpResponse) msg;
          if (r.status().code() != 200) {
            stats.errors.increment();
            ctx.close();
            return;
          }
          if (!target.herald()) {
            markReady(sub);
          }
        }
        if (msg instanceof HttpContent) {
          ByteBuf c = ((HttpContent) msg).content();
          if (partial != null && partial.isReadable()) {
            partial.writeBytes(c);
            parse(partial);
            partial.discardReadBytes();
          } else {
            parse(c);
            if (c.isReadable()) {
              if (partial == null) {
                partial = ctx.alloc().buffer(Math.max(256, c.readableBytes() * 2));
              }
              partial.writeBytes(c);
            }
          }
        }
      } finally {
        ReferenceCountUtil.release(msg);
      }
    }

    /** Consumes every complete line of {@code buf}, leaving an incomplete last line unread. */
    private void parse(ByteBuf buf) {
      while (buf.isReadable()) {
        int start = buf.readerIndex();
        int lf = buf.forEachByte(start, buf.readableBytes(), ByteProcessor.FIND_LF);
        if (lf < 0) {
          return;
        }
        int end = lf > start && buf.getByte(lf - 1) == '\r' ? lf - 1 : lf;
        line(buf, start, end);
        buf.readerIndex(lf + 1);
      }
    }

    private void line(ByteBuf b, int start, int end) {
      if (end == start) {
        event = null;
        return;
      }
      byte first = b.getByte(start);
      if (first == 'd' && Scan.startsWith(b, start, end, DATA)) {
        int v = start + DATA.length;
        if (event == null || "message".equals(event)) {
          sub.onMessages(stats, b, v, end, false);
        } else if (event.equals("herald.subscribed")) {
          markReady(sub);
        } else if (event.equals("herald.gap")) {
          stats.gaps.increment();
        }
      } else if (first == 'i' && Scan.startsWith(b, start, end, ID)) {
        if (stats.trackResume) {
          sub.resume =
              b.toString(start + ID.length, end - start - ID.length, StandardCharsets.UTF_8).trim();
        }
      } else if (first == 'e' && Scan.startsWith(b, start, end, EVENT)) {
        event =
            b.toString(start + EVENT.length, end - start - EVENT.length, StandardCharsets.UTF_8)
                .trim();
      }
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
      if (partial != null) {
        partial.release();
        partial = null;
      }
    }
  }

  private static final byte[] DATA = Scan.ascii("data:");
  private static final byte[] ID = Scan.ascii("id:");
  private static final byte[] EVENT = Scan.ascii("event:");

  /**
   * Long and short polling. Herald: {@code since=CURSOR} (and {@code wait=S} for long polls), after
   * a first short poll that fetches the head. Generic: long polls carrying {@code
   * If-Modified-Since} and {@code If-None-Match} from the previous answer's {@code Last-Modified}
   * and {@code Etag}.
   */
  final class PollHandler extends SimpleChannelInboundHandler<FullHttpResponse> {
    private final Subscriber sub;

    PollHandler(Subscriber sub) {
      this.sub = sub;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
      if (!target.herald()) {
        markReady(sub);
      } else if (sub.ready) {
        stats.reconnects.increment();
      }
      if (transport == Transport.SHORT_POLL && sub.ready) {
        ctx.executor().schedule(() -> request(ctx), nextPollMillis(), TimeUnit.MILLISECONDS);
      } else {
        request(ctx);
      }
      ctx.fireChannelActive();
    }

    private void request(ChannelHandlerContext ctx) {
      if (!ctx.channel().isActive()) {
        return;
      }
      FullHttpRequest req;
      if (target.herald()) {
        String q = null;
        if (sub.resume != null) {
          boolean cacheFriendly = cacheFriendlyPolls && transport == Transport.SHORT_POLL;
          q = "since=" + (cacheFriendly ? alignedCursor(sub.resume) : sub.resume);
          if (transport == Transport.LONG_POLL) {
            q += "&wait=" + longPollWaitSeconds;
          }
        }
        String uri = pathAndQuery(sub, q);
        req = get(uri);
        if (cacheFriendlyPolls && transport == Transport.SHORT_POLL) {
          sub.skipSeen = true;
          if (uri.equals(sub.lastPollUri) && sub.etag != null) {
            req.headers().set(HttpHeaderNames.IF_NONE_MATCH, sub.etag);
          }
          sub.lastPollUri = uri;
        }
      } else {
        req = get(pathAndQuery(sub, null));
        if (sub.lastModified != null) {
          req.headers().set(HttpHeaderNames.IF_MODIFIED_SINCE, sub.lastModified);
        }
        if (sub.etag != null) {
          req.headers().set(HttpHeaderNames.IF_NONE_MATCH, sub.etag);
        }
      }
      req.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
      stats.requests.increment();
      ctx.writeAndFlush(req);
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpResponse r) {
      int code = r.status().code();
      ByteBuf c = r.content();
      if (code == 200) {
        if (target.herald()) {
          String cursor = Scan.field(c, c.readerIndex(), c.writerIndex(), Scan.CURSOR);
          sub.onMessages(stats, c, c.readerIndex(), c.writerIndex(), false);
          if (cursor != null) {
            sub.resume = cursor;
          }
          if (cacheFriendlyPolls) {
            sub.etag = r.headers().get(HttpHeaderNames.ETAG);
          }
          markReadyOnce();
        } else {
          sub.onMessages(stats, c, c.readerIndex(), c.writerIndex(), false);
          String lm = r.headers().get(HttpHeaderNames.LAST_MODIFIED);
          String et = r.headers().get(HttpHeaderNames.ETAG);
          if (lm != null) {
            sub.lastModified = lm;
          }
          if (et != null) {
            sub.etag = et;
          }
        }
      } else if (code != 304 && code != 408) {
        stats.errors.increment();
        ctx.executor().schedule(() -> request(ctx), 1, TimeUnit.SECONDS);
        return;
      }
      if (transport == Transport.SHORT_POLL) {
        ctx.executor().schedule(() -> request(ctx), nextPollMillis(), TimeUnit.MILLISECONDS);
      } else {
        request(ctx);
      }
    }

    /** The pause before the next short poll: the interval, or its next wall-clock multiple. */
    private long nextPollMillis() {
      if (!cacheFriendlyPolls) {
        return pollIntervalMillis;
      }
      long now = System.currentTimeMillis();
      return pollIntervalMillis
          - now % pollIntervalMillis
          + java.util.concurrent.ThreadLocalRandom.current().nextLong(pollIntervalMillis / 10 + 1);
    }

    private void markReadyOnce() {
      if (!sub.ready) {
        markReady(sub);
      }
    }
  }

  /**
   * Reopens a connection that closed while the run goes on; counts it as a disconnect unless
   * churned.
   */
  final class ReconnectHandler extends ChannelInboundHandlerAdapter {
    private final Subscriber sub;

    ReconnectHandler(Subscriber sub) {
      this.sub = sub;
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      if (!stats.stopping && sub.ready) {
        long delay = 0;
        if (sub.churning) {
          sub.churning = false;
        } else {
          stats.disconnects.increment();
          delay = 200;
        }
        ctx.channel()
            .eventLoop()
            .schedule(
                () -> {
                  if (!stats.stopping) {
                    connect(sub);
                  }
                },
                delay,
                TimeUnit.MILLISECONDS);
      }
      ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      if (!stats.stopping) {
        stats.errors.increment();
      }
      ctx.close();
    }
  }
}
