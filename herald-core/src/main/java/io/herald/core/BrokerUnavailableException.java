package io.herald.core;

/**
 * The broker cannot take a publication or answer a read right now (for example Redis is
 * unreachable). Nothing was published. Maps to {@code 503 unavailable}.
 */
public class BrokerUnavailableException extends ProtocolException {
  private static final long serialVersionUID = 1L;

  /**
   * @param message why the broker is unavailable, for the client and the log
   */
  public BrokerUnavailableException(String message) {
    super(ErrorCode.UNAVAILABLE, message);
  }
}
