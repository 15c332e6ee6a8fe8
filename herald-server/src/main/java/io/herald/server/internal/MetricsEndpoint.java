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
import io.netty.util.concurrent.GlobalEventExecutor;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code GET /metrics} and {@code HEAD /metrics}: the {@link ServerMetrics} in the Prometheus text
 * exposition format 0.0.4 ({@code text/plain; version=0.0.4}). Open unless {@code
 * --metrics-require-api-key}, which asks for one of the {@code --api-key}s as {@code X-Api-Key} or
 * as {@code Authorization: Bearer KEY} (what Prometheus's {@code authorization} scrape setting
 * sends); a missing or wrong key gets {@code 401 unauthorized}. Served only with {@code --metrics}
 * (on by default); off, the path is a {@code 404}. The scrape runs off the event loops, one at a
 * time on Netty's global executor: it makes one pass over the open connections and reads {@code
 * /proc} (open files: one directory entry per open descriptor, so tens of milliseconds at 100,000
 * connections), which would stall every connection of the loop; the answer is then written on the
 * connection's loop (the connection reads nothing more until then).
 */
final class MetricsEndpoint {
  private static final Logger LOG = LoggerFactory.getLogger(MetricsEndpoint.class);

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
    CompletableFuture.supplyAsync(
            () -> server.metrics.scrape().getBytes(StandardCharsets.UTF_8),
            GlobalEventExecutor.INSTANCE)
        .whenComplete(
            (body, error) -> EventLoops.runOn(ctx, () -> write(ctx, body, error, keepAlive)));
  }

  private static void write(
      ChannelHandlerContext ctx, byte[] body, Throwable error, boolean keepAlive) {
    if (error != null) {
      LOG.error("the metrics scrape failed", error);
      HttpResponses.write(
          ctx, HttpResponses.error(ErrorCode.INTERNAL, "the metrics scrape failed"), keepAlive);
      return;
    }
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
