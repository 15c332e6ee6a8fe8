package io.herald.client;

/**
 * A failure reported by a Herald server (an error body {@code {"error":{"code":...,"message":...}}}
 * or a WebSocket {@code error} frame, PROTOCOL.md section 8), or a request the client refused to
 * send (then {@link #status()} is 0).
 */
public class HeraldClientException extends RuntimeException {
  private static final long serialVersionUID = 1L;
  private final int status;
  private final String code;

  /**
   * @param status the HTTP status, or 0 when there was no HTTP answer (a WebSocket error frame, or
   *     a request refused before sending)
   * @param code the protocol error code, for example {@code invalid_json}; {@code unknown} when the
   *     server's answer carried none
   * @param message what was wrong, for a person
   */
  public HeraldClientException(int status, String code, String message) {
    super(code + ": " + message);
    this.status = status;
    this.code = code;
  }

  /** The HTTP status (400 to 599), or 0 when there was none. */
  public int status() {
    return status;
  }

  /** The protocol error code, for example {@code invalid_cursor}. */
  public String code() {
    return code;
  }
}
