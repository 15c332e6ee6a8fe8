package io.herald.server.internal;

import io.herald.core.ErrorCode;
import io.herald.server.auth.AuthException;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import java.nio.charset.StandardCharsets;

/**
 * {@code GET /metrics} and {@code HEAD /metrics}: the {@link ServerMetrics} in the Prometheus text
 * exposition format 0.0.4 ({@code text/plain; version=0.0.4}). Open unless {@code
 * --metrics-require-api-key}, which asks for one of the {@code --api-key}s as {@code X-Api-Key} or
 * as {@code Authorization: Bearer KEY} (what Prometheus's {@code authorization} scrape setting
 * sends); a missing or wrong key gets {@code 401 unauthorized}. Served only with {@code --metrics}
 * (on by default); off, the path is a {@code 404}. Runs on the channel's event loop; a scrape costs
 * one pass over the open connections plus formatting, about a millisecond.
 */
final class MetricsEndpoint {
  /** The Prometheus text format's content type. */
  static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

  private MetricsEndpoint() {}

  static void answer(
      ChannelHandlerContext ctx, ServerContext server, FullHttpRequest request, boolean keepAlive) {
    HttpMethod method = request.method();
    if (!method.equals(HttpMethod.GET) && !method.equals(HttpMethod.HEAD)) {
      FullHttpResponse r =
          HttpResponses.error(
              ErrorCode.METHOD_NOT_ALLOWED,
              method + " is not allowed on /metrics; allowed: GET, HEAD");
      r.headers().set(HttpHeaderNames.ALLOW, "GET, HEAD");
      HttpResponses.write(ctx, r, keepAlive);
      return;
    }
    if (server.config.metricsRequireApiKey() && !authorized(server, request)) {
      throw new AuthException(
          ErrorCode.UNAUTHORIZED,
          "/metrics needs an API key: send X-Api-Key, or Authorization: Bearer KEY",
          false);
    }
    byte[] body = server.metrics.scrape().getBytes(StandardCharsets.UTF_8);
    FullHttpResponse r =
        new DefaultFullHttpResponse(
            HttpVersion.HTTP_1_1, HttpResponseStatus.OK, Unpooled.wrappedBuffer(body));
    r.headers()
        .set(HttpHeaderNames.CONTENT_TYPE, CONTENT_TYPE)
        .setInt(HttpHeaderNames.CONTENT_LENGTH, body.length)
        .set(HttpHeaderNames.CACHE_CONTROL, HttpHeaderValues.NO_STORE);
    HttpResponses.write(ctx, r, keepAlive);
  }

  private static boolean authorized(ServerContext server, FullHttpRequest request) {
    String key = request.headers().get("X-Api-Key");
    if (key == null) {
      key = Bearer.token(request.headers().get(HttpHeaderNames.AUTHORIZATION));
    }
    return server.authorizer.isApiKey(key);
  }
}
