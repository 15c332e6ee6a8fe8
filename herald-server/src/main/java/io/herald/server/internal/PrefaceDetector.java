package io.herald.server.internal;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * On a plain port, tells HTTP/2 with prior knowledge (h2c, RFC 9113 section 3.3: the connection
 * opens with the 24-byte preface {@code PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n}) from HTTP/1.1 by the
 * first bytes, sets up that protocol's handlers and removes itself, handing them the bytes read so
 * far. The first byte that differs from the preface decides HTTP/1.1 (no HTTP/1.1 method starts
 * with {@code PRI}), so an HTTP/1.1 request is never delayed. Netty's {@code
 * CleartextHttp2ServerUpgradeHandler} also does the {@code Upgrade: h2c} dance, which browsers
 * never use and which would put its own aggregator in front of Herald's. One per connection.
 */
final class PrefaceDetector extends ByteToMessageDecoder {
  private static final byte[] PREFACE =
      "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII);

  private final ServerContext server;
  private final ConnectionGuard guard;
  private ChannelHandlerContext ctx;

  PrefaceDetector(ServerContext server, ConnectionGuard guard) {
    this.server = server;
    this.guard = guard;
  }

  /** Decides HTTP/1.1 now (no byte arrived in time: the head timeout answers in HTTP/1.1). */
  void http1() {
    ChannelHandlerContext ctx = this.ctx;
    ServerInitializer.http1(ctx.pipeline(), server, guard);
    ctx.pipeline().remove(this);
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    this.ctx = ctx;
  }

  @Override
  protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
    int n = Math.min(in.readableBytes(), PREFACE.length);
    for (int i = 0; i < n; i++) {
      if (in.getByte(in.readerIndex() + i) != PREFACE[i]) {
        ServerInitializer.http1(ctx.pipeline(), server, guard);
        ctx.pipeline().remove(this);
        return;
      }
    }
    if (n == PREFACE.length) {
      ServerInitializer.http2(ctx.pipeline(), server, guard);
      ctx.pipeline().remove(this);
    }
  }
}
