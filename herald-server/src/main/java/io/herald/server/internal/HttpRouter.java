package io.herald.server.internal;

import io.herald.core.Cursor;
import io.herald.core.ErrorCode;
import io.herald.core.Names;
import io.herald.core.ProtocolException;
import io.herald.core.Transport;
import io.herald.server.auth.AuthException;
import io.herald.server.auth.OriginPolicy;
import io.herald.server.auth.Principal;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Routes each HTTP request of a connection (PROTOCOL.md sections 5, 6, 7 and 9): publish, the four
 * subscribe transports, {@code /ws}, {@code /health} and the static pages; answers errors with the
 * shape of section 8. One instance per connection, after {@code HttpObjectAggregator}.
 *
 * <p>While a request is being answered (a publication, a parked long poll) the connection stops
 * reading ({@link ConnectionGuard}), so pipelined requests wait their turn, are answered in order,
 * and a client cannot pile up work. Confined to the channel's event loop.
 */
public final class HttpRouter extends SimpleChannelInboundHandler<FullHttpRequest> {
  static final Logger LOG = LoggerFactory.getLogger(HttpRouter.class);
  private static final String CHANNELS = "/channels/";

  private final ServerContext server;
  private boolean streaming;

  /** This connection's publish rate limit (keep-alive requests share it); null when off. */
  private final RateLimiter publishLimiter;

  public HttpRouter(ServerContext server) {
    this(server, PublishHandler.rateLimiter(server));
  }

  /**
   * A router whose publications count against {@code publishLimiter} (null when off): the HTTP/2
   * streams of one connection share the connection's limiter.
   */
  HttpRouter(ServerContext server, RateLimiter publishLimiter) {
    this.server = server;
    this.publishLimiter = publishLimiter;
  }

