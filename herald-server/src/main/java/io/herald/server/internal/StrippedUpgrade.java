package io.herald.server.internal;

import io.herald.core.ErrorCode;
import io.herald.core.ProtocolException;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;

/**
 * Tells a WebSocket handshake whose {@code Upgrade} header was removed on the way (RFC 6455 section
 * 4.1; {@code Upgrade} and {@code Connection} are hop-by-hop, RFC 9110 section 7.6.1, so a proxy
 * not configured for WebSocket drops them) from a plain request: without this check such a request
 * to {@code /channels/...} would be answered as a short poll, {@code 200}, and the client would
 * never learn why its WebSocket did not open. Stateless.
 */
final class StrippedUpgrade {
  private StrippedUpgrade() {}

  /**
   * Whether {@code request} is what is left of a WebSocket handshake: it has no {@code Upgrade:
   * websocket} but carries {@code Sec-WebSocket-Key}, or a {@code Connection} with the {@code
   * upgrade} option and no {@code Upgrade} at all (an {@code Upgrade} to another protocol, such as
   * {@code h2c}, is not a stripped one).
   */
  static boolean isStripped(HttpHeaders headers) {
    if (headers.containsValue(HttpHeaderNames.UPGRADE, HttpHeaderValues.WEBSOCKET, true)) {
      return false;
    }
    if (headers.contains(HttpHeaderNames.SEC_WEBSOCKET_KEY)) {
      return true;
    }
    return !headers.contains(HttpHeaderNames.UPGRADE)
        && headers.containsValue(HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE, true);
  }

  /**
   * Refuses what is left of a WebSocket handshake with {@code 400 invalid_request} and a message
   * that says what happened and how to fix the proxy.
   *
   * @throws ProtocolException when {@link #isStripped} holds
   */
  static void check(FullHttpRequest request) {
    if (isStripped(request.headers())) {
      throw new ProtocolException(
          ErrorCode.INVALID_REQUEST,
          "this looks like a WebSocket handshake whose Upgrade header never reached the server: a"
              + " proxy between the client and Herald removed it. Let the proxy pass WebSocket"
              + " upgrades (nginx: proxy_http_version 1.1; proxy_set_header Upgrade $http_upgrade;"
              + " proxy_set_header Connection \"upgrade\"), or use SSE or polling");
    }
  }
}
