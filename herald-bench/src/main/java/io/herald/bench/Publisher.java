package io.herald.bench;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The open-loop publisher: HTTP POSTs paced at a rate (messages per second, over all channels,
 * round robin) for a duration, over a few keep-alive connections with up to {@code depth} requests
 * in flight each (HTTP/1.1 pipelining, answers in order). Messages that fall due while every
 * connection is busy wait in a backlog (reported); the schedule never slows down to the server's
 * pace. Herald payloads are {@code size} bytes of padding ({@code text/plain}), or of random bytes
 * ({@code application/octet-stream}) for a {@link Target#binary} target; the delay comes from the
 * envelope's {@code time}. Generic payloads carry the send time and a sequence number: {@code
 * {"offset":N,"time":MILLIS,"pad":"xxx..."}} padded to {@code size} bytes.
 *
 * <p>Confined to one event loop; {@link #start} may be called from any thread.
 */
final class Publisher {

  private final EventLoop loop;
  private final Target target;
  private final List<String> channels;
  private final int size;
  private final Stats stats;
  private final Bootstrap bootstrap;
  private final List<Conn> conns = new java.util.ArrayList<>();
  private final int depth;
  private final long[] seq;

  /** Successful publications per channel index. */
  final long[] published;

  long failures;
  long issued;

  /**
   * Publications that fell due but could not be sent before the end of the schedule (publisher
   * behind).
   */
  long unsent;

  /** Publish round trips (request written to answer read), microseconds. Publisher loop only. */
  final org.HdrHistogram.Histogram roundTrips =
      new org.HdrHistogram.Histogram(TimeUnit.MINUTES.toMicros(10), 3);

  private long endNanos;
  long maxBacklog;
  private double rate;
  private long total;
  private long startNanos;
  private long startIssued;
  private long lastNanos;
  private int next;
  private ScheduledFuture<?> ticker;
  private CompletableFuture<Void> done;
  private long outstanding;

  /**
   * One keep-alive connection and its requests in flight, oldest first: {channel index, sent
   * nanos}.
   */
  private static final class Conn {
    final Channel ch;
    final ArrayDeque<long[]> inflight = new ArrayDeque<>();

    Conn(Channel ch) {
      this.ch = ch;
    }
  }

  private static final io.netty.util.AttributeKey<Conn> CONN =
      io.netty.util.AttributeKey.valueOf("herald.bench.conn");

  /**
   * @param depth requests in flight per connection, 1 or more; above 1 they are HTTP/1.1 pipelined,
   *     which keeps them in order on one connection
   */
  Publisher(
      EventLoop loop,
      Class<? extends Channel> channelClass,
      Target target,
      List<String> channels,
      int size,
      Stats stats,
      int depth) {
    this.depth = Math.max(1, depth);
    this.loop = loop;
    this.target = target;
    this.channels = channels;
    this.size = size;
    this.stats = stats;
    this.seq = new long[channels.size()];
    this.published = new long[channels.size()];
    this.bootstrap =
        new Bootstrap()
            .group(loop)
            .channel(channelClass)
            .option(ChannelOption.TCP_NODELAY, true)
            .handler(
                new ChannelInitializer<Channel>() {
                  @Override
                  protected void initChannel(Channel ch) {
                    ch.pipeline()
                        .addLast(
                            new Clients.ByteCounter(stats, null),
                            new HttpClientCodec(),
                            new HttpObjectAggregator(1 << 20),
                            new ResponseHandler());
                  }
                });
  }

  /** Opens {@code connections} keep-alive connections; blocks until they are open. */
  void open(int connections) throws InterruptedException {
    URI u = target.publishUri(channels.get(0));
    InetSocketAddress remote = new InetSocketAddress(u.getHost(), Clients.port(u));
    for (int i = 0; i < connections; i++) {
      Channel ch = bootstrap.connect(remote).sync().channel();
      Conn c = new Conn(ch);
      ch.attr(CONN).set(c);
      loop.submit(() -> conns.add(c)).sync();
    }
  }

  /**
   * Publishes {@code rate} messages per second for {@code seconds}; the future completes when every
   * answer is in.
   */
  CompletableFuture<Void> start(double rate, double seconds) {
    this.rate = rate;
    this.done = new CompletableFuture<>();
    loop.execute(
        () -> {
          // Backlog, unsent and round trips describe the latest schedule (the measured window).
          maxBacklog = 0;
          unsent = 0;
          roundTrips.reset();
          startIssued = issued;
          total = issued + (long) Math.floor(rate * seconds);
          startNanos = System.nanoTime();
          endNanos = startNanos + (long) (seconds * 1e9) + 200_000_000L;
          ticker = loop.scheduleAtFixedRate(this::tick, 0, 1, TimeUnit.MILLISECONDS);
        });
    return done;
  }

  /** The loop this publisher runs on. */
  EventLoop loop() {
    return loop;
  }

  /** Messages due but not yet sent (approximate when read off the loop). */
  long backlog() {
    long due = Math.min(total, startIssued + (long) (rate * (lastNanos - startNanos) / 1e9));
    return Math.max(0, due - issued);
  }

  private void tick() {
    lastNanos = System.nanoTime();
    long due = Math.min(total, startIssued + (long) (rate * (lastNanos - startNanos) / 1e9));
    while (issued < due) {
      Conn best = null;
      for (Conn c : conns) {
        if (c.inflight.size() < depth
            && (best == null || c.inflight.size() < best.inflight.size())) {
          best = c;
        }
      }
      if (best == null) {
        break;
      }
      send(best);
    }
    maxBacklog = Math.max(maxBacklog, due - issued);
    if (lastNanos >= endNanos && total > issued) {
      // Open loop: what could not be sent in time is not sent late; it is reported.
      unsent += total - issued;
      total = issued;
    }
    if (issued >= total && outstanding == 0 && ticker != null) {
      ticker.cancel(false);
      ticker = null;
      done.complete(null);
    }
  }

  private void send(Conn c) {
    Channel ch = c.ch;
    int idx = next;
    next = (next + 1) % channels.size();
    URI u = target.publishUri(channels.get(idx));
    String path = u.getRawPath() + (u.getRawQuery() == null ? "" : "?" + u.getRawQuery());
    ByteBuf body;
    String type;
    if (target.binary) {
      byte[] bytes = new byte[size];
      java.util.concurrent.ThreadLocalRandom.current().nextBytes(bytes);
      body = Unpooled.wrappedBuffer(bytes);
      type = "application/octet-stream";
    } else if (target.herald()) {
      body = Unpooled.buffer(size);
      for (int i = 0; i < size; i++) {
        body.writeByte('x');
      }
      type = "text/plain";
    } else {
      String head =
          "{\"offset\":" + (++seq[idx]) + ",\"time\":" + System.currentTimeMillis() + ",\"pad\":\"";
      int pad = Math.max(0, size - head.length() - 2);
      StringBuilder sb = new StringBuilder(head.length() + pad + 2).append(head);
      for (int i = 0; i < pad; i++) {
        sb.append('x');
      }
      sb.append("\"}");
      body = Unpooled.copiedBuffer(sb, StandardCharsets.US_ASCII);
      type = "application/json";
    }
    FullHttpRequest req =
        new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, path, body);
    req.headers().set(HttpHeaderNames.HOST, u.getHost() + ":" + Clients.port(u));
    req.headers().set(HttpHeaderNames.CONTENT_TYPE, type);
    req.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, body.readableBytes());
    Clients.authorize(req.headers());
    c.inflight.add(new long[] {idx, System.nanoTime()});
    issued++;
    outstanding++;
    ch.writeAndFlush(req);
  }

  /** Closes the connections. */
  void close() {
    loop.execute(() -> conns.forEach(c -> c.ch.close()));
  }

  private final class ResponseHandler extends SimpleChannelInboundHandler<FullHttpResponse> {
    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpResponse r) {
      Conn c = ctx.channel().attr(CONN).get();
      long[] req = c == null ? null : c.inflight.poll();
      if (req == null) {
        return;
      }
      outstanding--;
      roundTrips.recordValue(
          Math.min((System.nanoTime() - req[1]) / 1000, roundTrips.getHighestTrackableValue()));
      if (r.status().code() / 100 == 2) {
        published[(int) req[0]]++;
      } else {
        failures++;
      }
      tick();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      Conn c = ctx.channel().attr(CONN).get();
      if (c != null) {
        conns.remove(c);
        // It closed with requests in flight: those publications failed.
        outstanding -= c.inflight.size();
        failures += c.inflight.size();
        c.inflight.clear();
      }
      ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      failures++;
      ctx.close();
    }
  }
}
