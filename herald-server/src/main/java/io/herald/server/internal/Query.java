package io.herald.server.internal;

import io.herald.core.ErrorCode;
import io.herald.core.ProtocolException;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.util.List;

/**
 * Reads query parameters strictly: a repeated parameter or a bad number is an error, not a guess.
 */
final class Query {
  private Query() {}

  /**
   * Decodes a request target ({@code /channels/a?since=0}) at once, path and parameters, so that a
   * malformed {@code %}-escape is a client error here rather than an exception later.
   *
   * @throws ProtocolException {@code invalid_request} for a malformed {@code %}-escape
   */
  static QueryStringDecoder decode(String uri) {
    QueryStringDecoder decoder = new QueryStringDecoder(uri);
    try {
      decoder.path();
      decoder.parameters();
    } catch (IllegalArgumentException e) { // found by HttpRouterFuzzTest
      throw new ProtocolException(
          ErrorCode.INVALID_REQUEST,
          "the request target has a malformed %-escape; write % followed by two hex digits");
    }
    return decoder;
  }

  /** The parameter's one value, or {@code null} when absent; fails when repeated. */
  static String single(QueryStringDecoder uri, String name) {
    List<String> values = uri.parameters().get(name);
    if (values == null || values.isEmpty()) {
      return null;
    }
    if (values.size() > 1) {
      throw new ProtocolException(
          ErrorCode.INVALID_REQUEST,
          "query parameter '" + name + "' is given " + values.size() + " times; give it once");
    }
    return values.get(0);
  }

  /**
   * Parses a whole number in {@code [min, max]}; fails with {@code invalid_request} naming the
   * range.
   */
  static int intInRange(String name, String value, int min, int max) {
    try {
      int v = Integer.parseInt(value.trim());
      if (v >= min && v <= max) {
        return v;
      }
    } catch (NumberFormatException e) {
      // fall through
    }
    throw new ProtocolException(
        ErrorCode.INVALID_REQUEST,
        name + " must be a whole number from " + min + " to " + max + ", got '" + value + "'");
  }
}
