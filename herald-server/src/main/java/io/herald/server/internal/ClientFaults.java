package io.herald.server.internal;

import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.PrematureChannelClosureException;
import io.netty.handler.codec.http.websocketx.CorruptedWebSocketFrameException;
import io.netty.handler.codec.http.websocketx.WebSocketHandshakeException;
import java.io.IOException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tells faults of the client or the network (logged at debug, if at all) from server faults (logged
 * as errors).
 */
final class ClientFaults {
  private static final Logger LOG = LoggerFactory.getLogger(ClientFaults.class);

  private ClientFaults() {}

  /**
   * Logs a connection's failure: a client's or the network's at debug, one line without a stack
   * trace; a server fault as an error with its stack trace. An {@code OutOfMemoryError} ends the
   * process ({@link FailFast}).
   */
  static void log(ChannelHandlerContext ctx, Throwable cause) {
    FailFast.check(cause);
    if (isClientFault(cause)) {
      if (LOG.isDebugEnabled()) {
        LOG.debug("connection {} closed: {}", ctx.channel().remoteAddress(), cause.toString());
      }
    } else {
      LOG.error("connection {} failed", ctx.channel().remoteAddress(), cause);
    }
  }

  static boolean isClientFault(Throwable cause) {
    return cause instanceof IOException
        || cause instanceof CorruptedWebSocketFrameException
        || cause instanceof DecoderException
        // the client closed in the middle of a request body (found by HttpRouterFuzzTest)
        || cause instanceof PrematureChannelClosureException
        || cause instanceof WebSocketHandshakeException;
  }
}
