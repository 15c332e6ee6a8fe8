package io.herald.core;

/**
 * The broker may or may not have made a publication: the command was sent but no answer came in
 * time (a command timeout, a connection lost after the command was written). Unlike {@link
 * BrokerUnavailableException} (nothing was published), the publication may appear later. A client
 * retries with the same idempotency key: the retry publishes nothing when the first one was made,
 * and answers its offset and epoch. Maps to {@code 504 publish_outcome_unknown}.
 */
public class PublishOutcomeUnknownException extends ProtocolException {
  private static final long serialVersionUID = 1L;

  /**
   * @param message why the outcome is unknown, for the client and the log; should end by telling
   *     the client to retry with the same idempotency key
   */
  public PublishOutcomeUnknownException(String message) {
    super(ErrorCode.PUBLISH_OUTCOME_UNKNOWN, message);
  }
}
