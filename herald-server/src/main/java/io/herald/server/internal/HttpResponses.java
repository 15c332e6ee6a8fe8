package io.herald.server.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.herald.core.ErrorCode;
import io.herald.core.Json;
import io.herald.core.ProtocolException;
import io.herald.server.auth.AuthException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.AttributeKey;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Builds and writes HTTP responses: JSON bodies and the error shape of PROTOCOL.md section 8.
 * Stateless.
 */
final class HttpResponses {
  /** Whether the request being answered on a connection is a {@code HEAD}: set by the router. */
  static final io.netty.util.AttributeKey<Boolean> HEAD_REQUEST =
      io.netty.util.AttributeKey.valueOf("herald.headRequest");

  private HttpResponses() {}

  /**
   * A full response with a JSON body (already encoded). The caller owns {@code body} until written.
   */
  static FullHttpResponse json(HttpResponseStatus status, ByteBuf body) {
    FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, body);
    r.headers()
        .set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON)
        .setInt(HttpHeaderNames.CONTENT_LENGTH, body.readableBytes())
        .set(HttpHeaderNames.CACHE_CONTROL, HttpHeaderValues.NO_CACHE);
    return r;
  }

  /** A full response whose JSON body is {@code value} encoded by Jackson. */
  static FullHttpResponse json(HttpResponseStatus status, Object value) {
    try {
      return json(status, Unpooled.wrappedBuffer(Json.MAPPER.writeValueAsBytes(value)));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * The error body {@code {"error":{"code":"...","message":"..."}}} with the code's HTTP status.
   */
  static FullHttpResponse error(ErrorCode code, String message) {
    return error(HttpResponseStatus.valueOf(code.httpStatus()), code.code(), message);
  }

  /**
   * The error body with any status and code (for answers the protocol's codes do not cover, such as
   * {@code 408 request_timeout}).
   */
  static FullHttpResponse error(HttpResponseStatus status, String code, String message) {
    Map<String, Object> error = new LinkedHashMap<>();
    error.put("code", code);
    error.put("message", message);
    byte[] body;
    try {
      body = Json.MAPPER.writeValueAsBytes(Map.of("error", error));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
    FullHttpResponse r = new ErrorResponse(status, code, Unpooled.wrappedBuffer(body));
    r.headers()
        .set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON)
        .setInt(HttpHeaderNames.CONTENT_LENGTH, body.length)
        .set(HttpHeaderNames.CACHE_CONTROL, HttpHeaderValues.NO_CACHE);
    return r; // CORS headers are added by write(), for the request's allowed origin only
  }

  /** An error answer that knows its protocol code, so refusals can be counted by code. */
  static final class ErrorResponse extends DefaultFullHttpResponse {
    final String code;

    ErrorResponse(HttpResponseStatus status, String code, ByteBuf body) {
      super(HttpVersion.HTTP_1_1, status, body);
      this.code = code;
    }
  }

  /**
   * The error answer of {@code e}; a 401 carries {@code WWW-Authenticate: Bearer} (RFC 6750), a 403
   * of a token {@code error="insufficient_scope"}.
   */
  static FullHttpResponse error(ProtocolException e) {
    FullHttpResponse r = error(e.code(), e.getMessage());
    if (e instanceof AuthException auth) {
      if (e.code().httpStatus() == 401) {
        r.headers().set(HttpHeaderNames.WWW_AUTHENTICATE, auth.challenge());
      } else if (auth.tokenPresented()) {
        r.headers()
            .set(
                HttpHeaderNames.WWW_AUTHENTICATE,
                "Bearer realm=\"herald\", error=\"insufficient_scope\"");
      }
    }
    return r;
  }

  /**
   * The {@code Access-Control-Allow-Origin} for the connection's current request, set by {@link
   * HttpRouter} from the {@code Origin} and the allowed origins; absent when the request has no
   * {@code Origin}.
   */
  static final AttributeKey<String> ALLOW_ORIGIN = AttributeKey.valueOf("herald.allowOrigin");

  /** Adds the CORS headers of the connection's current request to {@code headers}. */
  static void cors(ChannelHandlerContext ctx, HttpHeaders headers) {
    String allow = ctx.channel().attr(ALLOW_ORIGIN).get();
    if (allow != null) {
      headers.set(HttpHeaderNames.ACCESS_CONTROL_ALLOW_ORIGIN, allow);
      headers.set(
          HttpHeaderNames.ACCESS_CONTROL_EXPOSE_HEADERS,
          "WWW-Authenticate, Retry-After, ETag, Preference-Applied");
    }
    if (!"*".equals(allow)) {
      headers.add(HttpHeaderNames.VARY, "Origin");
    }
  }

  /**
   * Writes and flushes {@code response}; keeps the connection open when {@code keepAlive}, closes
   * it after the write otherwise (with {@code Connection: close}; after an error answer, a
   * lingering close, see {@link ConnectionGuard}).
   */
  static ChannelFuture write(
      ChannelHandlerContext ctx, FullHttpResponse response, boolean keepAlive) {
    if (Boolean.TRUE.equals(ctx.channel().attr(HEAD_REQUEST).get())
        && response.content().isReadable()) {
      // An answer to HEAD has no body (RFC 9110 section 9.3.2); its headers, Content-Length
      // included, stay those of the GET answer. A body here would be read as the next answer.
      FullHttpResponse bodiless = response.replace(io.netty.buffer.Unpooled.EMPTY_BUFFER);
      response.release();
      response = bodiless;
    }
    if (!keepAlive) {
      response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
    }
    cors(ctx, response.headers());
    ChannelFuture f = ctx.writeAndFlush(response);
    if (!keepAlive) {
      if (response.status().code() >= 400) {
        ConnectionGuard.closeAfterError(ctx.channel(), f);
      } else {
        f.addListener(ChannelFutureListener.CLOSE);
      }
    }
    return f;
  }

  /**
   * Sets the CORS answer of the channel's next response from a request's {@code Origin} and {@code
   * Host}, for answers written before the router saw the request (a {@code 408} for a body that
   * never came): the allowed origin, or none for a request without {@code Origin} or from a refused
   * one. Event loop only.
   */
  static void allowOriginOf(
      ChannelHandlerContext ctx,
      io.herald.server.auth.OriginPolicy origins,
      String origin,
      String host) {
    String allow = origin == null ? null : origins.allowOrigin(origin, host);
    ctx.channel()
        .attr(ALLOW_ORIGIN)
        .set(io.herald.server.auth.OriginPolicy.REFUSED.equals(allow) ? null : allow);
  }
}
