package io.herald.core;

/**
 * The error codes of the Herald protocol (PROTOCOL.md section 8), each with the HTTP status that
 * carries it. WebSocket error replies use the same {@link #code()} strings.
 */
public enum ErrorCode {
  /** A channel name is empty, longer than 200 characters, or uses a character outside the set. */
  INVALID_CHANNEL("invalid_channel", 400),
  /** An event name is malformed or uses the reserved {@code herald.} prefix. */
  INVALID_EVENT("invalid_event", 400),
  /** A body or frame that must be JSON does not parse, or a text body is not valid UTF-8. */
  INVALID_JSON("invalid_json", 400),
  /** A cursor does not parse, or its count of positions does not match the channel list. */
  INVALID_CURSOR("invalid_cursor", 400),
  /**
   * A query parameter or command field is malformed ({@code wait}, {@code limit}, {@code type}).
   */
  INVALID_REQUEST("invalid_request", 400),
  /** A subscription lists more channels than the server allows. */
  TOO_MANY_CHANNELS("too_many_channels", 400),
  /** Transport refused by this server's settings (for example WebSocket upgrades disabled). */
  TRANSPORT_DISABLED("transport_disabled", 403),
  /**
   * No credentials, or credentials that are not valid (bad signature, wrong issuer or audience, not
   * yet valid), where the channel or action needs them (PROTOCOL.md section 10). HTTP answers carry
   * {@code WWW-Authenticate: Bearer} (RFC 6750).
   */
  UNAUTHORIZED("unauthorized", 401),
  /** The token's {@code exp} has passed: get a new token and retry or reconnect. */
  TOKEN_EXPIRED("token_expired", 401),
  /** Valid credentials that do not grant this channel or action. */
  FORBIDDEN("forbidden", 403),
  /** A browser request or WebSocket upgrade from an origin this server does not allow. */
  ORIGIN_NOT_ALLOWED("origin_not_allowed", 403),
  /** No such path. */
  NOT_FOUND("not_found", 404),
  /** The path exists but does not take this method. */
  METHOD_NOT_ALLOWED("method_not_allowed", 405),
  /** A publication is larger than the server's message size limit. */
  MESSAGE_TOO_LARGE("message_too_large", 413),
  /** A publication's content type is neither JSON nor text. */
  UNSUPPORTED_MEDIA_TYPE("unsupported_media_type", 415),
  /**
   * A connection sends commands or publications faster than its rate limit; retry after the {@code
   * Retry-After} delay.
   */
  RATE_LIMITED("rate_limited", 429),
  /** The request line or headers exceed the server's limit. */
  HEADERS_TOO_LARGE("headers_too_large", 431),
  /**
   * A node limit is reached (concurrent connections, parked long polls, active channels); retry
   * later.
   */
  OVER_CAPACITY("over_capacity", 503),
  /** The broker cannot take the publication: nothing was published. */
  UNAVAILABLE("unavailable", 503),
  /** An unexpected server fault. */
  INTERNAL("internal", 500),
  /**
   * The broker did not answer in time after the publication may have been made (a command timeout,
   * a connection lost after the command was written): the server cannot tell whether it was
   * published. Retry with the same idempotency key to find out; never published twice then.
   */
  PUBLISH_OUTCOME_UNKNOWN("publish_outcome_unknown", 504);

  private final String code;
  private final int httpStatus;

  ErrorCode(String code, int httpStatus) {
    this.code = code;
    this.httpStatus = httpStatus;
  }

  /** The wire string, for example {@code invalid_cursor}. */
  public String code() {
    return code;
  }

  /** The HTTP status that carries this error, 400 to 504. */
  public int httpStatus() {
    return httpStatus;
  }
}
