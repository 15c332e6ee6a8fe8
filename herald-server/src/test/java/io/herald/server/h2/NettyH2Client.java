package io.herald.server.h2;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http2.Http2FrameCodec;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2GoAwayFrame;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2ResetFrame;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.codec.http2.Http2SettingsFrame;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamChannelBootstrap;
import io.netty.handler.codec.http2.Http2StreamFrameToHttpObjectCodec;
import io.netty.util.ReferenceCountUtil;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A real HTTP/2 client over cleartext with prior knowledge (h2c), built on Netty's client-side
 * codecs: one TCP connection, one child channel per request. What arrives per stream (head, body
 * bytes, end, reset) is kept for the test to wait on.
 */
public final class NettyH2Client implements AutoCloseable {
  private final EventLoopGroup group = new NioEventLoopGroup(1);
  private final Channel parent;
  private final Http2FrameCodec codec;

  /** The server's SETTINGS frames, as they arrive. */
  public final BlockingQueue<Http2Settings> settings = new LinkedBlockingQueue<>();

  /** GOAWAY frames received, as (error code, last stream id). */
  public final BlockingQueue<long[]> goAways = new LinkedBlockingQueue<>();

  public NettyH2Client(InetSocketAddress address) throws InterruptedException {
    this(address, Http2Settings.defaultSettings());
  }

  /** Connects and sends the preface with {@code mine} as the client's settings. */
  public NettyH2Client(InetSocketAddress address, Http2Settings mine) throws InterruptedException {
    this(address, mine, 0);
  }

  /**
   * Connects with {@code mine} as the client's settings, and opens the connection's receive window
   * by {@code moreConnectionWindow} bytes (so a stream that does not read does not stall the
   * others).
   */
  public NettyH2Client(InetSocketAddress address, Http2Settings mine, int moreConnectionWindow)
      throws InterruptedException {
    Http2FrameCodec[] codecs = new Http2FrameCodec[1];
    parent =
        new Bootstrap()
            .group(group)
            .channel(NioSocketChannel.class)
            .handler(
                new ChannelInitializer<SocketChannel>() {
                  @Override
                  protected void initChannel(SocketChannel ch) {
                    // sends what the test asks even past the server's limits, to see the server
                    // enforce them
                    codecs[0] =
                        Http2FrameCodecBuilder.forClient()
                            .initialSettings(mine)
                            .encoderIgnoreMaxHeaderListSize(true)
                            .build();
                    ch.pipeline()
                        .addLast(codecs[0])
                        .addLast(new Http2MultiplexHandler(new ChannelInboundHandlerAdapter()))
                        .addLast(
                            new ChannelInboundHandlerAdapter() {
                              @Override
                              public void channelRead(ChannelHandlerContext ctx, Object msg) {
                                if (msg instanceof Http2SettingsFrame s) {
                                  settings.add(s.settings());
                                } else if (msg instanceof Http2GoAwayFrame g) {
                                  goAways.add(new long[] {g.errorCode(), g.lastStreamId()});
                                }
                                ReferenceCountUtil.release(msg);
                              }
                            });
                  }
                })
            .connect(address)
            .sync()
            .channel();
    codec = codecs[0];
    if (moreConnectionWindow > 0) {
      parent
          .eventLoop()
          .submit(
              () -> {
                codecs[0]
                    .connection()
                    .local()
                    .flowController()
                    .incrementWindowSize(
                        codecs[0].connection().connectionStream(), moreConnectionWindow);
                return null;
              })
          .sync();
    }
  }

  /**
   * Lets this client open more streams than the server's {@code SETTINGS_MAX_CONCURRENT_STREAMS}
   * (Netty's client keeps to it), to see the server refuse them. Call after the settings arrived.
   */
  public void ignoreServerStreamLimit() throws InterruptedException {
    parent
        .eventLoop()
        .submit(() -> codec.connection().local().maxActiveStreams(Integer.MAX_VALUE))
        .sync();
  }

  /** The connection: closed when the server closes it. */
  public Channel connection() {
    return parent;
  }

  /**
   * Opens a new stream on the connection whose HTTP objects go to {@code s}; unless {@code
   * reading}, its data is not read until {@link Stream#startReading()}.
   */
  private Http2StreamChannel open(Stream s, boolean reading) {
    return new Http2StreamChannelBootstrap(parent)
        .handler(
            new ChannelInitializer<Http2StreamChannel>() {
              @Override
              protected void initChannel(Http2StreamChannel ch) {
                ch.config().setAutoRead(reading);
                ch.pipeline().addLast(new Http2StreamFrameToHttpObjectCodec(false), s);
              }
            })
        .open()
        .syncUninterruptibly()
        .getNow();
  }

  /** Opens a stream with a GET of {@code path}. */
  public Stream get(String path, String... headers) {
    return send(HttpMethod.GET, path, null, headers);
  }

