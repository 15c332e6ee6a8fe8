package io.herald.server.internal;

import io.herald.core.ContentTypes;
import io.herald.core.ErrorCode;
import io.herald.core.IdempotencyKeys;
import io.herald.core.Json;
import io.herald.core.Message;
import io.herald.core.Names;
import io.herald.core.ProtocolException;
import io.herald.core.PublishOutcomeUnknownException;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletionException;

/**
 * {@code POST /channels/{channel}} (PROTOCOL.md sections 5 and 11): checks the body against its
 * content type (JSON, text, or any other type for a binary message) and the size limit and the
 * optional {@code Idempotency-Key}, publishes through the hub, and answers {@code 201} with the
 * offset and epoch (the first publication's for a repeated key), or the error: {@code 503
 * unavailable} when nothing was published, {@code 504 publish_outcome_unknown} when the broker
 * cannot tell. The connection stops reading until the answer is written. Each connection's
 * publications pass its {@link RateLimiter} first: over it, {@code 429 rate_limited} with {@code
 * Retry-After}, and a connection refused too often gets that answer with {@code Connection: close}.
 * Runs on the channel's event loop; never blocks.
 */
final class PublishHandler {
  /** The header of a publication's idempotency key (IETF httpapi draft). */
  static final String IDEMPOTENCY_KEY = "Idempotency-Key";

  private PublishHandler() {}

  static void publish(
      ChannelHandlerContext ctx,
      ServerContext server,
      FullHttpRequest request,
      String channel,
      QueryStringDecoder uri,
      boolean keepOpen,
      RateLimiter limiter) {
    RateLimiter.Refusal refusal = limiter == null ? null : limiter.tryAcquire();
    if (refusal != null) {
      FullHttpResponse r = HttpResponses.error(refusal.error());
      r.headers()
          .set(HttpHeaderNames.RETRY_AFTER, refusal.retryAfterSeconds())
          .set(HttpHeaderNames.ACCESS_CONTROL_EXPOSE_HEADERS, HttpHeaderNames.RETRY_AFTER);
      HttpResponses.write(ctx, r, keepOpen && !refusal.close());
      return;
    }
    String event = Names.event(Query.single(uri, "event"));
    String idempotencyKey = idempotencyKey(request);
    Body body = body(request, server.config.maxMessageBytes());
    java.util.concurrent.CompletableFuture<Message> publication =
        server.hub.publish(channel, event, body.data(), body.contentType(), idempotencyKey);
    server.metrics.publishing(false, publication);
    publication.whenComplete(
        (m, error) ->
            EventLoops.runOn(ctx, () -> answer(ctx, server, channel, m, error, keepOpen)));
  }

  /**
   * Writes the publication's answer. Runs at once when the publication completed on the event loop
   * (the memory broker), so the publisher hears back before the fan-out it caused, which the hub
   * has queued on the same loop, has run.
   */
  private static void answer(
      ChannelHandlerContext ctx,
      ServerContext server,
      String channel,
      Message m,
      Throwable error,
      boolean keepOpen) {
    boolean keepAlive = keepOpen && !server.shuttingDown;
    if (error == null) {
      server.activity.published(channel);
      HttpResponses.write(
          ctx, HttpResponses.json(HttpResponseStatus.CREATED, published(m)), keepAlive);
      return;
    }
    Throwable cause =
        error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
    if (cause instanceof ProtocolException pe) {
      HttpResponses.write(ctx, HttpResponses.error(pe), keepAlive);
    } else {
      HttpRouter.LOG.error("publication to {} failed", channel, cause);
      HttpResponses.write(ctx, HttpResponses.error(unexpected(cause)), keepAlive);
    }
  }

  /**
   * What an unexpected publication failure tells the client: the broker may have published, so
   * {@code 504 publish_outcome_unknown}.
   */
  static ProtocolException unexpected(Throwable cause) {
    return new PublishOutcomeUnknownException(
        "the publication failed ("
            + cause.getMessage()
            + ") and may or may not have been made; retry with the same Idempotency-Key to find"
            + " out (it is never published twice)");
  }

  /**
   * The request's {@code Idempotency-Key} header (PROTOCOL.md section 5), checked, or {@code null}.
   *
   * @throws ProtocolException {@code 400 invalid_request} when it is not 1 to 128 printable ASCII
   *     characters, or is given twice
   */
  static String idempotencyKey(FullHttpRequest request) {
    java.util.List<String> keys = request.headers().getAll(IDEMPOTENCY_KEY);
    if (keys.isEmpty()) {
      return null;
    }
    if (keys.size() > 1) {
      throw new ProtocolException(
          ErrorCode.INVALID_REQUEST, "send one Idempotency-Key header, got " + keys.size());
    }
    try {
      return IdempotencyKeys.check(keys.get(0));
    } catch (ProtocolException e) {
      throw new ProtocolException(e.code(), "Idempotency-Key: " + e.getMessage());
    }
  }

  /** A new connection's publish rate limiter under {@code server}'s settings, or null when off. */
  static RateLimiter rateLimiter(ServerContext server) {
    return RateLimiter.of(
        "publications",
        server.config.httpPublishRate(),
        server.config.httpPublishBurst(),
        server.config.rateLimitStrikes(),
        server.config.rateLimitStrikeWindow());
  }

  static Map<String, Object> published(Message m) {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("channel", m.channel());
    body.put("offset", m.offset());
    body.put("epoch", m.epoch());
    return body;
  }

  /**
   * A publication's data: one JSON value with {@code contentType} null, or a binary message's raw
   * bytes with their content type (PROTOCOL.md section 11).
   */
  record Body(byte[] data, String contentType) {}

  /**
   * The publication's data by its {@code Content-Type}: JSON ({@code application/json}, {@code
   * +json}) must be one JSON value; text ({@code text/*}, none, or the form type {@code curl -d}
   * sends) becomes a JSON string; any other type is a binary message whose raw body is kept byte
   * for byte (PROTOCOL.md section 11). The size limit counts the body's bytes in every case.
   *
   * @throws ProtocolException {@code 413 message_too_large} over {@code maxBytes}, {@code
   *     invalid_json} for JSON that is not one value, {@code 415 unsupported_media_type} for a
   *     content type that is not {@code type/subtype}
   */
  static Body body(FullHttpRequest request, int maxBytes) {
    int size = request.content().readableBytes();
    if (size > maxBytes) {
      throw tooLarge(size, maxBytes);
    }
    String type = request.headers().get(HttpHeaderNames.CONTENT_TYPE);
    String mime = ContentTypes.mediaType(type);
    byte[] body = HttpRouter.body(request);
    if (ContentTypes.isJson(mime)) {
      return new Body(Json.requireValue(body), null);
    }
    if (ContentTypes.isText(mime)) {
      // a form type is what `curl -d` sends by default: taken as text, as it is
      return new Body(Json.stringValue(body), null);
    }
    return new Body(body, ContentTypes.requireBinary(type));
  }

  static ProtocolException tooLarge(long size, int maxBytes) {
    return new ProtocolException(
        ErrorCode.MESSAGE_TOO_LARGE,
        "the message is "
            + size
            + " bytes; this server accepts at most "
            + maxBytes
            + " bytes per message");
  }
}
