package io.herald.server.internal;

import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;

/**
 * The HTTP caching of one poll answer (PROTOCOL.md section 12; RFC 9110 sections 8.8.3 and 13.1.2,
 * RFC 9111 section 5.2): its {@code ETag}, whether the request's {@code If-None-Match} makes it a
 * {@code 304 Not Modified}, and its {@code Cache-Control}.
 *
 * <p><b>The ETag.</b> A poll answer's body is a function of the request target (path and query:
 * channels, {@code since}, {@code limit} and any option that shapes the body), the effective limit,
 * and the messages between the cursor asked for and the cursor answered. Messages never change once
 * at a position ({@code epoch:offset}; a lost history changes the epoch), so the body is fixed by
 * the target, the limit, the answered cursor, {@code recovered} and the message count: the ETag is
 * a strong tag made of the first 96 bits of their SHA-256. It is the same on every node for the
 * same answer, costs no pass over the body, and changes whenever the body would.
 *
 * <p><b>Cache-Control.</b> A short poll of channels whose namespaces are public and set {@code
 * poll-cache-seconds} is {@code public, max-age=N} (the smallest N of its channels) when the
 * request carries no credential; a request with a credential ({@code Authorization}, {@code
 * X-Api-Key}, a {@code token} query parameter) is answered {@code private, no-store}; everything
 * else, long polls always, {@code no-cache}. Every poll answer says {@code Vary: Accept, Prefer}:
 * the same URL with {@code Accept: text/event-stream} is an SSE stream (an {@code EventSource} asks
 * the URL a short poll asks), with {@code Prefer: wait} a long poll, and neither may be answered
 * from a cached short poll.
 *
 * <p><b>Long polls.</b> A long poll whose {@code If-None-Match} matches the empty answer it would
 * give (nothing after its {@code since}) keeps waiting as usual: the tag says "I have that", which
 * is what waiting means. It is answered {@code 200} with the first message that arrives, or {@code
 * 304} when the wait ends with nothing new. A long poll with messages to answer whose tag matches
 * (a client that asked again with the same {@code since}) gets {@code 304} at once.
 *
 * <p>Immutable; one per request.
 */
final class PollCaching {
  private final String target;
  private final String ifNoneMatch;
  private final int maxAgeSeconds;
  private final boolean credentials;
  private final boolean longPoll;

  /**
   * @param target the request target (path and query) as sent
   * @param ifNoneMatch the {@code If-None-Match} field value, or {@code null}
   * @param maxAgeSeconds the namespaces' poll cache age, 0 for none
   * @param credentials whether the request carried a credential
   * @param longPoll whether the request asked to wait
   */
  PollCaching(
      String target, String ifNoneMatch, int maxAgeSeconds, boolean credentials, boolean longPoll) {
    this.target = target;
    this.ifNoneMatch = ifNoneMatch;
    this.maxAgeSeconds = maxAgeSeconds;
    this.credentials = credentials;
    this.longPoll = longPoll;
  }

  /** The caching of {@code request}, a poll, for channels whose cache age is {@code maxAge}. */
  static PollCaching of(
      FullHttpRequest request, QueryStringDecoder uri, int maxAgeSeconds, boolean longPoll) {
    boolean credentials =
        request.headers().contains(HttpHeaderNames.AUTHORIZATION)
            || request.headers().contains("X-Api-Key")
            || uri.parameters().containsKey("token");
    return new PollCaching(
        request.uri(),
        request.headers().get(HttpHeaderNames.IF_NONE_MATCH),
        maxAgeSeconds,
        credentials,
        longPoll);
  }

  /** The strong ETag (with its quotes) of the answer with this cursor, limit and count. */
  String etag(int limit, String cursor, boolean recovered, int count) {
    String key = target + '\n' + limit + '\n' + cursor + '\n' + recovered + '\n' + count;
    try {
      byte[] d = MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8));
      return '"' + Base64.getUrlEncoder().withoutPadding().encodeToString(d).substring(0, 16) + '"';
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * Whether the request's {@code If-None-Match} matches {@code etag}: {@code *}, or a listed tag
   * equal to it by the weak comparison (RFC 9110 section 13.1.2: {@code W/} is ignored).
   */
  boolean notModified(String etag) {
    return EntityTags.noneMatchHits(ifNoneMatch, etag);
  }

  /** The {@code Cache-Control} value of this poll's answers. */
  String cacheControl() {
    if (credentials) {
      return "private, no-store";
    }
    if (longPoll || maxAgeSeconds <= 0) {
      return "no-cache";
    }
    return "public, max-age=" + maxAgeSeconds;
  }

  /** Sets {@code ETag}, {@code Cache-Control} and {@code Vary} on a poll answer. */
  void apply(HttpHeaders headers, String etag) {
    headers.set(HttpHeaderNames.ETAG, etag);
    headers.set(HttpHeaderNames.CACHE_CONTROL, cacheControl());
    headers.add(HttpHeaderNames.VARY, "Accept, Prefer");
  }

  /** The {@code 304 Not Modified} answer: no body, the ETag and caching headers. */
  FullHttpResponse notModifiedResponse(String etag) {
    FullHttpResponse r =
        new DefaultFullHttpResponse(
            HttpVersion.HTTP_1_1, HttpResponseStatus.NOT_MODIFIED, Unpooled.EMPTY_BUFFER);
    apply(r.headers(), etag);
    return r;
  }
}
