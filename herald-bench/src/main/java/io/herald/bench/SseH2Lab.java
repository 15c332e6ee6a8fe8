package io.herald.bench;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
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
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.Http2DataFrame;
import io.netty.handler.codec.http2.Http2FrameCodec;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamChannelBootstrap;
import io.netty.util.ReferenceCountUtil;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The HTTP/2 cost lab (docs/BENCHMARKS.md, "HTTP/2"): N SSE subscribers of one channel, either as N
 * HTTP/1.1 connections or as HTTP/2 streams (h2c with prior knowledge, {@code --per-connection}
 * streams on each connection), a publisher at a fixed rate over HTTP/1.1, and the server's CPU
 * ({@code /proc/PID/stat}) per delivered message over the measured window, after a warm-up.
 *
 * <pre>
 * java -cp herald-bench/target/herald-bench.jar io.herald.bench.SseH2Lab \
 *   URL PID h1|h2 SUBSCRIBERS PER_CONNECTION RATE SECONDS SIZE
 * </pre>
 *
 * Messages are counted by the {@code "offset":} of each envelope in the stream's bytes.
 */
public final class SseH2Lab {
  private static final byte[] MARK = "\"offset\":".getBytes(StandardCharsets.US_ASCII);

  private SseH2Lab() {}

  public static void main(String[] args) throws Exception {
    URI url = URI.create(args[0]);
    long pid = Long.parseLong(args[1]);
    boolean h2 = args[2].equals("h2");
    int subscribers = Integer.parseInt(args[3]);
    int perConnection = Integer.parseInt(args[4]);
    int rate = Integer.parseInt(args[5]);
    int seconds = Integer.parseInt(args[6]);
    int size = Integer.parseInt(args[7]);
    String channel = "lab-h2-" + ProcessHandle.current().pid() + "-" + System.nanoTime() % 100000;
    AtomicLong delivered = new AtomicLong();
    AtomicLong opened = new AtomicLong();
    EventLoopGroup group = new NioEventLoopGroup(2);
    List<Channel> connections = new ArrayList<>();
    try {
      if (h2) {
        for (int c = 0; c * perConnection < subscribers; c++) {
          Channel parent = h2Connection(group, url);
          connections.add(parent);
          for (int s = 0; s < perConnection && c * perConnection + s < subscribers; s++) {
            h2Stream(parent, url, channel, delivered, opened);
          }
        }
      } else {
        for (int i = 0; i < subscribers; i++) {
          connections.add(h1Subscriber(group, url, channel, delivered, opened));
        }
      }
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (opened.get() < subscribers && System.nanoTime() < deadline) {
        Thread.sleep(100);
      }
      System.out.printf(
          "%s: %d subscribers on %d connections (%d opened)%n",
          h2 ? "SSE over h2c" : "SSE over HTTP/1.1", subscribers, connections.size(), opened.get());
      HttpClient publisher = HttpClient.newHttpClient();
      publish(publisher, url, channel, rate, 5, size); // warm-up
      waitFor(delivered, (long) rate * 5 * subscribers);
      delivered.set(0);
      ProcStats.Sample before = ProcStats.sample(pid);
      long t0 = System.nanoTime();
      publish(publisher, url, channel, rate, seconds, size);
      long expected = (long) rate * seconds * subscribers;
      waitFor(delivered, expected);
      ProcStats.Sample after = ProcStats.sample(pid);
      double wall = (System.nanoTime() - t0) / 1e9;
      double cpu = after.cpuSeconds() - before.cpuSeconds();
      System.out.printf(
          "delivered %d of %d in %.1f s; server CPU %.2f s (%.2f cores), %.2f us per delivered"
              + " message; server RSS %d MiB%n",
          delivered.get(),
          expected,
          wall,
          cpu,
          cpu / wall,
          cpu * 1e6 / Math.max(1, delivered.get()),
          after.rssKib() / 1024);
    } finally {
      for (Channel ch : connections) {
        ch.close();
      }
      group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
    }
  }

  private static void waitFor(AtomicLong delivered, long expected) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (delivered.get() < expected && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
  }

  private static void publish(
      HttpClient client, URI url, String channel, int rate, int seconds, int size)
      throws Exception {
    String body = "{\"pad\":\"" + "x".repeat(Math.max(0, size - 10)) + "\"}";
    long every = TimeUnit.SECONDS.toNanos(1) / rate;
    long next = System.nanoTime();
    for (int i = 0; i < rate * seconds; i++) {
      long wait = next - System.nanoTime();
      if (wait > 0) {
        TimeUnit.NANOSECONDS.sleep(wait);
      }
      next += every;
      client.send(
          HttpRequest.newBuilder(url.resolve("/channels/" + channel))
              .header("Content-Type", "application/json")
              .POST(HttpRequest.BodyPublishers.ofString(body))
              .build(),
          HttpResponse.BodyHandlers.discarding());
    }
  }