  /**
   * Opens a stream with the head of a request that announces {@code contentLength} body bytes and
   * sends none of them (the stream stays open from the client's side); {@code headers} are name,
   * value pairs added to it.
   */
  public Stream startRequest(HttpMethod method, String path, int contentLength, String... headers) {
    Stream s = new Stream();
    Http2StreamChannel ch = open(s, true);
    io.netty.handler.codec.http.DefaultHttpRequest req =
        new io.netty.handler.codec.http.DefaultHttpRequest(HttpVersion.HTTP_1_1, method, path);
    req.headers().set(HttpHeaderNames.HOST, "localhost");
    req.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/json");
    req.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, contentLength);
    for (int i = 0; i + 1 < headers.length; i += 2) {
      req.headers().set(headers[i], headers[i + 1]);
    }
    s.channel = ch;
    ch.writeAndFlush(req);
    return s;
  }

  /** Opens a stream with {@code method} on {@code path}, {@code body} as UTF-8 (or none). */
  public Stream send(HttpMethod method, String path, String body, String... headers) {
    return send(true, method, path, body, headers);
  }

  /**
   * Opens a stream; unless {@code reading}, its data is not read (nor its flow-control window given
   * back) until {@link Stream#startReading()}.
   */
  public Stream send(
      boolean reading, HttpMethod method, String path, String body, String... headers) {
    Stream s = new Stream();
    Http2StreamChannel ch = open(s, reading);
    FullHttpRequest req =
        new DefaultFullHttpRequest(
            HttpVersion.HTTP_1_1,
            method,
            path,
            body == null
                ? Unpooled.EMPTY_BUFFER
                : Unpooled.copiedBuffer(body, StandardCharsets.UTF_8));
    req.headers().set(HttpHeaderNames.HOST, "localhost");
    for (int i = 0; i + 1 < headers.length; i += 2) {
      req.headers().add(headers[i], headers[i + 1]);
    }
    if (body != null) {
      req.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, req.content().readableBytes());
    }
    s.channel = ch;
    ch.writeAndFlush(req);
    return s;
  }

  @Override
  public void close() {
    parent.close().syncUninterruptibly();
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
  }

  /** One stream's answer as it arrives. */
  public static final class Stream extends ChannelInboundHandlerAdapter {
    public final CompletableFuture<HttpResponse> head = new CompletableFuture<>();
    public final CompletableFuture<String> body = new CompletableFuture<>();
    public final CompletableFuture<Long> reset = new CompletableFuture<>();
    public final CompletableFuture<Void> closed = new CompletableFuture<>();
    private final StringBuilder data = new StringBuilder();
    private final BlockingQueue<String> chunks = new LinkedBlockingQueue<>();
    private final StringBuilder pending = new StringBuilder();
    volatile Channel channel;

    /** Reads the stream's data from now on (and gives its window back). */
    public void startReading() {
      channel.config().setAutoRead(true);
      channel.read();
    }

    /** The stream's child channel. */
    public Channel channel() {
      return channel;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      try {
        if (msg instanceof HttpResponse r) {
          head.complete(r);
        }
        if (msg instanceof HttpContent c) {
          String text = c.content().toString(StandardCharsets.UTF_8);
          synchronized (data) {
            data.append(text);
          }
          chunks.add(text);
          if (msg instanceof LastHttpContent) {
            synchronized (data) {
              body.complete(data.toString());
            }
          }
        }
      } finally {
        ReferenceCountUtil.release(msg);
      }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
      if (evt instanceof Http2ResetFrame r) {
        reset.complete(r.errorCode());
      }
      ReferenceCountUtil.release(evt);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      closed.complete(null);
    }

    /** The response head, waiting up to 20 seconds. */
    public HttpResponse head() throws Exception {
      return head.get(20, TimeUnit.SECONDS);
    }

    /** The whole body, waiting up to 20 seconds for the end of the stream. */
    public String body() throws Exception {
      return body.get(20, TimeUnit.SECONDS);
    }

    /** Everything received so far. */
    public String received() {
      synchronized (data) {
        return data.toString();
      }
    }

    /** The next SSE event (up to its blank line), waiting up to {@code wait}; null on time-out. */
    public String nextEvent(Duration wait) throws InterruptedException {
      long deadline = System.nanoTime() + wait.toNanos();
      while (true) {
        int end = pending.indexOf("\n\n");
        if (end >= 0) {
          String event = pending.substring(0, end + 1);
          pending.delete(0, end + 2);
          return event;
        }
        long left = deadline - System.nanoTime();
        String chunk = left > 0 ? chunks.poll(left, TimeUnit.NANOSECONDS) : null;
        if (chunk == null) {
          return null;
        }
        pending.append(chunk);
      }
    }
  }
}
