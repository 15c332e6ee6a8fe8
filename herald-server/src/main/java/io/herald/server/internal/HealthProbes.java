package io.herald.server.internal;

import io.herald.core.ErrorCode;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The probes of orchestrators and load balancers (GET or HEAD; answered even while the node drains
 * or shuts down):
 *
 * <ul>
 *   <li>{@code /live}: {@code 200 {"status":"live"}} while every event loop runs its tasks (the
 *       answer itself is written by one); {@code 503 {"status":"stuck","reason":...}} naming the
 *       loops that have not run for {@link Liveness#STUCK_MILLIS} ms. Restart the process on it.
 *   <li>{@code /ready}: {@code 200 {"status":"ready"}} while the broker answers within its timeout
 *       and the node is not draining; {@code 503 {"status":"not_ready","reason":"draining"|
 *       "broker_unavailable",...}} otherwise. Send new clients elsewhere on it, do not restart.
 * </ul>
 *
 * {@code /health} keeps its meaning (the broker's state, with counters). Stateless.
 */
final class HealthProbes {
  private HealthProbes() {}

  /** Whether {@code path} is a probe this class answers. */
  static boolean handles(String path) {
    return path.equals("/live") || path.equals("/ready");
  }

  /** Answers the probe at {@code path} (one of {@link #handles}). */
  static void answer(
      ChannelHandlerContext ctx,
      ServerContext server,
      HttpMethod method,
      String path,
      boolean keepAlive) {
    if (!method.equals(HttpMethod.GET) && !method.equals(HttpMethod.HEAD)) {
      FullHttpResponse r =
          HttpResponses.error(
              ErrorCode.METHOD_NOT_ALLOWED,
              method + " is not allowed on " + path + "; allowed: GET, HEAD");
      r.headers().set(HttpHeaderNames.ALLOW, "GET, HEAD");
      HttpResponses.write(ctx, r, keepAlive);
      return;
    }
    Map<String, Object> body = new LinkedHashMap<>();
    boolean ok;
    if (path.equals("/live")) {
      List<Integer> stuck = server.liveness == null ? List.of() : server.liveness.stuckLoops();
      ok = stuck.isEmpty();
      body.put("status", ok ? "live" : "stuck");
      if (!ok) {
        body.put(
            "reason",
            "event loops "
                + stuck
                + " of "
                + server.liveness.loops()
                + " have not run a task for "
                + Liveness.STUCK_MILLIS / 1000
                + " s");
      }
    } else {
      boolean draining = server.draining || server.shuttingDown;
      boolean broker = server.hub.broker().isAvailable();
      ok = !draining && broker;
      body.put("status", ok ? "ready" : "not_ready");
      if (draining) {
        body.put("reason", "draining");
        body.put("message", "this node is shutting down; send new clients to another node");
      } else if (!broker) {
        body.put("reason", "broker_unavailable");
        body.put("message", "the broker does not answer within its timeout");
      }
    }
    HttpResponses.write(
        ctx,
        HttpResponses.json(
            ok ? HttpResponseStatus.OK : HttpResponseStatus.SERVICE_UNAVAILABLE, body),
        keepAlive);
  }
}
