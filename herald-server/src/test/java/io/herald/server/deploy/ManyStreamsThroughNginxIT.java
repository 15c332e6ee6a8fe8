package io.herald.server.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.herald.server.deploy.ProxyProcess.Kind;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpVersion;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The nginx recipe ({@code deploy/nginx/herald.conf}) carries 500 SSE streams at once to one node:
 * each proxied stream holds two connections in the nginx worker (client and upstream side), so
 * Debian's default {@code worker_connections 768} let only about 380 through (issue 12 saw 361);
 * the recipe's {@code worker_connections} must leave room for them. All 500 streams must get {@code
 * herald.subscribed} and then a message published through nginx.
 *
 * <p>The streams are Netty connections on one event loop (500 JDK HttpClient streams are slow to
 * open); about 1,000 descriptors between the test JVM and the node, within the 20,000 open-file
 * limit.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ManyStreamsThroughNginxIT {
  private static final int STREAMS = 500;
  private static final Duration WAIT = Duration.ofSeconds(45);

  private static HeraldProcess node;
  private static ProxyProcess nginx;
  private static EventLoopGroup group;

  @BeforeAll
  static void start() {
    node = HeraldProcess.start("--max-connections", "2000");
    // The recipe has two nodes; both point at the one node here.
    nginx = ProxyProcess.start(Kind.NGINX, Duration.ofSeconds(75), node.port(), node.port());
    group = new NioEventLoopGroup(1);
  }

  @AfterAll
  static void stop() {
    if (group != null) {
      group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }
    if (nginx != null) {
      nginx.close();
    }
    if (node != null) {
      node.kill();
      List<String> leaks = node.leaks();
      node.close();
      assertThat(leaks).as("Netty leak reports of the node").isEmpty();
    }
  }

  /** What one SSE stream received: its status and its body, de-chunked. Thread-safe. */
  static final class Stream extends SimpleChannelInboundHandler<HttpObject> {
    private final StringBuilder body = new StringBuilder();
    private volatile int status;
    private volatile boolean closed;

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, HttpObject msg) {
      if (msg instanceof HttpResponse r) {
        status = r.status().code();
      }
      if (msg instanceof HttpContent c) {
        synchronized (body) {
          body.append(c.content().toString(StandardCharsets.UTF_8));
        }
      }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      closed = true;
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      ctx.close();
    }

    String body() {
      synchronized (body) {
        return body.toString();
      }
    }

    boolean has(String text) {
      return status == 200 && !closed && body().contains(text);
    }
  }

  @Test
  void theRecipeCarries500SseStreamsToOneNodeAndDeliversToEachOfThem() throws Exception {
    String channel = "many-" + ProcessHandle.current().pid();
    URI base = URI.create(nginx.baseUrl());
    List<Stream> streams = new ArrayList<>();
    List<Channel> channels = new ArrayList<>();
    try {
      for (int i = 0; i < STREAMS; i++) {
        Stream s = new Stream();
        streams.add(s);
        ChannelFuture connect =
            new Bootstrap()
                .group(group)
                .channel(NioSocketChannel.class)
                .handler(
                    new ChannelInitializer<SocketChannel>() {
                      @Override
                      protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(new HttpClientCodec(), s);
                      }
                    })
                .connect(base.getHost(), base.getPort());
        Channel ch = connect.syncUninterruptibly().channel();
        channels.add(ch);
        FullHttpRequest get =
            new DefaultFullHttpRequest(
                HttpVersion.HTTP_1_1, HttpMethod.GET, "/channels/" + channel);
        get.headers()
            .set(HttpHeaderNames.HOST, base.getHost() + ":" + base.getPort())
            .set(HttpHeaderNames.ACCEPT, "text/event-stream");
        ch.writeAndFlush(get);
      }
      await()
          .atMost(WAIT)
          .untilAsserted(
              () ->
                  assertThat(
                          streams.stream().filter(s -> s.has("event: herald.subscribed")).count())
                      .as("streams subscribed through nginx; nginx said:\n%s", nginx.output())
                      .isEqualTo(STREAMS));

      String payload = "to-all-" + STREAMS;
      HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
      java.net.http.HttpResponse<String> published =
          http.send(
              HttpRequest.newBuilder(base.resolve("/channels/" + channel))
                  .timeout(Duration.ofSeconds(20))
                  .header("Content-Type", "text/plain")
                  .POST(HttpRequest.BodyPublishers.ofString(payload))
                  .build(),
              java.net.http.HttpResponse.BodyHandlers.ofString());
      assertThat(published.statusCode()).as(published.body()).isEqualTo(201);
      await()
          .atMost(WAIT)
          .untilAsserted(
              () ->
                  assertThat(streams.stream().filter(s -> s.has(payload)).count())
                      .as("streams that received the message")
                      .isEqualTo(STREAMS));
    } finally {
      channels.forEach(Channel::close);
    }
  }
}
