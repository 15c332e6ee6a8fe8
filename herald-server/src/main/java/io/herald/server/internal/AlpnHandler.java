package io.herald.server.internal;

import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.ApplicationProtocolNegotiationHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * After the TLS handshake, sets up the protocol the client chose by ALPN (RFC 7301): {@code h2}
 * gets the HTTP/2 handlers, {@code http/1.1} (or a client that offered no ALPN) the HTTP/1.1 ones.
 * A failed handshake (an untrusted certificate, plain HTTP on the HTTPS port) is the client's
 * fault: counted, logged at debug, closed. One per connection, removed once the protocol is set.
 */
final class AlpnHandler extends ApplicationProtocolNegotiationHandler {
  private static final Logger LOG = LoggerFactory.getLogger(AlpnHandler.class);

  private final ServerContext server;
  private final ConnectionGuard guard;

  AlpnHandler(ServerContext server, ConnectionGuard guard) {
    super(ApplicationProtocolNames.HTTP_1_1);
    this.server = server;
    this.guard = guard;
  }

  @Override
  protected void configurePipeline(ChannelHandlerContext ctx, String protocol) {
    if (ApplicationProtocolNames.HTTP_2.equals(protocol)) {
      ServerInitializer.http2(ctx.pipeline(), server, guard);
    } else {
      ServerInitializer.http1(ctx.pipeline(), server, guard);
    }
  }

  @Override
  protected void handshakeFailure(ChannelHandlerContext ctx, Throwable cause) {
    server.refusals.count("tls_handshake");
    LOG.debug("TLS handshake with {} failed: {}", ctx.channel().remoteAddress(), cause.toString());
    ctx.close();
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    ClientFaults.log(ctx, cause);
    ctx.close();
  }
}
