package io.herald.server.internal;

import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.flow.FlowControlHandler;

/**
 * Builds each connection's pipeline: connection limit, {@link ConnectionGuard} (backpressure, byte
 * budget, timeouts, lingering close), then the protocol. With TLS ({@link TlsCertificates}),
 * Netty's {@code SslHandler} and an {@link AlpnHandler} that picks HTTP/2 or HTTP/1.1 by ALPN (RFC
 * 7301); without, a {@link PrefaceDetector} that picks HTTP/2 when the connection opens with its
 * preface (h2c with prior knowledge, RFC 9113 section 3.3) and HTTP/1.1 otherwise.
 *
 * <p>HTTP/1.1: the codec ({@link Http1Codec}) with the header size limit, Netty's {@code
 * FlowControlHandler} (one request at a time, in order, while reading is paused), body aggregation
 * with the message size limit, and the {@link HttpRouter}. HTTP/2: see {@link
 * MultiplexedConnection}. {@code @Sharable}.
 */
public final class ServerInitializer extends ChannelInitializer<SocketChannel> {
  private final ServerContext server;
  private final ChannelGroup all;
  private final ConnectionLimitHandler limit;
  private final TlsCertificates tls;

  /** Plain HTTP/1.1 and h2c on the port. */
  public ServerInitializer(ServerContext server, ChannelGroup all) {
    this(server, all, null);
  }

  /** HTTPS with {@code tls} ({@code null}: plain HTTP/1.1 and h2c). */
  public ServerInitializer(ServerContext server, ChannelGroup all, TlsCertificates tls) {
    this.server = server;
    this.all = all;
    this.limit = new ConnectionLimitHandler(server, tls != null);
    this.tls = tls;
  }

  @Override
  protected void initChannel(SocketChannel ch) {
    init(ch);
  }

  /**
   * Sets up {@code ch}'s pipeline as for an accepted connection (also used by the HTTP fuzz
   * harness, on an {@code EmbeddedChannel}, so that it runs the server's very pipeline).
   */
  void init(Channel ch) {
    all.add(ch);
    ConnectionGuard guard = new ConnectionGuard(server);
    ch.pipeline().addLast("limit", limit).addLast("guard", guard);
    if (tls != null) {
      ch.pipeline()
          .addLast("tls", tls.newHandler(ch.alloc()))
          .addLast("alpn", new AlpnHandler(server, guard));
    } else {
      ch.pipeline().addLast("detect", new PrefaceDetector(server, guard));
    }
  }

  /** Appends the HTTP/1.1 handlers to {@code p}. */
  static void http1(ChannelPipeline p, ServerContext server, ConnectionGuard guard) {
    int maxHeader = server.config.maxHeaderBytes();
    Http1Codec codec = new Http1Codec(Math.min(maxHeader, 8192), maxHeader, 8192);
    // the encoder first: Netty's WebSocket handshake puts its frame encoder before it and its
    // frame decoder in the decoder's place, so the decoder's close frames go through the encoder
    p.addLast("httpencoder", codec.encoder)
        .addLast("http", codec.decoder)
        .addLast("timing", guard.timing())
        // flow control before the aggregator: a request pipelined behind one being answered is
        // not even looked at (no 100 Continue, 417 or 413 ahead of the earlier answer)
        .addLast("flow", new FlowControlHandler())
        .addLast("aggregator", new BodyAggregator(server.config.maxMessageBytes(), server.origins))
        .addLast("dispatch", guard.dispatch())
        .addLast("router", new HttpRouter(server));
  }

  /** Appends the HTTP/2 handlers to {@code p}. */
  static void http2(ChannelPipeline p, ServerContext server, ConnectionGuard guard) {
    MultiplexedConnection.install(p, server, guard);
  }
}
