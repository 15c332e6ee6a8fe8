package io.herald.server.internal;

import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.PrematureChannelClosureException;
import io.netty.handler.codec.http.websocketx.CorruptedWebSocketFrameException;
import java.io.IOException;

/**
 * Tells faults of the client or the network (logged at debug, if at all) from server faults (logged
 * as errors).
 */
final class ClientFaults {
  private ClientFaults() {}

  static boolean isClientFault(Throwable cause) {
    return cause instanceof IOException
        || cause instanceof CorruptedWebSocketFrameException
        || cause instanceof DecoderException
        // the client closed in the middle of a request body (found by HttpRouterFuzzTest)
        || cause instanceof PrematureChannelClosureException;
  }
}