  /** Counts envelopes in a stream's bytes, across chunk boundaries. */
  private static final class Counter {
    private int matched;

    int count(ByteBuf b) {
      int n = 0;
      for (int i = b.readerIndex(); i < b.writerIndex(); i++) {
        byte c = b.getByte(i);
        if (c == MARK[matched]) {
          if (++matched == MARK.length) {
            n++;
            matched = 0;
          }
        } else {
          matched = c == MARK[0] ? 1 : 0;
        }
      }
      return n;
    }
  }

  private static Channel h1Subscriber(
      EventLoopGroup group, URI url, String channel, AtomicLong delivered, AtomicLong opened)
      throws InterruptedException {
    Counter counter = new Counter();
    Channel ch =
        new Bootstrap()
            .group(group)
            .channel(NioSocketChannel.class)
            .handler(
                new ChannelInitializer<SocketChannel>() {
                  @Override
                  protected void initChannel(SocketChannel ch) {
                    ch.pipeline()
                        .addLast(new HttpClientCodec())
                        .addLast(
                            new ChannelInboundHandlerAdapter() {
                              @Override
                              public void channelRead(ChannelHandlerContext ctx, Object msg) {
                                if (msg instanceof io.netty.handler.codec.http.HttpResponse) {
                                  opened.incrementAndGet();
                                }
                                if (msg instanceof HttpContent c) {
                                  delivered.addAndGet(counter.count(c.content()));
                                }
                                ReferenceCountUtil.release(msg);
                              }
                            });
                  }
                })
            .connect(url.getHost(), url.getPort())
            .sync()
            .channel();
    DefaultFullHttpRequest req =
        new DefaultFullHttpRequest(
            HttpVersion.HTTP_1_1, HttpMethod.GET, "/channels/" + channel, Unpooled.EMPTY_BUFFER);
    req.headers().set("Host", url.getHost()).set("Accept", "text/event-stream");
    ch.writeAndFlush(req);
    return ch;
  }

  private static Channel h2Connection(EventLoopGroup group, URI url) throws Exception {
    Http2FrameCodec[] codec = new Http2FrameCodec[1];
    Channel parent =
        new Bootstrap()
            .group(group)
            .channel(NioSocketChannel.class)
            .handler(
                new ChannelInitializer<SocketChannel>() {
                  @Override
                  protected void initChannel(SocketChannel ch) {
                    codec[0] =
                        Http2FrameCodecBuilder.forClient()
                            .initialSettings(
                                Http2Settings.defaultSettings().initialWindowSize(1 << 20))
                            .build();
                    ch.pipeline()
                        .addLast(codec[0])
                        .addLast(new Http2MultiplexHandler(new ChannelInboundHandlerAdapter()));
                  }
                })
            .connect(url.getHost(), url.getPort())
            .sync()
            .channel();
    parent
        .eventLoop()
        .submit(
            () -> {
              codec[0]
                  .connection()
                  .local()
                  .flowController()
                  .incrementWindowSize(codec[0].connection().connectionStream(), 1 << 26);
              return null;
            })
        .sync();
    return parent;
  }

  private static void h2Stream(
      Channel parent, URI url, String channel, AtomicLong delivered, AtomicLong opened) {
    Counter counter = new Counter();
    Http2StreamChannel stream =
        new Http2StreamChannelBootstrap(parent)
            .handler(
                new ChannelInboundHandlerAdapter() {
                  @Override
                  public void channelRead(ChannelHandlerContext ctx, Object msg) {
                    if (msg instanceof Http2HeadersFrame) {
                      opened.incrementAndGet();
                    }
                    if (msg instanceof Http2DataFrame d) {
                      delivered.addAndGet(counter.count(d.content()));
                    }
                    ReferenceCountUtil.release(msg);
                  }
                })
            .open()
            .syncUninterruptibly()
            .getNow();
    DefaultHttp2Headers headers = new DefaultHttp2Headers();
    headers
        .method("GET")
        .path("/channels/" + channel)
        .scheme("http")
        .authority(url.getHost() + ":" + url.getPort());
    headers.set("accept", "text/event-stream");
    stream.writeAndFlush(new DefaultHttp2HeadersFrame(headers, true));
  }
}
