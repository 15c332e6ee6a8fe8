package io.herald.core;

/**
 * A request that breaks the protocol or a limit: carries the {@link ErrorCode} and a message that
 * says, in words a user understands, what was wrong and what is allowed. Transports turn it into an
 * HTTP error body or a WebSocket {@code error} frame; it never closes a connection by itself.
 */
public class ProtocolException extends RuntimeException {
  private static final long serialVersionUID = 1L;
  private final ErrorCode code;

  /**
   * @param code the protocol error code
   * @param message what was wrong and what is allowed, as one sentence for a person
   */
  public ProtocolException(ErrorCode code, String message) {
    super(message, null, false, false);
    this.code = code;
  }

  /** The protocol error code. */
  public ErrorCode code() {
    return code;
  }
}
