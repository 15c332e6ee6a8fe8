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
