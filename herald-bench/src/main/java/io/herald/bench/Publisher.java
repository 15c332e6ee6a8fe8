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
 * The open-loop publisher: HTTP POSTs paced at a rate (messages per second, over all channels, round
 * robin) for a duration, over a few keep-alive connections with one request in flight each. Messages
 * that fall due while every connection is busy wait in a backlog (reported); the schedule never slows
 * down to the server's pace. Herald payloads are {@code size} bytes of padding ({@code text/plain});
 * the delay comes from the envelope's {@code time}. Generic payloads carry the send time and a
 * sequence number: {@code {"offset":N,"time":MILLIS,"pad":"xxx..."}} padded to {@code size} bytes.
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
  private final ArrayDeque<Channel> idle = new ArrayDeque<>();
  private final long[] seq;
  /** Successful publications per channel index. */
  final long[] published;
  long failures;
  long issued;
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

  Publisher(EventLoop loop, Class<? extends Channel> channelClass, Target target, List<String> channels, int size, Stats stats) {
    this.loop = loop;
    this.target = target;
    this.channels = channels;
    this.size = size;
    this.stats = stats;
    this.seq = new long[channels.size()];
    this.published = new long[channels.size()];
    this.bootstrap = new Bootstrap().group(loop).channel(channelClass)
        .option(ChannelOption.TCP_NODELAY, true)
        .handler(new ChannelInitializer<Channel>() {
          @Override
          protected void initChannel(Channel ch) {
            ch.pipeline().addLast(new Clients.ByteCounter(stats, null), new HttpClientCodec(),
                new HttpObjectAggregator(1 << 20), new ResponseHandler());
          }
        });
  }

  /** Opens {@code connections} keep-alive connections; blocks until they are open. */
  void open(int connections) throws InterruptedException {
    URI u = target.publishUri(channels.get(0));
    InetSocketAddress remote = new InetSocketAddress(u.getHost(), Clients.port(u));
    for (int i = 0; i < connections; i++) {
      Channel ch = bootstrap.connect(remote).sync().channel();
      loop.submit(() -> idle.add(ch)).sync();
    }
  }

  /** Publishes {@code rate} messages per second for {@code seconds}; the future completes when every answer is in. */
  CompletableFuture<Void> start(double rate, double seconds) {
    this.rate = rate;
    this.done = new CompletableFuture<>();
    loop.execute(() -> {
      startIssued = issued;
      total = issued + (long) Math.floor(rate * seconds);
      startNanos = System.nanoTime();
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
      Channel ch = idle.poll();
      if (ch == null) {
        break;
      }
      send(ch);
    }
    maxBacklog = Math.max(maxBacklog, due - issued);
    if (issued >= total && outstanding == 0 && ticker != null) {
      ticker.cancel(false);
      ticker = null;
      done.complete(null);
    }
  }

  private void send(Channel ch) {
    int idx = next;
    next = (next + 1) % channels.size();
    URI u = target.publishUri(channels.get(idx));
    String path = u.getRawPath() + (u.getRawQuery() == null ? "" : "?" + u.getRawQuery());
    ByteBuf body;
    String type;
    if (target.herald()) {
      body = Unpooled.buffer(size);
      for (int i = 0; i < size; i++) {
        body.writeByte('x');
      }
      type = "text/plain";
    } else {
      String head = "{\"offset\":" + (++seq[idx]) + ",\"time\":" + System.currentTimeMillis() + ",\"pad\":\"";
      int pad = Math.max(0, size - head.length() - 2);
      StringBuilder sb = new StringBuilder(head.length() + pad + 2).append(head);
      for (int i = 0; i < pad; i++) {
        sb.append('x');
      }
      sb.append("\"}");
      body = Unpooled.copiedBuffer(sb, StandardCharsets.US_ASCII);
      type = "application/json";
    }
    FullHttpRequest req = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, path, body);
    req.headers().set(HttpHeaderNames.HOST, u.getHost() + ":" + Clients.port(u));
    req.headers().set(HttpHeaderNames.CONTENT_TYPE, type);
    req.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, body.readableBytes());
    ch.attr(Runner.CHANNEL_INDEX).set(idx);
    issued++;
    outstanding++;
    ch.writeAndFlush(req);
  }

  /** Closes the connections. */
  void close() {
    loop.execute(() -> idle.forEach(Channel::close));
  }

  private final class ResponseHandler extends SimpleChannelInboundHandler<FullHttpResponse> {
    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpResponse r) {
      outstanding--;
      Integer idx = ctx.channel().attr(Runner.CHANNEL_INDEX).get();
      if (r.status().code() / 100 == 2 && idx != null) {
        published[idx]++;
      } else {
        failures++;
      }
      idle.add(ctx.channel());
      tick();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      if (!idle.remove(ctx.channel()) && outstanding > 0) {
        // It closed with a request in flight: that publication failed.
        outstanding--;
        failures++;
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