  @Override
  protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
    if (streaming) {
      return; // an SSE connection: the client has nothing more to say
    }
    boolean keepAlive = HttpUtil.isKeepAlive(request);
    ctx.channel().attr(HttpResponses.HEAD_REQUEST).set(request.method().equals(HttpMethod.HEAD));
    if (request.decoderResult().isFailure()) {
      decodeFailure(ctx, request.decoderResult().cause());
      return;
    }
    try {
      route(ctx, request, keepAlive);
    } catch (ProtocolException e) {
      HttpResponses.write(ctx, HttpResponses.error(e), keepAlive);
    }
  }

  private void route(ChannelHandlerContext ctx, FullHttpRequest request, boolean keepAlive) {
    QueryStringDecoder uri = Query.decode(request.uri());
    String path = uri.path();
    HttpMethod method = request.method();
    ctx.channel().attr(HttpResponses.ALLOW_ORIGIN).set(null);
    if (HealthProbes.handles(path)) {
      HealthProbes.answer(ctx, server, method, path, keepAlive);
      return;
    }
    if (server.shuttingDown) {
      throw new ProtocolException(
          ErrorCode.OVER_CAPACITY, "the server is shutting down; retry on another node or later");
    }
    if (path.startsWith(CHANNELS) || path.equals("/ws")) {
      checkOrigin(ctx, request);
    }
    if (path.startsWith(CHANNELS)) {
      String list = path.substring(CHANNELS.length());
      if (method.equals(HttpMethod.POST)) {
        if (list.indexOf(',') >= 0) {
          throw new ProtocolException(
              ErrorCode.INVALID_CHANNEL,
              "publish to one channel at a time; ',' separates channels only in subscriptions");
        }
        String channel = Names.channel(list);
        server.authorizer.checkPublish(principal(request, uri), channel);
        PublishHandler.publish(ctx, server, request, channel, uri, keepAlive, publishLimiter);
      } else if (method.equals(HttpMethod.GET) || method.equals(HttpMethod.HEAD)) {
        subscribe(
            ctx,
            request,
            uri,
            Names.channelList(list, server.config.maxChannelsPerSubscription()),
            keepAlive);
      } else if (method.equals(HttpMethod.OPTIONS)) {
        preflight(ctx, request, keepAlive);
      } else {
        methodNotAllowed(ctx, method, path, "GET, HEAD, POST, OPTIONS", keepAlive);
      }
    } else if (path.equals("/ws")) {
      if (!method.equals(HttpMethod.GET) && !method.equals(HttpMethod.HEAD)) {
        methodNotAllowed(ctx, method, path, "GET, HEAD", keepAlive);
      } else if (!isWebSocketUpgrade(request) || method.equals(HttpMethod.HEAD)) {
        StrippedUpgrade.check(request);
        throw new ProtocolException(
            ErrorCode.INVALID_REQUEST, "GET /ws needs a WebSocket upgrade (Upgrade: websocket)");
      } else {
        upgrade(ctx, request, principal(request, uri), List.of(), Cursor.fromNow(0));
      }
    } else if (path.equals("/demo/token") && server.demoSignIn != null) {
      if (!method.equals(HttpMethod.POST)) {
        methodNotAllowed(ctx, method, path, "POST", keepAlive);
        return;
      }
      HttpResponses.write(
          ctx,
          HttpResponses.json(
              HttpResponseStatus.OK,
              server.demoSignIn.signIn(ByteBufUtil.getBytes(request.content()))),
          keepAlive);
    } else if (path.equals("/metrics") && server.metrics.enabled()) {
      MetricsEndpoint.answer(ctx, server, request, keepAlive);
    } else if (path.equals("/health")) {
      if (!method.equals(HttpMethod.GET) && !method.equals(HttpMethod.HEAD)) {
        methodNotAllowed(ctx, method, path, "GET, HEAD", keepAlive);
        return;
      }
      boolean up = server.hub.broker().isAvailable();
      HttpResponses.write(
          ctx,
          HttpResponses.json(
              up ? HttpResponseStatus.OK : HttpResponseStatus.SERVICE_UNAVAILABLE, health(up)),
          keepAlive);
    } else if (path.equals("/admin") || path.startsWith("/admin/")) {
      if (server.admin == null) {
        throw new ProtocolException(
            ErrorCode.NOT_FOUND,
            "nothing at " + path + "; the admin page is off (set --admin-password or --api-key)");
      }
      server.admin.handle(ctx, request, uri, keepAlive);
    } else {
      StaticFiles.Asset asset =
          server
              .staticFiles
              .find(path)
              .orElseThrow(
                  () ->
                      new ProtocolException(
                          ErrorCode.NOT_FOUND,
                          "nothing at "
                              + path
                              + "; see PROTOCOL.md for the paths (/channels/NAME, /ws, /health, /)"));
      if (!method.equals(HttpMethod.GET) && !method.equals(HttpMethod.HEAD)) {
        methodNotAllowed(ctx, method, path, "GET, HEAD", keepAlive);
        return;
      }
      FullHttpResponse r = StaticFiles.answer(asset, request.headers());
      HttpResponses.write(ctx, r, keepAlive);
    }
  }

  private Map<String, Object> health(boolean up) {
    Map<String, Object> body = new java.util.LinkedHashMap<>();
    body.put("status", up ? "ok" : "degraded");
    body.put("broker", up ? "up" : "down");
    body.put("connections", server.connections());
    body.put("channels", server.hub.activeChannels());
    return body;
  }

  private void subscribe(
      ChannelHandlerContext ctx,
      FullHttpRequest request,
      QueryStringDecoder uri,
      List<String> channels,
      boolean keepAlive) {
    String since = Query.single(uri, "since");
    Principal principal = principal(request, uri);
    server.authorizer.checkSubscribe(principal, channels);
    boolean head = request.method().equals(HttpMethod.HEAD);
    StrippedUpgrade.check(request);
    if (isWebSocketUpgrade(request) && !head) {
      upgrade(ctx, request, principal, channels, Cursor.parse(since, channels.size()));
      return;
    }
    String accept = request.headers().get(HttpHeaderNames.ACCEPT, "");
    if (accept.contains("text/event-stream")) {
      requireEnabled(Transport.SSE);
      if (head) {
        HttpResponses.write(ctx, SseTransport.headAnswer(), keepAlive);
        return;
      }
      String lastEventId = request.headers().get("Last-Event-ID");
      Cursor cursor =
          Cursor.parse(
              lastEventId != null && !lastEventId.isEmpty() ? lastEventId : since, channels.size());
      streaming = true;
      boolean http10 = request.protocolVersion().equals(HttpVersion.HTTP_1_0);
      ctx.pipeline().addLast("sse", new SseTransport(server, channels, cursor, principal, http10));
      return;
    }
    Integer wait = PollHandler.requestedWait(uri, request.headers());
    if (wait != null) {
      requireEnabled(Transport.LONG_POLL);
    }
    Cursor cursor = Cursor.parse(since, channels.size());
    int limit = PollHandler.limit(uri, server.config);
    new PollHandler(ctx, server, channels, cursor, limit, wait, keepAlive)
        .expires(principal.expires())
        .caching(
            PollCaching.of(
                request, uri, server.authorizer.pollCacheSeconds(channels), wait != null))
        .start();
  }

  private void upgrade(
      ChannelHandlerContext ctx,
      FullHttpRequest request,
      Principal principal,
      List<String> channels,
      Cursor cursor) {
    requireEnabled(Transport.WEBSOCKET);
    WebSocketTransport.upgrade(ctx, server, request, principal, channels, cursor);
  }

  /**
   * The request's principal (PROTOCOL.md section 10): {@code X-Api-Key}, else {@code Authorization:
   * Bearer}, else the {@code token} query parameter (EventSource and WebSocket cannot set headers).
   * An API key in the query string is refused: URLs end up in logs.
   */
  private Principal principal(FullHttpRequest request, QueryStringDecoder uri) {
    for (String name : List.of("api_key", "apiKey", "api-key", "x-api-key")) {
      if (uri.parameters().containsKey(name)) {
        throw new ProtocolException(
            ErrorCode.INVALID_REQUEST,
            "API keys are never accepted in the URL (URLs end up in logs); send the X-Api-Key"
                + " header");
      }
    }
    if (!server.authorizer.enabled()) {
      return Principal.ANONYMOUS;
    }
    String token = null;
    String authorization = request.headers().get(HttpHeaderNames.AUTHORIZATION);
    if (authorization != null) {
      if (!authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
        throw new AuthException(
            ErrorCode.UNAUTHORIZED,
            "the Authorization header must be 'Bearer TOKEN' (RFC 6750)",
            false);
      }
      token = authorization.substring(7).trim();
    } else {
      token = Query.single(uri, "token");
    }
    return server.authorizer.authenticate(token, request.headers().get("X-Api-Key"));
  }

  /**
   * Sets the CORS answer of this request, or refuses an {@code Origin} that is neither the page's
   * own nor allowed with {@code 403 origin_not_allowed}.
   */
  private void checkOrigin(ChannelHandlerContext ctx, FullHttpRequest request) {
    String origin = request.headers().get(HttpHeaderNames.ORIGIN);
    String allow = server.origins.allowOrigin(origin, request.headers().get(HttpHeaderNames.HOST));
    if (OriginPolicy.REFUSED.equals(allow)) {
      throw new ProtocolException(
          ErrorCode.ORIGIN_NOT_ALLOWED,
          "pages from "
              + origin
              + " may not use this server; it allows its own origin"
              + (server.config.allowedOrigins().isEmpty()
                  ? ""
                  : " and " + String.join(", ", server.config.allowedOrigins()))
              + " (--allowed-origins)");
    }
    ctx.channel().attr(HttpResponses.ALLOW_ORIGIN).set(allow);
  }

  private void requireEnabled(Transport t) {
    if (!server.config.enabled(t)) {
      throw new ProtocolException(
          ErrorCode.TRANSPORT_DISABLED,
          "this server does not serve " + t.wireName() + "; use another transport");
    }
  }

  private static boolean isWebSocketUpgrade(FullHttpRequest request) {
    return request
        .headers()
        .containsValue(HttpHeaderNames.UPGRADE, HttpHeaderValues.WEBSOCKET, true);
  }

  private static void preflight(
      ChannelHandlerContext ctx, FullHttpRequest request, boolean keepAlive) {
    FullHttpResponse r =
        new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.NO_CONTENT);
    r.headers()
        .set(HttpHeaderNames.ACCESS_CONTROL_ALLOW_METHODS, "GET, HEAD, POST, OPTIONS")
        .set(
            HttpHeaderNames.ACCESS_CONTROL_ALLOW_HEADERS,
            "Authorization, Content-Type, Idempotency-Key, Last-Event-ID, Prefer, X-Api-Key,"
                + " If-None-Match")
        .set(HttpHeaderNames.ACCESS_CONTROL_MAX_AGE, "600")
        .setInt(HttpHeaderNames.CONTENT_LENGTH, 0);
    HttpResponses.write(ctx, r, keepAlive);
  }

  private static void methodNotAllowed(
      ChannelHandlerContext ctx,
      HttpMethod method,
      String path,
      String allowed,
      boolean keepAlive) {
    FullHttpResponse r =
        HttpResponses.error(
            ErrorCode.METHOD_NOT_ALLOWED,
            method + " is not allowed on " + path + "; allowed: " + allowed);
    r.headers().set(HttpHeaderNames.ALLOW, allowed);
    HttpResponses.write(ctx, r, keepAlive);
  }

  private static void decodeFailure(ChannelHandlerContext ctx, Throwable cause) {
    FullHttpResponse r;
    if (cause instanceof TooLongHttpHeaderException) {
      r =
          HttpResponses.error(
              ErrorCode.HEADERS_TOO_LARGE,
              "the request headers are larger than this server allows; send smaller headers");
    } else if (cause instanceof TooLongHttpLineException) {
      r =
          HttpResponses.error(
              ErrorCode.HEADERS_TOO_LARGE,
              "the request line (method, path and query) is longer than this server allows");
    } else if (cause instanceof TooLongFrameException) {
      r =
          HttpResponses.error(
              ErrorCode.HEADERS_TOO_LARGE, "the request head is larger than this server allows");
    } else {
      r =
          HttpResponses.error(
              ErrorCode.INVALID_REQUEST,
              "the request is not valid HTTP/1.1: " + cause.getMessage());
    }
    HttpResponses.write(ctx, r, false);
  }

  /**
   * At shutdown an idle keep-alive connection (no request being answered) closes at once; one with
   * an answer under way closes once it is written.
   */
  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
    ConnectionGuard guard = ConnectionGuard.of(ctx.channel());
    if (evt == ServerShutdown.INSTANCE
        && !streaming
        && (guard == null ? ctx.channel().config().isAutoRead() : !guard.answering())) {
      ctx.close();
      return;
    }
    super.userEventTriggered(ctx, evt);
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    ClientFaults.log(ctx, cause);
    ctx.close();
  }

  static byte[] body(FullHttpRequest request) {
    return ByteBufUtil.getBytes(request.content());
  }
}
